-- The ШНСУ risk score, rank and decision for every school with survey data.
--
-- Input tables:
--   indicators  long form of the survey: school_id, indicator, value,
--               ref_group (the group the indicator is standardised in: the
--               whole region, the school's settlement type or its
--               municipality); one survey year, chosen by the run; missing
--               values are absent rows
--   weights     indicator, weight, direction (+1 risk, -1 protective), label
--               (as a reader sees it), is_share (shown in percent),
--               threshold (of a risk sign; null when none is set)
--   bands       label, min_score, listed (used when cut = 'bands')
--   params      one row with the methodology settings
--
-- Each indicator is put on a common scale within its reference group:
--   zscore     (x - mean) / population standard deviation
--   min_max    (x - min) / (max - min)
--   percentile (rank - 1) / (n - 1), ties sharing the lower rank
--   signs      1 when past the indicator's threshold (at or above it for a
--              risk, at or below it for a protective one), else 0; the score
--              is the weighted count of signs, and it needs no spread, so a
--              town of two schools is scored too
-- and aligned so that higher = more risk (protective indicators reversed). A
-- school's risk score is the weighted mean of the aligned values it has; a
-- school with fewer than min_indicators of them is not scored (its row keeps
-- indicators_used, with no score, rank or decision).
-- Indicators with no spread in a group carry no information there and are
-- skipped.
WITH stats AS (
    SELECT
        indicator,
        ref_group,
        AVG(value) AS mean,
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
measured AS (
    SELECT
        r.school_id,
        r.indicator,
        r.value,
        s.mean,
        w.label,
        w.is_share,
        w.weight,
        w.direction,
        m.normalisation,
        CASE
            WHEN m.normalisation = 'signs' THEN
                CASE WHEN (w.direction > 0 AND r.value >= w.threshold)
                       OR (w.direction < 0 AND r.value <= w.threshold) THEN 1.0 ELSE 0.0 END
            WHEN m.normalisation = 'zscore' THEN (r.value - s.mean) / s.sd
            WHEN m.normalisation = 'min_max' THEN (r.value - s.lowest) / (s.highest - s.lowest)
            ELSE (r.value_rank - 1.0) / (s.n - 1.0)
        END AS scaled
    FROM ranked_values AS r
    INNER JOIN stats AS s ON s.indicator = r.indicator AND s.ref_group = r.ref_group
    INNER JOIN weights AS w ON w.indicator = r.indicator
    CROSS JOIN params AS m
    WHERE (m.normalisation = 'signs' AND w.threshold IS NOT NULL)
       OR (m.normalisation <> 'signs' AND s.n > 1 AND s.highest > s.lowest)
),
standardised AS (
    SELECT
        school_id,
        indicator,
        value,
        mean,
        label,
        is_share,
        weight,
        normalisation,
        scaled,
        CASE
            WHEN direction > 0 OR normalisation = 'signs' THEN scaled
            WHEN normalisation = 'zscore' THEN -scaled
            ELSE 1.0 - scaled
        END AS aligned
    FROM measured
),
weighted AS (
    SELECT
        school_id,
        -- Signs are counted; scaled values are averaged.
        CASE WHEN MAX(normalisation) = 'signs' THEN SUM(weight * aligned)
             ELSE SUM(weight * aligned) / SUM(weight) END AS risk_score,
        COUNT(*) AS indicators_used
    FROM standardised
    GROUP BY school_id
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
contributions AS (
    SELECT
        school_id,
        indicator,
        value,
        mean,
        label,
        is_share,
        normalisation,
        scaled,
        aligned,
        ROW_NUMBER() OVER (PARTITION BY school_id ORDER BY -weight * aligned, indicator) AS position
    FROM standardised
),
top_indicators AS (
    SELECT
        school_id,
        -- The indicators that raise the score most: the school's value
        -- beside the mean of its reference group («Доля обучающихся с ОВЗ
        -- 28,0 % при среднем 14,1 %»), so that a protective indicator shows
        -- its low value; a share in percent, a decimal comma.
        STRING_AGG(
            label || ' '
                || CASE WHEN is_share
                    THEN REPLACE(CAST(ROUND(value * 100.0, 1) AS VARCHAR), '.', ',') || ' %'
                    ELSE REPLACE(CAST(ROUND(value, 2) AS VARCHAR), '.', ',') END
                || ' при среднем '
                || CASE WHEN is_share
                    THEN REPLACE(CAST(ROUND(mean * 100.0, 1) AS VARCHAR), '.', ',') || ' %'
                    ELSE REPLACE(CAST(ROUND(mean, 2) AS VARCHAR), '.', ',') END,
            '; ' ORDER BY position) AS top_indicators
    FROM contributions
    WHERE position <= 3
      -- Only indicators on the risky side: above the mean (z > 0) or above
      -- the middle of a 0–1 scale.
      AND aligned > CASE WHEN normalisation = 'zscore' THEN 0.0 ELSE 0.5 END
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
