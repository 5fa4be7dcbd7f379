-- The ШНОР decision for every school in the registry, with its reasons.
--
-- Input tables:
--   procedure_counts  the result of procedure_counts.sql
--   conditions        one row per condition of the methodology: condition_id,
--                     name, min_procedures, same_procedure, every_subject,
--                     n_years (years it looks at), n_families (subject
--                     families in scope, for every_subject)
--   condition_years   condition_id, year: the years each condition looks at
--   params            one row with the methodology settings
--   schools           the registry, with `excluded` and `exclusion_reason`
--
-- A condition holds for a school when, in each of its years, the school has at
-- least min_procedures counting procedures — the same procedures in every year
-- when same_procedure, covering every subject family when every_subject.
-- combine_and = false: any condition lists the school; true: all must hold.
WITH hits AS (
    SELECT
        cy.condition_id,
        c.school_id,
        c.year,
        c.assessment,
        c.subject,
        c.subject_family,
        c.grade,
        c.assessment || ' ' || c.subject || ' ' || CAST(c.grade AS VARCHAR) || ' кл. '
            || CAST(c.year AS VARCHAR) || ': '
            || REPLACE(CAST(ROUND(100.0 * c.failed / c.participants, 1) AS VARCHAR), '.', ',')
            || ' % (' || CAST(c.failed AS VARCHAR) || ' из ' || CAST(c.participants AS VARCHAR) || ')'
            -- With objectivity.effect = "mark_unreliable": the signs found.
            || COALESCE(' — недостоверен: ' || c.unreliable_signs, '')
            AS hit_text
    FROM procedure_counts AS c
    INNER JOIN condition_years AS cy ON cy.year = c.year
    WHERE c.counts
),
-- For same_procedure conditions: the procedures counting in every year.
key_years AS (
    SELECT condition_id, school_id, assessment, subject, grade, COUNT(DISTINCT year) AS years_counted
    FROM hits
    GROUP BY condition_id, school_id, assessment, subject, grade
),
full_keys AS (
    SELECT k.condition_id, k.school_id, k.assessment, k.subject, k.grade
    FROM key_years AS k
    INNER JOIN conditions AS d ON d.condition_id = k.condition_id
    WHERE d.same_procedure AND k.years_counted = d.n_years
),
relevant AS (
    SELECT h.*
    FROM hits AS h
    INNER JOIN conditions AS d ON d.condition_id = h.condition_id
    WHERE NOT d.same_procedure
    UNION ALL
    SELECT h.*
    FROM hits AS h
    INNER JOIN full_keys AS f
        ON f.condition_id = h.condition_id
       AND f.school_id = h.school_id
       AND f.assessment = h.assessment
       AND f.subject = h.subject
       AND f.grade = h.grade
),
per_year AS (
    SELECT
        condition_id,
        school_id,
        year,
        COUNT(*) AS n_procedures,
        COUNT(DISTINCT subject_family) AS n_families
    FROM relevant
    GROUP BY condition_id, school_id, year
),
years_met AS (
    SELECT p.condition_id, p.school_id, COUNT(*) AS n_years_met
    FROM per_year AS p
    INNER JOIN conditions AS d ON d.condition_id = p.condition_id
    WHERE p.n_procedures >= d.min_procedures
      AND (NOT d.every_subject OR p.n_families >= d.n_families)
    GROUP BY p.condition_id, p.school_id
),
texts AS (
    SELECT
        condition_id,
        school_id,
        STRING_AGG(hit_text, '; ' ORDER BY year, assessment, subject, grade) AS hit_texts
    FROM relevant
    GROUP BY condition_id, school_id
),
outcomes AS (
    SELECT
        s.school_id,
        d.condition_id,
        d.name,
        COALESCE(y.n_years_met, 0) = d.n_years AS met,
        t.hit_texts
    FROM schools AS s
    CROSS JOIN conditions AS d
    LEFT JOIN years_met AS y ON y.condition_id = d.condition_id AND y.school_id = s.school_id
    LEFT JOIN texts AS t ON t.condition_id = d.condition_id AND t.school_id = s.school_id
),
per_school AS (
    SELECT
        school_id,
        SUM(CASE WHEN met THEN 1 ELSE 0 END) AS conditions_met_count,
        COUNT(*) AS conditions_total,
        STRING_AGG(CASE WHEN met THEN name END, '; ' ORDER BY condition_id) AS conditions_met,
        STRING_AGG(CASE WHEN met THEN name || ': ' || hit_texts END, ' | ' ORDER BY condition_id) AS reasons
    FROM outcomes
    GROUP BY school_id
),
current_counts AS (
    SELECT
        c.school_id,
        SUM(CASE WHEN c.year = m.current_year THEN 1 ELSE 0 END) AS counting_procedures_current,
        SUM(CASE WHEN c.year = m.previous_year THEN 1 ELSE 0 END) AS counting_procedures_previous
    FROM procedure_counts AS c
    CROSS JOIN params AS m
    WHERE c.counts
    GROUP BY c.school_id
)
SELECT
    s.school_id,
    s.school_name,
    s.municipality,
    m.current_year,
    m.previous_year,
    COALESCE(k.counting_procedures_current, 0) AS counting_procedures_current,
    COALESCE(k.counting_procedures_previous, 0) AS counting_procedures_previous,
    p.conditions_met_count,
    p.conditions_total,
    NOT s.excluded
        AND CASE
                WHEN m.combine_and THEN p.conditions_met_count = p.conditions_total
                ELSE p.conditions_met_count >= 1
            END AS is_shnor,
    s.excluded,
    p.conditions_met,
    CASE
        WHEN s.excluded AND p.conditions_met_count > 0 THEN s.exclusion_reason || ' | ' || p.reasons
        WHEN s.excluded THEN s.exclusion_reason
        ELSE p.reasons
    END AS reasons
FROM schools AS s
CROSS JOIN params AS m
LEFT JOIN per_school AS p ON p.school_id = s.school_id
LEFT JOIN current_counts AS k ON k.school_id = s.school_id
ORDER BY s.school_id
