-- The municipal and regional targets of the road map against the run's
-- figures: one row per area × target.
--
-- Input tables:
--   areas    municipality (the area's name), level ('region' or
--            'municipality'), and the figures of municipalities.sql:
--            shnor_share, shnsu_share, shnor_pass_share, objectivity_index
--   targets  indicator, target, target_kind ('at_most' or 'at_least'),
--            municipality (null: the region and every municipality), source
--
-- A target is met when the figure is at most (at least) the target; with no
-- figure (no school with results, no ШНОР school) it is neither: `met` is
-- empty.
WITH applied AS (
    SELECT a.*, t.indicator, t.target, t.target_kind, t.source
    FROM areas AS a
    CROSS JOIN targets AS t
    WHERE t.municipality IS NULL OR t.municipality = a.municipality
),
valued AS (
    SELECT
        municipality,
        level,
        indicator,
        CASE indicator
            WHEN 'shnor_share' THEN shnor_share
            WHEN 'shnsu_share' THEN shnsu_share
            WHEN 'shnor_pass_share' THEN shnor_pass_share
            WHEN 'objectivity_index' THEN objectivity_index
        END AS actual,
        target,
        target_kind,
        source
    FROM applied
)
SELECT
    municipality,
    level,
    indicator,
    actual,
    target,
    target_kind,
    CASE
        WHEN actual IS NULL THEN NULL
        WHEN target_kind = 'at_most' THEN actual <= target
        ELSE actual >= target
    END AS met,
    source
FROM valued
ORDER BY level DESC, municipality, indicator
