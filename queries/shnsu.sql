-- The ШНСУ risk score, rank and decision for every school with survey data.
--
-- Input tables:
--   indicator_scores  the scoring query's result: one row per school ×
--                     indicator with weight, normalisation, used_in_index,
--                     aligned_score (higher = more risk) and value_shown (the
--                     value beside the group's mean)
--   risk_profiles     the profile query's result: one row per school ×
--                     factor with factor_weight, factor_score, indicators_used
--   bands             label, min_score, listed (used when cut = 'bands')
--   params            one row with the methodology settings
--
-- A school's risk score is the weighted mean of the aligned values it has
-- (signs: their weighted count), or with profile_index = 'factors' the
-- weighted mean of its factor scores (signs: their weighted sum). A school
-- with fewer than min_indicators indicators is not scored (its row keeps
-- indicators_used, with no score, rank or decision).
WITH by_indicator AS (
    SELECT
        school_id,
        -- Signs are counted; scaled values are averaged.
        CASE WHEN MAX(normalisation) = 'signs' THEN SUM(weight * aligned_score)
             ELSE SUM(weight * aligned_score) / SUM(weight) END AS risk_score,
        COUNT(*) AS indicators_used
    FROM indicator_scores
    WHERE used_in_index
    GROUP BY school_id
),
by_factor AS (
    SELECT
        p.school_id,
        CASE WHEN MAX(m.normalisation) = 'signs' THEN SUM(p.factor_weight * p.factor_score)
             ELSE SUM(p.factor_weight * p.factor_score) / SUM(p.factor_weight) END AS risk_score,
        SUM(p.indicators_used) AS indicators_used
    FROM risk_profiles AS p
    CROSS JOIN params AS m
    GROUP BY p.school_id
),
weighted AS (
    SELECT b.school_id, b.risk_score, b.indicators_used
    FROM by_indicator AS b
    CROSS JOIN params AS m
    WHERE m.profile_index = 'indicators'
    UNION ALL
    SELECT f.school_id, f.risk_score, f.indicators_used
    FROM by_factor AS f
    CROSS JOIN params AS m
    WHERE m.profile_index = 'factors'
),
scored AS (
    SELECT
        school_id,
        risk_score,
        -- The rank orders by risk descending, ties by school_id ascending;
        -- window ORDER BY takes one direction, so rank by the negated score.
        -risk_score AS negated_risk,
        indicators_used
    FROM weighted
),
ranked AS (
    SELECT
        s.school_id,
        s.risk_score,
        s.indicators_used,
        ROW_NUMBER() OVER (ORDER BY s.negated_risk, s.school_id) AS risk_rank,
        COUNT(*) OVER () AS scored_schools
    FROM scored AS s
    CROSS JOIN params AS m
    WHERE s.indicators_used >= m.min_indicators
),
unscored AS (
    SELECT s.school_id, s.indicators_used
    FROM scored AS s
    CROSS JOIN params AS m
    WHERE s.indicators_used < m.min_indicators
),
banded AS (
    SELECT
        r.school_id,
        b.label,
        b.listed,
        ROW_NUMBER() OVER (PARTITION BY r.school_id ORDER BY b.negated_min_score) AS band_position
    FROM ranked AS r
    CROSS JOIN (SELECT label, listed, min_score, -min_score AS negated_min_score FROM bands) AS b
    WHERE r.risk_score >= b.min_score
),
top_indicators AS (
    SELECT
        school_id,
        -- The indicators that raise the score most, each beside its
        -- group's mean.
        STRING_AGG(value_shown, '; ' ORDER BY position) AS top_indicators
    FROM (
        SELECT
            school_id,
            value_shown,
            ROW_NUMBER() OVER (PARTITION BY school_id ORDER BY -weight * aligned_score, indicator) AS position,
            -- Only indicators on the risky side: above the mean (z > 0) or
            -- above the middle of a 0–1 scale (signs: a sign).
            aligned_score > CASE WHEN normalisation = 'zscore' THEN 0.0 ELSE 0.5 END AS risky
        FROM indicator_scores
        WHERE used_in_index
    ) AS contributions
    WHERE position <= 3 AND risky
    GROUP BY school_id
)
SELECT
    r.school_id,
    r.risk_score,
    r.risk_rank,
    r.scored_schools,
    r.indicators_used,
    b.label AS risk_band,
    CASE
        -- top share: rank <= ceil(share * n), written without floating-point
        -- ceil: (rank - 1) * 100 < share_percent * n.
        WHEN m.cut = 'top_share' THEN (r.risk_rank - 1) * 100.0 < m.top_share_percent * r.scored_schools
        WHEN m.cut = 'cutoff' THEN r.risk_score >= m.risk_cutoff
        ELSE COALESCE(b.listed, FALSE)
    END AS is_shnsu,
    t.top_indicators
FROM ranked AS r
CROSS JOIN params AS m
LEFT JOIN (SELECT school_id, label, listed FROM banded WHERE band_position = 1) AS b ON b.school_id = r.school_id
LEFT JOIN top_indicators AS t ON t.school_id = r.school_id
UNION ALL
SELECT
    u.school_id,
    CAST(NULL AS DOUBLE) AS risk_score,
    CAST(NULL AS BIGINT) AS risk_rank,
    CAST(NULL AS BIGINT) AS scored_schools,
    u.indicators_used,
    CAST(NULL AS VARCHAR) AS risk_band,
    FALSE AS is_shnsu,
    CAST(NULL AS VARCHAR) AS top_indicators
FROM unscored AS u
ORDER BY school_id
