-- Every survey indicator of every school on the common scale of the ШНСУ
-- index: the school card, the risk profile and the index all read it.
--
-- Input tables:
--   indicators  long form of the survey: school_id, indicator, value,
--               ref_group (the group the indicator is standardised in: the
--               whole region, the school's settlement type or its
--               municipality); one survey year, chosen by the run; missing
--               values are absent rows
--   weights     indicator, weight, direction (+1 risk, -1 protective), label
--               (as a reader sees it), is_share (shown in percent),
--               threshold (of a risk sign; null when none is set), factor,
--               factor_label, factor_weight (null outside every factor)
--   params      one row with the methodology settings
--
-- Each indicator is put on a common scale within its reference group:
--   zscore     (x - mean) / population standard deviation
--   min_max    (x - min) / (max - min)
--   percentile (rank - 1) / (n - 1), ties sharing the lower rank
--   signs      1 when past the indicator's threshold (at or above it for a
--              risk, at or below it for a protective one), else 0; it needs
--              no spread, so a town of two schools is scored too
-- and aligned so that higher = more risk (protective indicators reversed).
-- An indicator with no spread in a group (or, for signs, no threshold)
-- carries no information there: its rows stay, with used = false and no
-- scaled value, so that the card still shows the school's value.
--
-- Output: one row per school × indicator with a value.
WITH stats AS (
    SELECT
        indicator,
        ref_group,
        AVG(value) AS group_mean,
        -- STDDEV is the sample deviation; scale it to the population one.
        STDDEV(value) * SQRT((COUNT(value) - 1.0) / COUNT(value)) AS sd,
        MIN(value) AS lowest,
        MAX(value) AS highest,
        COUNT(value) AS n
    FROM indicators
    GROUP BY indicator, ref_group
),
ranked_values AS (
    SELECT
        i.school_id,
        i.indicator,
        i.ref_group,
        i.value,
        RANK() OVER (PARTITION BY i.indicator, i.ref_group ORDER BY i.value) AS value_rank
    FROM indicators AS i
),
joined AS (
    SELECT
        r.school_id,
        r.indicator,
        r.ref_group,
        r.value,
        r.value_rank,
        s.group_mean,
        s.sd,
        s.lowest,
        s.highest,
        s.n,
        w.label,
        w.is_share,
        w.weight,
        w.direction,
        w.threshold,
        w.factor,
        w.factor_label,
        w.factor_weight,
        m.normalisation,
        CASE
            WHEN m.normalisation = 'signs' THEN w.threshold IS NOT NULL
            ELSE s.n > 1 AND s.highest > s.lowest
        END AS used
    FROM ranked_values AS r
    INNER JOIN stats AS s ON s.indicator = r.indicator AND s.ref_group = r.ref_group
    INNER JOIN weights AS w ON w.indicator = r.indicator
    CROSS JOIN params AS m
),
measured AS (
    SELECT
        *,
        CASE
            WHEN NOT used THEN CAST(NULL AS DOUBLE)
            WHEN normalisation = 'signs' THEN
                CASE WHEN (direction > 0 AND value >= threshold)
                       OR (direction < 0 AND value <= threshold) THEN 1.0 ELSE 0.0 END
            WHEN normalisation = 'zscore' THEN (value - group_mean) / sd
            WHEN normalisation = 'min_max' THEN (value - lowest) / (highest - lowest)
            ELSE (value_rank - 1.0) / (n - 1.0)
        END AS scaled
    FROM joined
)
SELECT
    school_id,
    indicator,
    label AS indicator_label,
    factor,
    factor_label,
    factor_weight,
    value,
    group_mean,
    ref_group,
    is_share,
    weight,
    CASE WHEN direction > 0 THEN 'risk' ELSE 'protective' END AS direction,
    normalisation,
    used AS used_in_index,
    scaled,
    CASE
        WHEN direction > 0 OR normalisation = 'signs' THEN scaled
        WHEN normalisation = 'zscore' THEN -scaled
        ELSE 1.0 - scaled
    END AS aligned_score,
    -- What a reader sees: the value beside its group's mean («Доля
    -- обучающихся с ОВЗ 28,0 % при среднем 14,1 %»), so that a protective
    -- indicator shows its low value; a share in percent, a decimal comma.
    label || ' '
        || CASE WHEN is_share
            THEN REPLACE(CAST(ROUND(value * 100.0, 1) AS VARCHAR), '.', ',') || ' %'
            ELSE REPLACE(CAST(ROUND(value, 2) AS VARCHAR), '.', ',') END
        || ' при среднем '
        || CASE WHEN is_share
            THEN REPLACE(CAST(ROUND(group_mean * 100.0, 1) AS VARCHAR), '.', ',') || ' %'
            ELSE REPLACE(CAST(ROUND(group_mean, 2) AS VARCHAR), '.', ',') END AS value_shown
FROM measured
ORDER BY school_id, indicator
