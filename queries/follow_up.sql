-- The follow-up of the earlier ШНОР lists: for each year with an earlier
-- list, each school on it or on this run's list, its figures then and now,
-- its status and, for a school that left, why.
--
-- Input tables:
--   school_years      the result of school_years.sql
--   procedure_counts  every procedure with counts, count_status,
--                     reaches_threshold, ci_high, year
--   previous_lists    school_id, year, list_name
--   current_lists     school_id, list_name
--   schools           the registry, with `excluded`
--   params            current_year, threshold_percent, exit_after_years,
--                     exit_upper_bound_below
--
-- follow_up_status (codes; labels in reference/outputs.toml):
--   stays     on the earlier list and on this run's
--   entered   on this run's list, not on the earlier one
--   left      on the earlier list, not on this run's, and the exit rule lets it go
--   held      on the earlier list, not on this run's, but the exit rule keeps it
--             (fewer than exit_after_years latest years without a counting
--             procedure, or, with exit_upper_bound_below, a procedure whose
--             interval still reaches the threshold)
-- Why a school is not on this run's list (leave_reason, for left and held):
--   not_in_registry       gone from the registry
--   excluded_kind         its kind of school is excluded by the methodology
--   no_results            no procedure in scope this year
--   too_few_participants  a procedure reaches the threshold but has too few
--                         participants to count
--   improved              every procedure with enough participants is below
--                         the threshold
WITH earlier AS (
    SELECT pl.school_id, pl.year AS list_year
    FROM previous_lists AS pl
    CROSS JOIN params AS m
    WHERE pl.list_name = 'shnor' AND pl.year < m.current_year
),
list_years AS (
    SELECT DISTINCT list_year FROM earlier
),
now_listed AS (
    SELECT school_id FROM current_lists WHERE list_name = 'shnor'
),
pairs AS (
    SELECT school_id, list_year FROM earlier
    UNION
    SELECT n.school_id, y.list_year FROM now_listed AS n CROSS JOIN list_years AS y
),
now_procedures AS (
    SELECT
        pc.school_id AS proc_school,
        SUM(CASE WHEN pc.count_status = 'few_participants' AND pc.reaches_threshold THEN 1 ELSE 0 END) AS small_reaching,
        MAX(CASE WHEN pc.count_status <> 'few_participants' THEN pc.ci_high END) AS max_ci_high
    FROM procedure_counts AS pc
    CROSS JOIN params AS m
    WHERE pc.count_status <> 'out_of_scope' AND pc.year = m.current_year
    GROUP BY pc.school_id
),
-- The latest years of each school's results, newest first: the exit rule
-- counts the years in a row without a counting procedure.
recent AS (
    SELECT
        school_id AS recent_school,
        year,
        counting_procedures,
        ROW_NUMBER() OVER (PARTITION BY school_id ORDER BY year DESC) AS back
    FROM school_years
),
quiet AS (
    SELECT
        r.recent_school,
        SUM(CASE WHEN r.counting_procedures = 0 THEN 1 ELSE 0 END) AS quiet_years,
        COUNT(*) AS recent_years
    FROM recent AS r
    CROSS JOIN params AS m
    WHERE r.back <= m.exit_after_years
    GROUP BY r.recent_school
),
judged AS (
    SELECT
        pr.school_id,
        pr.list_year,
        e.school_id IS NOT NULL AS listed_then,
        n.school_id IS NOT NULL AS listed_now,
        s.school_id IS NOT NULL AS in_registry,
        COALESCE(s.excluded, FALSE) AS excluded,
        w.proc_school IS NOT NULL AS has_results,
        COALESCE(w.small_reaching, 0) AS small_reaching,
        w.max_ci_high,
        COALESCE(q.quiet_years, 0) AS quiet_years,
        COALESCE(q.recent_years, 0) AS recent_years
    FROM pairs AS pr
    LEFT JOIN (SELECT school_id, list_year AS then_year FROM earlier) AS e
        ON e.school_id = pr.school_id AND e.then_year = pr.list_year
    LEFT JOIN now_listed AS n ON n.school_id = pr.school_id
    LEFT JOIN (SELECT school_id, excluded FROM schools) AS s ON s.school_id = pr.school_id
    LEFT JOIN now_procedures AS w ON w.proc_school = pr.school_id
    LEFT JOIN quiet AS q ON q.recent_school = pr.school_id
),
decided AS (
    SELECT
        j.*,
        CASE
            WHEN j.listed_now THEN NULL
            WHEN NOT j.in_registry THEN 'not_in_registry'
            WHEN j.excluded THEN 'excluded_kind'
            WHEN NOT j.has_results THEN 'no_results'
            WHEN j.small_reaching > 0 THEN 'too_few_participants'
            ELSE 'improved'
        END AS leave_reason,
        -- Only a school that improved is held by the exit rule: one without
        -- results, or gone, cannot show that it did.
        NOT j.listed_now AND j.listed_then AND j.in_registry AND NOT j.excluded AND j.has_results
            AND j.small_reaching = 0
            AND (
                j.quiet_years < m.exit_after_years
                OR (m.exit_upper_bound_below AND j.max_ci_high * 100.0 >= m.threshold_percent)
            ) AS held,
        m.current_year
    FROM judged AS j
    CROSS JOIN params AS m
)
SELECT
    d.school_id,
    d.list_year,
    d.listed_then,
    d.listed_now,
    CASE
        WHEN d.listed_then AND d.listed_now THEN 'stays'
        WHEN d.listed_now THEN 'entered'
        WHEN d.held THEN 'held'
        ELSE 'left'
    END AS follow_up_status,
    d.leave_reason,
    thn.participants AS participants_then,
    thn.fail_share AS fail_share_then,
    thn.counting_procedures AS counting_procedures_then,
    cur.participants AS participants_now,
    cur.fail_share AS fail_share_now,
    cur.counting_procedures AS counting_procedures_now,
    cur.quality_share AS quality_share_now,
    d.quiet_years
FROM decided AS d
LEFT JOIN (SELECT school_id AS then_school, year AS then_year, participants, fail_share, counting_procedures FROM school_years) AS thn
    ON thn.then_school = d.school_id AND thn.then_year = d.list_year
LEFT JOIN (SELECT school_id AS now_school, year AS now_year, participants, fail_share, counting_procedures, quality_share FROM school_years) AS cur
    ON cur.now_school = d.school_id AND cur.now_year = d.current_year
ORDER BY d.list_year, d.school_id
