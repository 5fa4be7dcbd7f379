-- The contextual view: one row per registry school with its context group.
--
-- Input tables:
--   schools       the registry
--   decisions     school_id, is_shnor, is_shnsu, risk_score
--   context_fit   school_id, school_participants, school_fail_share,
--                 expected_share, residual, std_residual (the weighted
--                 regression of the failure share on the risk score, computed
--                 by the run; schools without a score or results are absent)
--   params        resilient_max_std_residual, poor_conditions_min_risk
--
-- Groups: both (ШНОР and ШНСУ), shnor_only, shnsu_only, resilient (poor
-- conditions, not ШНОР, results clearly better than expected), neither.
WITH joined AS (
    SELECT
        s.school_id,
        d.is_shnor,
        d.is_shnsu,
        f.school_participants,
        f.school_fail_share,
        f.expected_share,
        f.residual,
        f.std_residual,
        COALESCE(d.risk_score >= m.poor_conditions_min_risk, FALSE) AS poor_conditions,
        COALESCE(f.std_residual < m.resilient_max_std_residual, FALSE) AS better_than_expected
    FROM schools AS s
    CROSS JOIN params AS m
    LEFT JOIN decisions AS d ON d.school_id = s.school_id
    LEFT JOIN context_fit AS f ON f.school_id = s.school_id
)
SELECT
    school_id,
    school_participants,
    school_fail_share,
    expected_share,
    residual,
    std_residual,
    CASE
        WHEN is_shnor AND is_shnsu THEN 'both'
        WHEN is_shnor THEN 'shnor_only'
        WHEN poor_conditions AND better_than_expected THEN 'resilient'
        WHEN is_shnsu THEN 'shnsu_only'
        ELSE 'neither'
    END AS context_group
FROM joined
ORDER BY school_id
