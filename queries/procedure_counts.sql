-- Which procedures count toward ШНОР, and how each share moved.
--
-- Input tables:
--   procedures  one row per school × year × assessment × subject × grade
--               (participants, failed, absent, fail_share, ci_low, ci_high,
--               compared_year, share_change_pp, in_scope, subject_family)
--   params      one row with the methodology settings
--
-- A procedure counts when it is in the methodology's scope (assessments,
-- subjects, grades), has at least min_participants participants, and its
-- failure share reaches the threshold. The comparison is made on integers
-- scaled by 100 (failed * 100 against threshold_percent * participants), so
-- it is exact: 3 of 10 reaches 30 %, 2 of 7 (28.6 %) does not.
WITH judged AS (
    SELECT
        p.*,
        CASE
            WHEN m.strict_comparison THEN p.failed * 100.0 > m.threshold_percent * p.participants
            ELSE p.failed * 100.0 >= m.threshold_percent * p.participants
        END AS reaches_threshold,
        p.participants >= m.min_participants AS enough_participants,
        m.min_participants
    FROM procedures AS p
    CROSS JOIN params AS m
)
SELECT
    school_id,
    year,
    assessment,
    subject,
    subject_family,
    grade,
    participants,
    failed,
    absent,
    fail_share,
    ci_low,
    ci_high,
    -- From student rows, and from an aggregate where it gives them (marks
    -- «3»–«5», понизили / повысили; never scores): scores, marks and
    -- the mark against the journal mark.
    scored,
    score_mean,
    score_sd,
    -- The work's maximum primary score from the scale table (empty where
    -- it gives none) and the mean score as a percent of it.
    score_max,
    score_percent,
    marked,
    marks_2,
    marks_3,
    marks_4,
    marks_5,
    mean_mark,
    quality_share,
    success_share,
    journal_compared,
    journal_lower_share,
    journal_same_share,
    journal_higher_share,
    -- The same procedure in its previous available year, and the change of
    -- the share in percentage points (computed with the shares; equal to
    -- LAG(year) and 100 * (fail_share - LAG(fail_share)) OVER (PARTITION BY
    -- school_id, assessment, subject, grade ORDER BY year)).
    compared_year,
    share_change_pp,
    reaches_threshold,
    in_scope AND enough_participants AND reaches_threshold AS counts,
    -- A code; its Russian label comes from reference/outputs.toml.
    CASE
        WHEN NOT in_scope THEN 'out_of_scope'
        WHEN NOT enough_participants THEN 'few_participants'
        WHEN NOT reaches_threshold THEN 'below_threshold'
        ELSE 'counts'
    END AS count_status
FROM judged
ORDER BY school_id, year, assessment, subject, grade
