-- Repeat listing and transitions against earlier published lists.
--
-- Input tables:
--   previous_lists  school_id, year, list_name ('shnor' or 'shnsu'): earlier lists
--   current_lists   school_id, list_name: the lists of this run
--   params          current_year
--
-- For each list, "previous" is the latest year of previous_lists before the
-- current year. Transitions: entered (listed now, not then), stayed (both),
-- left (then, not now).
WITH earlier AS (
    SELECT p.school_id, p.year, p.list_name
    FROM previous_lists AS p
    CROSS JOIN params AS m
    WHERE p.year < m.current_year
),
last_year AS (
    SELECT list_name, MAX(year) AS previous_list_year
    FROM earlier
    GROUP BY list_name
),
previous_set AS (
    SELECT e.school_id, e.list_name, l.previous_list_year
    FROM earlier AS e
    INNER JOIN last_year AS l ON l.list_name = e.list_name AND l.previous_list_year = e.year
),
listed_before AS (
    SELECT
        school_id,
        list_name,
        COUNT(*) AS times_listed_before,
        -- previous_lists holds each school, year and list once
        STRING_AGG(CAST(year AS VARCHAR), ', ' ORDER BY year) AS years_listed_before
    FROM earlier
    GROUP BY school_id, list_name
),
either AS (
    SELECT school_id, list_name FROM current_lists
    UNION
    SELECT school_id, list_name FROM previous_set
)
-- Each joined table gets its own column names: polars' SQL resolves a chain
-- of joins on same-named keys ambiguously.
SELECT
    e.school_id,
    e.list_name,
    l.previous_list_year,
    p.previous_school IS NOT NULL AS listed_previously,
    c.current_school IS NOT NULL AS listed_now,
    CASE
        WHEN c.current_school IS NOT NULL AND p.previous_school IS NOT NULL THEN 'stayed'
        WHEN c.current_school IS NOT NULL THEN 'entered'
        ELSE 'left'
    END AS transition,
    COALESCE(b.times_listed_before, 0) AS times_listed_before,
    b.years_listed_before
FROM either AS e
LEFT JOIN (SELECT list_name AS year_list, previous_list_year FROM last_year) AS l
    ON l.year_list = e.list_name
LEFT JOIN (SELECT school_id AS previous_school, list_name AS previous_list FROM previous_set) AS p
    ON p.previous_school = e.school_id AND p.previous_list = e.list_name
LEFT JOIN (SELECT school_id AS current_school, list_name AS current_list FROM current_lists) AS c
    ON c.current_school = e.school_id AND c.current_list = e.list_name
LEFT JOIN (
    SELECT school_id AS before_school, list_name AS before_list, times_listed_before, years_listed_before
    FROM listed_before
) AS b
    ON b.before_school = e.school_id AND b.before_list = e.list_name
ORDER BY e.list_name, e.school_id
