-- One row per school and year in the data: what the school's procedures in
-- scope give (participants, the share of «2», the marks where a source gives
-- them), its counting procedures, and the lists it was on that year.
--
-- Input tables:
--   procedure_counts  every procedure with count_status, counts, participants,
--                     failed, marked, marks_2 … marks_5
--   previous_lists    school_id, year, list_name: the earlier lists
--   current_lists     school_id, list_name: this run's lists
--   params            current_year
--
-- Participants and shares never depend on the survey. A list flag is empty
-- for a year with no list of that kind (neither computed nor given): not
-- known, not «no».
WITH results AS (
    SELECT
        school_id,
        year,
        COUNT(*) AS procedures_in_scope,
        SUM(participants) AS participants,
        SUM(failed) AS failed,
        SUM(CASE WHEN counts THEN 1 ELSE 0 END) AS counting_procedures,
        SUM(marked) AS marked,
        SUM(marks_2) AS marks_2,
        SUM(marks_3) AS marks_3,
        SUM(marks_4) AS marks_4,
        SUM(marks_5) AS marks_5
    FROM procedure_counts
    WHERE count_status <> 'out_of_scope'
    GROUP BY school_id, year
),
lists AS (
    SELECT school_id, year, list_name FROM previous_lists
    UNION ALL
    SELECT c.school_id, m.current_year AS year, c.list_name
    FROM current_lists AS c
    CROSS JOIN params AS m
),
flags AS (
    SELECT
        school_id AS flag_school,
        year AS flag_year,
        MAX(CASE WHEN list_name = 'shnor' THEN 1 ELSE 0 END) AS shnor_flag,
        MAX(CASE WHEN list_name = 'shnsu' THEN 1 ELSE 0 END) AS shnsu_flag
    FROM lists
    GROUP BY school_id, year
),
list_years AS (
    SELECT
        year AS list_year,
        MAX(CASE WHEN list_name = 'shnor' THEN 1 ELSE 0 END) AS has_shnor,
        MAX(CASE WHEN list_name = 'shnsu' THEN 1 ELSE 0 END) AS has_shnsu
    FROM previous_lists
    GROUP BY year
    UNION ALL
    -- The current year's lists are computed: a school not on them is not ШНОР.
    SELECT current_year AS list_year, 1 AS has_shnor, 1 AS has_shnsu FROM params
)
SELECT
    r.school_id,
    r.year,
    r.procedures_in_scope,
    r.participants,
    r.failed,
    r.failed * 1.0 / r.participants AS fail_share,
    r.counting_procedures,
    r.marked,
    (2 * r.marks_2 + 3 * r.marks_3 + 4 * r.marks_4 + 5 * r.marks_5) * 1.0 / NULLIF(r.marked, 0) AS mean_mark,
    (r.marks_4 + r.marks_5) * 1.0 / NULLIF(r.marked, 0) AS quality_share,
    (r.marked - r.marks_2) * 1.0 / NULLIF(r.marked, 0) AS success_share,
    CASE WHEN y.has_shnor = 1 THEN COALESCE(f.shnor_flag, 0) = 1 END AS on_shnor,
    CASE WHEN y.has_shnsu = 1 THEN COALESCE(f.shnsu_flag, 0) = 1 END AS on_shnsu
FROM results AS r
LEFT JOIN (
    SELECT list_year, MAX(has_shnor) AS has_shnor, MAX(has_shnsu) AS has_shnsu
    FROM list_years
    GROUP BY list_year
) AS y
    ON y.list_year = r.year
LEFT JOIN flags AS f
    ON f.flag_school = r.school_id AND f.flag_year = r.year
ORDER BY r.school_id, r.year
