-- Partner candidates («сетевое партнёрство школ со стабильно высокими и
-- стабильно низкими образовательными результатами»): for each ШНОР school
-- and each level of education of its counting procedures, up to partners_max
-- schools with stably high results in the same municipality that have
-- results at that level in the current year, nearest first.
--
-- Input tables:
--   procedure_counts  every procedure with count_status, counts, grade, year,
--                     participants
--   stably_high       the result of stably_high.sql
--   decisions         school_id, is_shnor, risk_score
--   schools           the registry (school_name, municipality)
--   grade_levels      grade, level_of_education (noo, ooo, soo)
--   params            current_year, partners_max
--
-- Nearness: size_distance = |ln(partner's participants / school's)| at that
-- level in the current year (twice or half the size is 0.69), plus, when
-- both have a social risk score, conditions_distance = |difference of the
-- scores| / their standard deviation over the region. When the ШНОР school
-- has a score, candidates without one come after those with one. Ties go to
-- the smaller school_id. A ШНОР school × level with no candidate keeps one
-- row with the partner empty: no school is dropped from the table.
WITH pt_levels AS (
    SELECT
        pl.school_id AS lvl_school,
        pl.year AS lvl_year,
        pl.count_status AS lvl_status,
        pl.counts AS lvl_counts,
        pl.participants AS lvl_participants,
        pg.level_of_education AS lvl
    FROM procedure_counts AS pl
    INNER JOIN (SELECT grade AS lvl_grade, level_of_education FROM grade_levels) AS pg
        ON pg.lvl_grade = pl.grade
    WHERE pl.count_status <> 'out_of_scope'
),
pt_size AS (
    SELECT lv.lvl_school, lv.lvl, SUM(lv.lvl_participants) AS lvl_size
    FROM pt_levels AS lv
    CROSS JOIN params AS pm
    WHERE lv.lvl_year = pm.current_year
    GROUP BY lv.lvl_school, lv.lvl
),
pt_low AS (
    SELECT DISTINCT
        lw.lvl_school AS low_school,
        lw.lvl AS low_level
    FROM pt_levels AS lw
    INNER JOIN (SELECT school_id AS dec_school, is_shnor FROM decisions) AS ld
        ON ld.dec_school = lw.lvl_school
    WHERE lw.lvl_counts AND ld.is_shnor
),
pt_spread AS (
    SELECT STDDEV(risk_score) AS risk_sd FROM decisions WHERE risk_score IS NOT NULL
),
pt_low_facts AS (
    SELECT
        lo.low_school,
        lo.low_level,
        rg.municipality AS low_municipality,
        sz.lvl_size AS low_size,
        dr.risk_score AS low_risk
    FROM pt_low AS lo
    INNER JOIN (SELECT school_id AS reg_school, municipality FROM schools) AS rg
        ON rg.reg_school = lo.low_school
    LEFT JOIN pt_size AS sz ON sz.lvl_school = lo.low_school AND sz.lvl = lo.low_level
    LEFT JOIN (SELECT school_id AS risk_school, risk_score FROM decisions) AS dr
        ON dr.risk_school = lo.low_school
),
-- Only ids and numbers go through the pairs, which grow as the product of
-- a municipality's ШНОР and stably high schools; names and shares are
-- joined to the few kept.
pt_high AS (
    SELECT
        hs.school_id AS high_school,
        hs.municipality AS high_municipality,
        hs.risk_score AS high_risk,
        hz.lvl AS high_level,
        hz.lvl_size AS high_size
    FROM stably_high AS hs
    INNER JOIN pt_size AS hz ON hz.lvl_school = hs.school_id
),
pt_pairs AS (
    SELECT
        f.low_school,
        f.low_level,
        f.low_risk,
        h.high_school,
        h.high_size,
        h.high_risk,
        ABS(LN(h.high_size * 1.0 / f.low_size)) AS size_distance,
        ABS(h.high_risk - f.low_risk) / NULLIF(sp.risk_sd, 0) AS conditions_distance
    FROM pt_low_facts AS f
    INNER JOIN pt_high AS h
        ON h.high_municipality = f.low_municipality AND h.high_level = f.low_level
    CROSS JOIN pt_spread AS sp
),
pt_ranked AS (
    SELECT
        pp.*,
        pp.size_distance + COALESCE(pp.conditions_distance, 0.0) AS distance,
        ROW_NUMBER() OVER (
            PARTITION BY pp.low_school, pp.low_level
            ORDER BY
                CASE WHEN pp.low_risk IS NOT NULL AND pp.high_risk IS NULL THEN 1 ELSE 0 END,
                pp.size_distance + COALESCE(pp.conditions_distance, 0.0),
                pp.high_school
        ) AS partner_rank
    FROM pt_pairs AS pp
),
pt_kept AS (
    SELECT kr.*
    FROM pt_ranked AS kr
    CROSS JOIN params AS pm
    WHERE kr.partner_rank <= pm.partners_max
)
SELECT
    f.low_school AS school_id,
    ln.school_name,
    f.low_municipality AS municipality,
    f.low_level AS level_of_education,
    f.low_size AS participants,
    f.low_risk AS risk_score,
    k.partner_rank,
    k.high_school AS partner_id,
    hn.school_name AS partner_name,
    k.high_size AS partner_participants,
    k.high_risk AS partner_risk_score,
    hn.max_fail_share AS partner_max_fail_share,
    hn.min_quality_share AS partner_min_quality_share,
    k.size_distance,
    k.conditions_distance,
    k.distance
FROM pt_low_facts AS f
INNER JOIN (SELECT school_id AS name_school, school_name FROM schools) AS ln
    ON ln.name_school = f.low_school
LEFT JOIN pt_kept AS k ON k.low_school = f.low_school AND k.low_level = f.low_level
LEFT JOIN (
    SELECT school_id AS partner_school, school_name, max_fail_share, min_quality_share
    FROM stably_high
) AS hn
    ON hn.partner_school = k.high_school
ORDER BY f.low_municipality, f.low_school, f.low_level, k.partner_rank
