-- The risk profile (ФИОКО «500+»): each school's score and level in each
-- risk factor, from the indicators of that factor.
--
-- Input tables:
--   indicator_scores  the result of the scoring query: one row per school ×
--                     indicator with factor, factor_label, factor_weight,
--                     weight, used_in_index, aligned_score (higher = more
--                     risk) and value_shown (the value beside the group's mean)
--   params            normalisation, profile_high, profile_medium (the
--                     factor score where the high and the medium level
--                     start; null when the methodology sets no levels)
--
-- A factor's score is the weighted mean of its indicators' aligned values
-- (signs: the weighted count of its signs, as the index counts them). The
-- level is «high» from profile_high, «medium» from profile_medium, «low»
-- below; empty when the methodology sets no levels for the normalisation.
WITH factor_scores AS (
    SELECT
        school_id,
        factor,
        MAX(factor_label) AS factor_label,
        MAX(factor_weight) AS factor_weight,
        CASE WHEN MAX(normalisation) = 'signs' THEN SUM(weight * aligned_score)
             ELSE SUM(weight * aligned_score) / SUM(weight) END AS factor_score,
        COUNT(*) AS indicators_used,
        -- The indicators of the factor, the riskiest first.
        STRING_AGG(value_shown, '; ' ORDER BY -weight * aligned_score, indicator) AS factor_indicators
    FROM indicator_scores
    WHERE used_in_index AND factor IS NOT NULL
    GROUP BY school_id, factor
)
SELECT
    f.school_id,
    f.factor,
    f.factor_label,
    f.factor_weight,
    f.factor_score,
    CASE
        WHEN m.profile_high IS NULL THEN CAST(NULL AS VARCHAR)
        -- A score on a boundary is at it: with two schools every z is ±1 up
        -- to rounding (0.9999999999999998), which must not fall below 1.
        WHEN f.factor_score >= m.profile_high - 0.000000001 THEN 'high'
        WHEN f.factor_score >= m.profile_medium - 0.000000001 THEN 'medium'
        ELSE 'low'
    END AS risk_level,
    f.indicators_used,
    f.factor_indicators
FROM factor_scores AS f
CROSS JOIN params AS m
ORDER BY f.school_id, f.factor
