"""The default methodology (federal-2025) in DuckDB SQL, for the benchmark.

Usage: python duckdb_impl.py DATA_DIR OUT_DIR [threads]
Reads the student-level data contract (results/*.csv|parquet, schools, survey)
and writes shnor_ids.txt and shnsu_ids.txt (sorted school ids).
"""
import os
import sys

import duckdb

data, out = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
os.makedirs(out, exist_ok=True)
fmt = "parquet" if any(f.endswith(".parquet") for f in os.listdir(os.path.join(data, "results"))) else "csv"
read = "read_parquet" if fmt == "parquet" else "read_csv"
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
types = (
    ", types = {'year': 'INTEGER', 'grade': 'INTEGER', 'mark': 'INTEGER', 'score': 'DOUBLE', "
    "'school_id': 'VARCHAR', 'participant_id': 'VARCHAR'}"
    if fmt == "csv" else ""
)
results = f"{read}('{data}/results/*.{fmt}', union_by_name = true{types})"
survey = f"{read}('{data}/survey/*.{fmt}', union_by_name = true)"
schools = f"{read}('{data}/schools.{fmt}')"

shnor = con.execute(f"""
WITH min_scores(assessment, subject, min_score) AS (VALUES
    ('ЕГЭ', 'русский язык', 24), ('ЕГЭ', 'математика (профильная)', 27)),
r AS (
    SELECT r.school_id, r.year, r.assessment, r.subject, r.grade,
           CASE WHEN r.mark IS NOT NULL THEN r.mark = 2 ELSE r.score < m.min_score END AS failed
    FROM {results} r LEFT JOIN min_scores m USING (assessment, subject)
    WHERE r.school_id IN (SELECT school_id FROM {schools})),
p AS (
    SELECT school_id, year, assessment, subject, grade, count(*) AS n, sum(failed::INT) AS f
    FROM r GROUP BY ALL),
c AS (SELECT * FROM p WHERE n >= 10 AND f * 100 >= 30 * n),
y AS (SELECT max(year) AS cur FROM p),
y2 AS (SELECT max(year) AS prev FROM p, y WHERE year < cur),
a AS (SELECT school_id FROM c, y WHERE year = cur GROUP BY school_id HAVING count(*) >= 2),
b AS (SELECT DISTINCT c1.school_id FROM c c1 JOIN c c2 USING (school_id, assessment, subject, grade), y, y2
      WHERE c1.year = cur AND c2.year = prev)
SELECT school_id FROM a UNION SELECT school_id FROM b ORDER BY school_id
""").fetchall()

shnsu = con.execute(f"""
WITH s AS (SELECT * FROM {survey}),
cur AS (SELECT max(year) AS y FROM s),
long AS (UNPIVOT (SELECT s.* EXCLUDE (year) FROM s, cur WHERE s.year = cur.y)
         ON COLUMNS(* EXCLUDE (school_id)) INTO NAME indicator VALUE value),
z AS (
    SELECT school_id, indicator,
           (value - avg(value) OVER w) / stddev_pop(value) OVER w
             * CASE WHEN indicator LIKE '%higher_ed%' THEN -1 ELSE 1 END AS z
    FROM long WHERE value IS NOT NULL
    WINDOW w AS (PARTITION BY indicator)),
scored AS (SELECT school_id, avg(z) AS risk FROM z WHERE z IS NOT NULL AND isfinite(z) GROUP BY school_id),
ranked AS (SELECT school_id, row_number() OVER (ORDER BY risk DESC, school_id) AS rk, count(*) OVER () AS n FROM scored)
SELECT school_id FROM ranked WHERE (rk - 1) * 100 < 10 * n ORDER BY school_id
""").fetchall()

for name, rows in (("shnor_ids.txt", shnor), ("shnsu_ids.txt", shnsu)):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(r[0] for r in rows) + "\n")
