-- The main figures of the current year by level of education, for the
-- region and each municipality: НОО (grades 1–4), ООО (5–9), СОО (10–11), as
-- the law on education divides them.
--
-- Input tables:
--   procedure_counts  every procedure with count_status, participants,
--                     failed, marked, marks_2 … marks_5, counts
--   schools           the registry (municipality)
--   decisions         school_id, is_shnor
--   grade_levels      grade, level_of_education (noo, ooo, soo)
--   params            current_year
WITH scoped AS (
    SELECT
        pc.*,
        gl.level_of_education
    FROM procedure_counts AS pc
    INNER JOIN grade_levels AS gl ON gl.grade = pc.grade
    CROSS JOIN params AS m
    WHERE pc.count_status <> 'out_of_scope' AND pc.year = m.current_year
),
placed AS (
    SELECT
        sc.*,
        COALESCE(rg.municipality, 'не указан') AS area,
        COALESCE(dc.is_shnor, FALSE) AS in_shnor
    FROM scoped AS sc
    LEFT JOIN (SELECT school_id AS reg_school, municipality FROM schools) AS rg
        ON rg.reg_school = sc.school_id
    LEFT JOIN (SELECT school_id AS dec_school, is_shnor FROM decisions) AS dc
        ON dc.dec_school = sc.school_id
),
both_levels AS (
    SELECT area AS municipality, 'municipality' AS level, * EXCLUDE (area) FROM placed
    UNION ALL
    SELECT 'Регион' AS municipality, 'region' AS level, * EXCLUDE (area) FROM placed
)
SELECT
    level,
    municipality,
    level_of_education,
    COUNT(DISTINCT school_id) AS schools_with_results,
    COUNT(DISTINCT CASE WHEN in_shnor THEN school_id END) AS shnor_schools,
    SUM(participants) AS participants,
    SUM(failed) AS failed,
    SUM(failed) * 1.0 / SUM(participants) AS fail_share,
    SUM(CASE WHEN counts THEN 1 ELSE 0 END) AS counting_procedures,
    SUM(marked) AS marked,
    (SUM(marks_4) + SUM(marks_5)) * 1.0 / NULLIF(SUM(marked), 0) AS quality_share,
    (SUM(marked) - SUM(marks_2)) * 1.0 / NULLIF(SUM(marked), 0) AS success_share
FROM both_levels
GROUP BY level, municipality, level_of_education
ORDER BY level DESC, municipality, level_of_education
