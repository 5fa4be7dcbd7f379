-- The signs of biased assessment, per school × procedure × sign, after
-- ФИОКО «Уровень объективности оценки образовательных результатов в
-- субъекте Российской Федерации» and the region's own signs.
--
-- Input tables:
--   procedures         one row per procedure with participants, failed,
--                      fail_share, share_change_pp and, from student rows,
--                      scored, score_sum, score_sq_sum, score_mean, score_sd,
--                      marked, marks_4, marks_5, journal_compared,
--                      journal_higher_share (empty for aggregates)
--   objectivity_scope  assessment, subject, grade: the procedures the ФИОКО
--                      signs look at
--   objectivity_signs  sign: the ФИОКО signs the methodology checks
--   objectivity_bands  assessment, subject, grade, fail_below, top_above,
--                      top ('5' or '4+5')
--   score_ranks        school_id, year, assessment, subject, grade, rs, n:
--                      Spearman's rank correlation of the journal mark and
--                      the primary score over each school's participants
--   params             objectivity_z (of the confidence), objectivity_min
--                      (fewest scores a school's procedure is checked with),
--                      objectivity_iqr (the IQR factor of the cohort signs),
--                      journal_higher_above, failure_fall_pp (null: off)
--
-- Signs (codes; labels in reference/outputs.toml):
--   inflated_mean      the school's interval x̄ ± z·s/√m lies wholly above the
--                      region's x̄ ± z·s/√n (s the sample deviation)
--   contradicts_marks  rs < 0
--   cohort_fall        K = S(N, YY) / S(N+1, YY+1), S the school's mean
--                      percent of the maximum score (procedures.score_percent),
--                      over one cohort's two procedures in scope: K above
--                      Q75 + f·IQR of every school's K (a sharp fall)
--   cohort_rise        the same K below Q25 − f·IQR (a sharp rise)
--   journal_higher     the share «повысили» above journal_higher_above
--   failure_fall       the share of «2» fell by more than failure_fall_pp
--   mark_bands         the share of «2» below fail_below and of top marks
--                      above top_above
-- Every procedure a sign is checked on has a row; `flagged` says whether it
-- holds. `value` is what decided it and `bound` what it was compared with.
WITH scoped AS (
    SELECT p.*
    FROM procedures AS p
    INNER JOIN objectivity_scope AS s
        ON s.assessment = p.assessment AND s.subject = p.subject AND s.grade = p.grade
),
region AS (
    SELECT
        year,
        assessment,
        subject,
        grade,
        SUM(scored) AS n,
        SUM(score_sum) / SUM(scored) AS region_mean,
        SQRT((SUM(score_sq_sum) - SUM(score_sum) * SUM(score_sum) / SUM(scored)) / (SUM(scored) - 1.0)) AS region_sd
    FROM scoped
    WHERE scored > 0
    GROUP BY year, assessment, subject, grade
    HAVING SUM(scored) > 1
),
intervals AS (
    SELECT
        p.school_id,
        p.year,
        p.assessment,
        p.subject,
        p.grade,
        p.scored AS n,
        p.score_mean AS school_mean,
        p.score_mean - m.objectivity_z * p.score_sd / SQRT(p.scored) AS school_ci_low,
        p.score_mean + m.objectivity_z * p.score_sd / SQRT(p.scored) AS school_ci_high,
        r.region_mean,
        r.region_mean - m.objectivity_z * r.region_sd / SQRT(r.n) AS region_ci_low,
        r.region_mean + m.objectivity_z * r.region_sd / SQRT(r.n) AS region_ci_high
    FROM scoped AS p
    INNER JOIN region AS r
        ON r.year = p.year AND r.assessment = p.assessment AND r.subject = p.subject AND r.grade = p.grade
    CROSS JOIN params AS m
    WHERE p.scored >= m.objectivity_min AND p.score_sd IS NOT NULL
      AND 'inflated_mean' IN (SELECT sign FROM objectivity_signs)
),
cohorts AS (
    SELECT
        later.school_id,
        later.year,
        later.assessment,
        later.subject,
        later.grade,
        later.scored AS n,
        earlier.score_percent AS cohort_from_percent,
        later.score_percent AS cohort_to_percent,
        earlier.score_percent / later.score_percent AS k
    FROM scoped AS later
    INNER JOIN scoped AS earlier
        ON earlier.school_id = later.school_id AND earlier.assessment = later.assessment
       AND earlier.subject = later.subject
       AND earlier.grade = later.grade - 1 AND earlier.year = later.year - 1
    CROSS JOIN params AS m
    WHERE earlier.scored >= m.objectivity_min AND later.scored >= m.objectivity_min
      AND earlier.score_percent IS NOT NULL AND later.score_percent > 0
),
cohort_bounds AS (
    SELECT
        c.year, c.assessment, c.subject, c.grade,
        QUANTILE_CONT(c.k, 0.25) AS q25,
        QUANTILE_CONT(c.k, 0.75) AS q75
    FROM cohorts AS c
    GROUP BY c.year, c.assessment, c.subject, c.grade
),
cohort_checks AS (
    SELECT
        c.*,
        b.q75 + m.objectivity_iqr * (b.q75 - b.q25) AS fall_above,
        b.q25 - m.objectivity_iqr * (b.q75 - b.q25) AS rise_below
    FROM cohorts AS c
    INNER JOIN cohort_bounds AS b
        ON b.year = c.year AND b.assessment = c.assessment AND b.subject = c.subject AND b.grade = c.grade
    CROSS JOIN params AS m
),
signs AS (
    SELECT
        school_id, year, assessment, subject, grade,
        'inflated_mean' AS sign,
        school_ci_low > region_ci_high AS flagged,
        n,
        school_ci_low AS value,
        region_ci_high AS bound
    FROM intervals
    UNION ALL
    SELECT
        r.school_id, r.year, r.assessment, r.subject, r.grade,
        'contradicts_marks' AS sign,
        r.rs < 0.0 AS flagged,
        r.n,
        r.rs AS value,
        0.0 AS bound
    FROM score_ranks AS r
    INNER JOIN objectivity_scope AS s
        ON s.assessment = r.assessment AND s.subject = r.subject AND s.grade = r.grade
    CROSS JOIN params AS m
    WHERE r.n >= m.objectivity_min AND r.rs IS NOT NULL
      AND 'contradicts_marks' IN (SELECT sign FROM objectivity_signs)
    UNION ALL
    SELECT
        school_id, year, assessment, subject, grade,
        'cohort_fall' AS sign,
        k > fall_above AS flagged,
        n,
        k AS value,
        fall_above AS bound
    FROM cohort_checks
    WHERE 'cohort_fall' IN (SELECT sign FROM objectivity_signs)
    UNION ALL
    SELECT
        school_id, year, assessment, subject, grade,
        'cohort_rise' AS sign,
        k < rise_below AS flagged,
        n,
        k AS value,
        rise_below AS bound
    FROM cohort_checks
    WHERE 'cohort_rise' IN (SELECT sign FROM objectivity_signs)
    UNION ALL
    SELECT
        p.school_id, p.year, p.assessment, p.subject, p.grade,
        'journal_higher' AS sign,
        p.journal_higher_share > m.journal_higher_above AS flagged,
        p.journal_compared AS n,
        p.journal_higher_share AS value,
        m.journal_higher_above AS bound
    FROM procedures AS p
    CROSS JOIN params AS m
    WHERE m.journal_higher_above IS NOT NULL AND p.journal_compared >= m.objectivity_min
    UNION ALL
    SELECT
        p.school_id, p.year, p.assessment, p.subject, p.grade,
        'failure_fall' AS sign,
        -p.share_change_pp > m.failure_fall_pp AS flagged,
        p.participants AS n,
        p.share_change_pp AS value,
        -m.failure_fall_pp AS bound
    FROM procedures AS p
    CROSS JOIN params AS m
    WHERE m.failure_fall_pp IS NOT NULL AND p.share_change_pp IS NOT NULL
      AND p.participants >= m.objectivity_min
    UNION ALL
    SELECT
        p.school_id, p.year, p.assessment, p.subject, p.grade,
        'mark_bands' AS sign,
        p.fail_share < b.fail_below
            AND (CASE WHEN b.top = '5' THEN p.marks_5 ELSE p.marks_4 + p.marks_5 END) * 1.0 / p.marked > b.top_above AS flagged,
        p.marked AS n,
        (CASE WHEN b.top = '5' THEN p.marks_5 ELSE p.marks_4 + p.marks_5 END) * 1.0 / p.marked AS value,
        b.top_above AS bound
    FROM procedures AS p
    INNER JOIN objectivity_bands AS b
        ON b.assessment = p.assessment AND b.subject = p.subject AND b.grade = p.grade
    CROSS JOIN params AS m
    WHERE p.marked >= m.objectivity_min
)
-- The two intervals stand beside the sign they decide, the cohort's two
-- percents beside its K.
SELECT
    s.school_id, s.year, s.assessment, s.subject, s.grade, s.sign, s.flagged, s.n,
    CASE WHEN s.sign = 'inflated_mean' THEN i.school_mean END AS school_mean,
    CASE WHEN s.sign = 'inflated_mean' THEN i.school_ci_low END AS school_ci_low,
    CASE WHEN s.sign = 'inflated_mean' THEN i.school_ci_high END AS school_ci_high,
    CASE WHEN s.sign = 'inflated_mean' THEN i.region_mean END AS region_mean,
    CASE WHEN s.sign = 'inflated_mean' THEN i.region_ci_low END AS region_ci_low,
    CASE WHEN s.sign = 'inflated_mean' THEN i.region_ci_high END AS region_ci_high,
    CASE WHEN s.sign IN ('cohort_fall', 'cohort_rise') THEN c.cohort_from_percent END AS cohort_from_percent,
    CASE WHEN s.sign IN ('cohort_fall', 'cohort_rise') THEN c.cohort_to_percent END AS cohort_to_percent,
    s.value,
    s.bound
FROM signs AS s
LEFT JOIN intervals AS i
    ON i.school_id = s.school_id AND i.year = s.year AND i.assessment = s.assessment
   AND i.subject = s.subject AND i.grade = s.grade
LEFT JOIN cohorts AS c
    ON c.school_id = s.school_id AND c.year = s.year AND c.assessment = s.assessment
   AND c.subject = s.subject AND c.grade = s.grade
ORDER BY s.school_id, s.year, s.assessment, s.subject, s.grade, s.sign
