-- The ШНОР decision for every school in the registry, with its reasons.
--
-- Input tables:
--   procedure_counts  the result of procedure_counts.sql
--   params            one row with the methodology settings
--   schools           the school registry
--
-- Condition A (current year): at least min_procedures counting procedures in
--   the current year.
-- Condition B (repeat): the same procedure (assessment, subject, grade) counts
--   both in the current year and in the previous available year.
-- combine_and = false: A OR B (federal-2025); true: A AND B (federal-2025-strict).
WITH labelled AS (
    SELECT
        c.*,
        c.assessment || ' ' || c.subject || ' ' || CAST(c.grade AS VARCHAR) || ' кл.' AS procedure_name,
        REPLACE(CAST(ROUND(100.0 * c.failed / c.participants, 1) AS VARCHAR), '.', ',')
            || ' % (' || CAST(c.failed AS VARCHAR) || ' из ' || CAST(c.participants AS VARCHAR) || ')' AS share_text
    FROM procedure_counts AS c
    WHERE c.counts
),
current_counting AS (
    SELECT l.*
    FROM labelled AS l
    CROSS JOIN params AS m
    WHERE l.year = m.current_year
),
condition_a AS (
    SELECT
        school_id,
        COUNT(*) AS counting_procedures_current,
        STRING_AGG(procedure_name || ' ' || CAST(year AS VARCHAR) || ': ' || share_text, '; '
                   ORDER BY assessment, subject, grade) AS current_text
    FROM current_counting
    GROUP BY school_id
),
repeated AS (
    SELECT
        cur.school_id,
        cur.assessment,
        cur.subject,
        cur.grade,
        cur.procedure_name || ': ' || CAST(prev.year AS VARCHAR) || ' — ' || prev.share_text
            || ', ' || CAST(cur.year AS VARCHAR) || ' — ' || cur.share_text AS repeat_text
    FROM current_counting AS cur
    CROSS JOIN params AS m
    INNER JOIN labelled AS prev
        ON prev.school_id = cur.school_id
       AND prev.assessment = cur.assessment
       AND prev.subject = cur.subject
       AND prev.grade = cur.grade
    WHERE prev.year = m.previous_year
),
condition_b AS (
    SELECT
        school_id,
        COUNT(*) AS repeated_procedures,
        STRING_AGG(repeat_text, '; ' ORDER BY assessment, subject, grade) AS repeat_text
    FROM repeated
    GROUP BY school_id
),
decided AS (
    SELECT
        s.school_id,
        s.school_name,
        s.municipality,
        m.current_year,
        m.previous_year,
        COALESCE(a.counting_procedures_current, 0) AS counting_procedures_current,
        COALESCE(b.repeated_procedures, 0) AS repeated_procedures,
        COALESCE(a.counting_procedures_current, 0) >= m.min_procedures AS meets_current_year_rule,
        COALESCE(b.repeated_procedures, 0) >= 1 AS meets_repeat_rule,
        a.current_text,
        b.repeat_text,
        m.combine_and
    FROM schools AS s
    CROSS JOIN params AS m
    LEFT JOIN condition_a AS a ON a.school_id = s.school_id
    LEFT JOIN condition_b AS b ON b.school_id = s.school_id
)
SELECT
    school_id,
    school_name,
    municipality,
    current_year,
    previous_year,
    counting_procedures_current,
    repeated_procedures,
    meets_current_year_rule,
    meets_repeat_rule,
    CASE
        WHEN combine_and THEN meets_current_year_rule AND meets_repeat_rule
        ELSE meets_current_year_rule OR meets_repeat_rule
    END AS is_shnor,
    CONCAT_WS(' | ',
        CASE WHEN meets_current_year_rule
             THEN 'процедуры ' || CAST(current_year AS VARCHAR) || ' с долей неудовлетворительных результатов не ниже порога: ' || current_text END,
        CASE WHEN meets_repeat_rule
             THEN 'та же процедура в двух годах подряд: ' || repeat_text END
    ) AS reasons
FROM decided
ORDER BY school_id
