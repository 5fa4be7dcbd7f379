-- Which procedures count toward ШНОР.
--
-- Input tables:
--   procedures  one row per school × year × assessment × subject × grade
--               (participants, failed, fail_share, ci_low, ci_high, in_scope)
--   params      one row with the methodology settings
--
-- A procedure counts when it is in the methodology's scope (assessments,
-- subjects, grades), has at least min_participants participants, and its
-- failure share reaches the threshold. The comparison is made on integers
-- scaled by 100 (failed * 100 against threshold_percent * participants), so
-- it is exact: 3 of 10 reaches 30 %, 2 of 7 (28.6 %) does not.
SELECT
    p.school_id,
    p.year,
    p.assessment,
    p.subject,
    p.grade,
    p.participants,
    p.failed,
    p.fail_share,
    p.ci_low,
    p.ci_high,
    p.in_scope
        AND p.participants >= m.min_participants
        AND CASE
                WHEN m.strict_comparison THEN p.failed * 100.0 > m.threshold_percent * p.participants
                ELSE p.failed * 100.0 >= m.threshold_percent * p.participants
            END AS counts,
    CASE
        WHEN NOT p.in_scope THEN 'не учитывается методикой'
        WHEN p.participants < m.min_participants THEN 'участников меньше ' || CAST(m.min_participants AS VARCHAR)
        WHEN m.strict_comparison AND p.failed * 100.0 <= m.threshold_percent * p.participants THEN 'доля не выше порога'
        WHEN p.failed * 100.0 < m.threshold_percent * p.participants THEN 'доля ниже порога'
        ELSE 'учитывается'
    END AS count_status
FROM procedures AS p
CROSS JOIN params AS m
ORDER BY p.school_id, p.year, p.assessment, p.subject, p.grade
