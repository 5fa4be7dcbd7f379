-- Adapter: Moscow open data «Результаты ЕГЭ» (data.mos.ru, dataset 9722,
-- published under the data.gov.ru terms), one row per school, as results.
--
-- Failure here is "fewer than 160 points over three subjects". Beware the
-- column names: PASSER_UNDER_160 counts graduates with 160 points OR MORE
-- (PASSES_OVER_220 <= PASSER_UNDER_160 <= PASSED_NUMBER_FULL on every row), so
-- the graduates below 160 are PASSED_NUMBER_FULL - PASSER_UNDER_160.
--
-- The table `raw` has the file's columns, named in snake case (id, edu_name,
-- passed_number_full, passer_under_160, year = '2015-2016', ...), as text.
SELECT
    id AS school_id,
    -- '2015-2016' is the school year; its exams are in 2016.
    TRY_CAST(SUBSTR(year, 6, 4) AS INTEGER) AS year,
    'ЕГЭ' AS assessment,
    'три предмета: менее 160 баллов' AS subject,
    11 AS grade,
    TRY_CAST(passed_number_full AS INTEGER) AS participants,
    TRY_CAST(passed_number_full AS INTEGER) - TRY_CAST(passer_under_160 AS INTEGER) AS failed
FROM raw
