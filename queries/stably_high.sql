-- Schools with stably high results: in each of the latest stably_high_years
-- years of the data (the table stably_high_years; fewer when the data has
-- fewer, and then no school is), enough participants, a share of «2» at most
-- stably_high_max_fail_percent and a share of «4» and «5» at least
-- stably_high_min_quality_percent, over the procedures in scope. A school
-- whose sources give no marks «3»–«5» has no quality share and is never
-- stably high: not known, not «no». ШНОР schools and excluded kinds are not.
--
-- Input tables:
--   school_years       the result of school_years.sql
--   stably_high_years  year: the years looked at
--   schools            the registry (school_name, municipality, excluded)
--   decisions          school_id, is_shnor, risk_score
--   params             current_year, stably_high_years,
--                      stably_high_max_fail_percent,
--                      stably_high_min_quality_percent,
--                      stably_high_min_participants
WITH sh_wanted AS (
    SELECT COUNT(*) AS wanted_years, MIN(year) AS first_year, MAX(year) AS last_year
    FROM stably_high_years
),
sh_good AS (
    SELECT
        sy.school_id AS good_school,
        COUNT(*) AS good_years,
        MAX(sy.fail_share) AS max_fail_share,
        MIN(sy.quality_share) AS min_quality_share,
        MIN(sy.participants) AS min_year_participants
    FROM school_years AS sy
    INNER JOIN (SELECT year AS sh_year FROM stably_high_years) AS shy ON shy.sh_year = sy.year
    CROSS JOIN params AS sm
    WHERE sy.participants >= sm.stably_high_min_participants
      AND sy.failed * 100.0 <= sm.stably_high_max_fail_percent * sy.participants
      AND sy.quality_share * 100.0 >= sm.stably_high_min_quality_percent
    GROUP BY sy.school_id
),
sh_now AS (
    SELECT sn.school_id AS now_school, sn.participants AS participants_current
    FROM school_years AS sn
    CROSS JOIN params AS sm
    WHERE sn.year = sm.current_year
)
SELECT
    sr.school_id,
    sr.school_name,
    sr.municipality,
    w.first_year,
    w.last_year,
    g.good_years AS years_met,
    g.max_fail_share,
    g.min_quality_share,
    g.min_year_participants,
    nw.participants_current,
    sd.risk_score
FROM schools AS sr
INNER JOIN sh_good AS g ON g.good_school = sr.school_id
CROSS JOIN sh_wanted AS w
CROSS JOIN params AS sp
LEFT JOIN (SELECT school_id AS dec_school, is_shnor, risk_score FROM decisions) AS sd
    ON sd.dec_school = sr.school_id
LEFT JOIN sh_now AS nw ON nw.now_school = sr.school_id
WHERE g.good_years = w.wanted_years
  AND w.wanted_years = sp.stably_high_years
  AND NOT sr.excluded
  AND NOT COALESCE(sd.is_shnor, FALSE)
ORDER BY sr.municipality, sr.school_id
