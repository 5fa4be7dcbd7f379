-- The ШНСУ risk score, rank and decision for every school with survey data.
--
-- Input tables:
--   indicators  long form of the survey: school_id, indicator, value (one
--               survey year, chosen by the run; missing values are absent)
--   weights     indicator, weight, direction (+1 risk, -1 protective)
--   params      one row with the methodology settings
--
-- Each indicator is standardised across the schools that report it (z-score
-- with the population standard deviation); protective indicators are
-- sign-reversed; a school's risk score is the weighted mean of the z-scores it
-- has. Indicators with no spread (every school equal) carry no information and
-- are skipped. Higher score = more social risk.
WITH stats AS (
    SELECT
        indicator,
        AVG(value) AS mean,
        -- STDDEV is the sample deviation; scale it to the population one.
        STDDEV(value) * SQRT((COUNT(value) - 1.0) / COUNT(value)) AS sd,
        COUNT(value) AS n
    FROM indicators
    GROUP BY indicator
),
standardised AS (
    SELECT
        i.school_id,
        i.indicator,
        w.weight,
        -- z as measured (above the mean > 0) and aligned so that higher = more risk
        (i.value - s.mean) / s.sd AS z_measured,
        w.direction * (i.value - s.mean) / s.sd AS z
    FROM indicators AS i
    INNER JOIN stats AS s ON s.indicator = i.indicator
    INNER JOIN weights AS w ON w.indicator = i.indicator
    WHERE s.n > 1 AND s.sd > 0
),
scored AS (
    SELECT
        school_id,
        SUM(weight * z) / SUM(weight) AS risk_score,
        -- The rank orders by risk descending, ties by school_id ascending;
        -- window ORDER BY takes one direction, so rank by the negated score.
        -SUM(weight * z) / SUM(weight) AS negated_risk,
        COUNT(*) AS indicators_used
    FROM standardised
    GROUP BY school_id
),
ranked AS (
    SELECT
        school_id,
        risk_score,
        indicators_used,
        ROW_NUMBER() OVER (ORDER BY negated_risk, school_id) AS risk_rank,
        COUNT(*) OVER () AS scored_schools
    FROM scored
),
contributions AS (
    SELECT
        school_id,
        indicator,
        z_measured,
        weight * z AS contribution,
        ROW_NUMBER() OVER (PARTITION BY school_id ORDER BY -weight * z, indicator) AS position
    FROM standardised
),
top_indicators AS (
    SELECT
        school_id,
        -- The indicators that raise the score most, with their measured z
        -- (a protective indicator appears with a negative z: it is low).
        STRING_AGG(indicator || ' (z = ' || REPLACE(CAST(ROUND(z_measured, 2) AS VARCHAR), '.', ',') || ')', ', '
                   ORDER BY position) AS top_indicators
    FROM contributions
    WHERE position <= 3 AND contribution > 0
    GROUP BY school_id
)
SELECT
    r.school_id,
    r.risk_score,
    r.risk_rank,
    r.scored_schools,
    r.indicators_used,
    -- top share: rank <= ceil(share * n), written without floating-point ceil:
    -- (rank - 1) * 100 < share_percent * n.
    CASE
        WHEN m.cut_by_top_share THEN (r.risk_rank - 1) * 100.0 < m.top_share_percent * r.scored_schools
        ELSE r.risk_score >= m.risk_cutoff
    END AS is_shnsu,
    t.top_indicators
FROM ranked AS r
CROSS JOIN params AS m
LEFT JOIN top_indicators AS t ON t.school_id = r.school_id
ORDER BY r.school_id
