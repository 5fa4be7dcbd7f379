-- Summary per municipality (the targets of municipal road maps, e.g. «доля
-- ШНОР от общего количества школ»).
--
-- Input tables:
--   schools_summary  school_id, municipality, is_shnor, is_shnsu,
--                    risk_score, context_group, school_participants,
--                    school_failed (current year, procedures in scope with
--                    enough participants), has_results (a procedure in scope
--                    in the current year)
--
-- The share of ШНОР is of the schools with results in scope (registry rows
-- without results — colleges, boarding schools — are counted in `schools`
-- but not in the share); the share of ШНСУ is of the schools with a risk
-- score.
SELECT
    municipality,
    COUNT(*) AS schools,
    SUM(CASE WHEN has_results THEN 1 ELSE 0 END) AS schools_with_results,
    SUM(CASE WHEN is_shnor THEN 1 ELSE 0 END) AS shnor_schools,
    CASE WHEN SUM(CASE WHEN has_results THEN 1 ELSE 0 END) > 0
        THEN SUM(CASE WHEN is_shnor THEN 1 ELSE 0 END) * 1.0
            / SUM(CASE WHEN has_results THEN 1 ELSE 0 END)
    END AS shnor_share,
    SUM(CASE WHEN is_shnsu THEN 1 ELSE 0 END) AS shnsu_schools,
    CASE WHEN COUNT(risk_score) > 0
        THEN SUM(CASE WHEN is_shnsu THEN 1 ELSE 0 END) * 1.0 / COUNT(risk_score)
    END AS shnsu_share,
    SUM(CASE WHEN is_shnor AND is_shnsu THEN 1 ELSE 0 END) AS both_schools,
    SUM(CASE WHEN context_group = 'resilient' THEN 1 ELSE 0 END) AS resilient_schools,
    COALESCE(SUM(CASE WHEN is_shnor THEN school_participants END), 0) AS shnor_participants,
    -- Share of participants in ШНОР schools who passed (1 - failed / participants).
    1.0 - SUM(CASE WHEN is_shnor THEN school_failed END) * 1.0
        / SUM(CASE WHEN is_shnor THEN school_participants END) AS shnor_pass_share,
    -- The objectivity index (ФИОКО): 100 minus the percent of the schools
    -- checked in the current year that have at least one sign.
    SUM(CASE WHEN objectivity_checked THEN 1 ELSE 0 END) AS objectivity_checked,
    SUM(CASE WHEN objectivity_signs > 0 THEN 1 ELSE 0 END) AS objectivity_flagged,
    CASE WHEN SUM(CASE WHEN objectivity_checked THEN 1 ELSE 0 END) > 0
        THEN 100.0 - 100.0 * SUM(CASE WHEN objectivity_signs > 0 THEN 1 ELSE 0 END)
            / SUM(CASE WHEN objectivity_checked THEN 1 ELSE 0 END)
    END AS objectivity_index
FROM schools_summary
GROUP BY municipality
ORDER BY municipality
