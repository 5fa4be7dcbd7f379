-- Summary per municipality (the targets of municipal road maps, e.g. «доля
-- ШНОР от общего количества школ»).
--
-- Input tables:
--   schools_summary  school_id, municipality, is_shnor, is_shnsu,
--                    context_group, school_participants, school_failed
--                    (current year, procedures in scope with enough
--                    participants)
SELECT
    municipality,
    COUNT(*) AS schools,
    SUM(CASE WHEN is_shnor THEN 1 ELSE 0 END) AS shnor_schools,
    SUM(CASE WHEN is_shnor THEN 1 ELSE 0 END) * 1.0 / COUNT(*) AS shnor_share,
    SUM(CASE WHEN is_shnsu THEN 1 ELSE 0 END) AS shnsu_schools,
    SUM(CASE WHEN is_shnsu THEN 1 ELSE 0 END) * 1.0 / COUNT(*) AS shnsu_share,
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
