-- Зона риска: the schools close to the ШНОР line, watched but never listed.
--
-- Input tables:
--   procedure_counts  every procedure with count_status, counts, participants,
--                     failed, ci_high, year
--   decisions         school_id, is_shnor
--   schools           the registry (school_name, municipality, excluded)
--   params            threshold_percent, strict_comparison, min_participants,
--                     current_year, risk_zone_by_count, risk_zone_by_interval,
--                     risk_zone_near_points, risk_zone_pooled_years,
--                     risk_zone_pooled_min_years
--
-- A school of the registry that is neither ШНОР nor of an excluded kind is
-- in the zone when any rule the methodology turns on holds:
--   by_count     in the current year at least one procedure counts, but the
--                conditions of ШНОР do not hold (one procedure short);
--   by_interval  in the current year a procedure with enough participants is
--                below the threshold by at most risk_zone_near_points
--                percentage points, and the upper bound of its interval of
--                the share of «2» reaches the threshold;
--   by_pooling   a procedure with too few participants to count, summed over
--                the latest risk_zone_pooled_years calendar years up to the
--                current one (at least risk_zone_pooled_min_years of them),
--                has enough participants and reaches the threshold: the small
--                school that fails every year and is never counted.
WITH rz_current AS (
    SELECT
        rc.*,
        rc.assessment || ' ' || rc.subject || ' ' || CAST(rc.grade AS VARCHAR) || ' кл. '
            || CAST(rc.year AS VARCHAR) || ': '
            || REPLACE(CAST(ROUND(100.0 * rc.failed / rc.participants, 1) AS VARCHAR), '.', ',')
            || ' % (' || CAST(rc.failed AS VARCHAR) || ' из ' || CAST(rc.participants AS VARCHAR) || ')'
            AS rz_text
    FROM procedure_counts AS rc
    CROSS JOIN params AS rm
    WHERE rc.year = rm.current_year AND rc.count_status <> 'out_of_scope'
),
rz_count AS (
    SELECT
        school_id AS cnt_school,
        STRING_AGG(rz_text, '; ' ORDER BY assessment, subject, grade) AS count_texts
    FROM rz_current
    WHERE counts
    GROUP BY school_id
),
rz_interval AS (
    SELECT
        ri.school_id AS int_school,
        STRING_AGG(
            ri.rz_text || ', верхняя граница интервала '
                || REPLACE(CAST(ROUND(100.0 * ri.ci_high, 1) AS VARCHAR), '.', ',') || ' %',
            '; ' ORDER BY ri.assessment, ri.subject, ri.grade
        ) AS interval_texts
    FROM rz_current AS ri
    CROSS JOIN params AS rm
    WHERE ri.count_status = 'below_threshold'
      AND ri.ci_high * 100.0 >= rm.threshold_percent
      AND ri.failed * 100.0 >= (rm.threshold_percent - rm.risk_zone_near_points) * ri.participants
    GROUP BY ri.school_id
),
rz_small AS (
    SELECT
        rs.school_id AS small_school,
        rs.assessment,
        rs.subject,
        rs.grade,
        MIN(rs.year) AS first_year,
        MAX(rs.year) AS last_year,
        COUNT(DISTINCT rs.year) AS pooled_years,
        SUM(rs.participants) AS pooled_participants,
        SUM(rs.failed) AS pooled_failed
    FROM procedure_counts AS rs
    CROSS JOIN params AS rm
    WHERE rs.count_status = 'few_participants'
      AND rs.year <= rm.current_year
      AND rs.year > rm.current_year - rm.risk_zone_pooled_years
    GROUP BY rs.school_id, rs.assessment, rs.subject, rs.grade
),
rz_pooled AS (
    SELECT
        rp.small_school AS pool_school,
        STRING_AGG(
            rp.assessment || ' ' || rp.subject || ' ' || CAST(rp.grade AS VARCHAR) || ' кл. '
                || CAST(rp.first_year AS VARCHAR) || '–' || CAST(rp.last_year AS VARCHAR)
                || ' (' || CAST(rp.pooled_years AS VARCHAR) || ' г.): '
                || REPLACE(CAST(ROUND(100.0 * rp.pooled_failed / rp.pooled_participants, 1) AS VARCHAR), '.', ',')
                || ' % (' || CAST(rp.pooled_failed AS VARCHAR) || ' из ' || CAST(rp.pooled_participants AS VARCHAR) || ')',
            '; ' ORDER BY rp.assessment, rp.subject, rp.grade
        ) AS pooled_texts
    FROM rz_small AS rp
    CROSS JOIN params AS rm
    WHERE rp.pooled_years >= rm.risk_zone_pooled_min_years
      AND rp.pooled_participants >= rm.min_participants
      AND CASE
              WHEN rm.strict_comparison THEN rp.pooled_failed * 100.0 > rm.threshold_percent * rp.pooled_participants
              ELSE rp.pooled_failed * 100.0 >= rm.threshold_percent * rp.pooled_participants
          END
    GROUP BY rp.small_school
),
rz_judged AS (
    SELECT
        rg.school_id,
        rg.school_name,
        rg.municipality,
        rm.risk_zone_by_count AND ct.cnt_school IS NOT NULL AS by_count,
        rm.risk_zone_by_interval AND it.int_school IS NOT NULL AS by_interval,
        rm.risk_zone_pooled_years > 0 AND pl.pool_school IS NOT NULL AS by_pooling,
        ct.count_texts,
        it.interval_texts,
        pl.pooled_texts
    FROM schools AS rg
    CROSS JOIN params AS rm
    LEFT JOIN (SELECT school_id AS dec_school, is_shnor FROM decisions) AS dc
        ON dc.dec_school = rg.school_id
    LEFT JOIN rz_count AS ct ON ct.cnt_school = rg.school_id
    LEFT JOIN rz_interval AS it ON it.int_school = rg.school_id
    LEFT JOIN rz_pooled AS pl ON pl.pool_school = rg.school_id
    WHERE NOT rg.excluded AND NOT COALESCE(dc.is_shnor, FALSE)
)
SELECT
    school_id,
    school_name,
    municipality,
    by_count,
    by_interval,
    by_pooling,
    CONCAT_WS(
        ' | ',
        CASE WHEN by_count THEN 'учитывается, но условий ШНОР нет: ' || count_texts END,
        CASE WHEN by_interval THEN 'интервал доли «2» достигает порога: ' || interval_texts END,
        CASE WHEN by_pooling THEN 'малые процедуры, сложенные за годы: ' || pooled_texts END
    ) AS reasons
FROM rz_judged
WHERE by_count OR by_interval OR by_pooling
ORDER BY municipality, school_id
