-- Adapter: the school registry from the same Moscow ЕГЭ export (dataset
-- 9722): the school's ID, its full name and its administrative okrug.
SELECT
    id AS school_id,
    edu_name AS school_name,
    admarea AS municipality
FROM raw
