"""The default methodology (federal-2025) in DuckDB SQL, for the benchmark.

Usage: python duckdb_impl.py DATA_DIR OUT_DIR [threads] [--same-checks]
                             [--delim ;] [--decimal-comma] [--cp1251]

Reads the student-level data contract (results/*.csv|parquet, schools, survey)
and writes shnor_ids.txt and shnsu_ids.txt (sorted school ids).

Two variants:
- the lists (default): one group-by per procedure and the 30 % rule, nothing
  else — the least any implementation must do;
- --same-checks: what shnor does beyond it on every row — each procedure's
  distinct participants counted against its rows (the repeated-participant
  check), and the procedures table written as Parquet.

--cp1251: the CSV files are Windows-1251, which this DuckDB cannot decode
(its `encodings` extension is downloaded from the network): they are
converted with iconv into OUT_DIR first, and the time is counted.
"""
import argparse
import glob
import os
import shutil
import subprocess

import duckdb

ap = argparse.ArgumentParser()
ap.add_argument("data")
ap.add_argument("out")
ap.add_argument("threads", nargs="?", type=int, default=2)
ap.add_argument("--same-checks", action="store_true")
ap.add_argument("--delim", default=",")
ap.add_argument("--decimal-comma", action="store_true")
ap.add_argument("--cp1251", action="store_true")
args = ap.parse_args()
data, out = args.data, args.out
os.makedirs(out, exist_ok=True)
files = os.listdir(os.path.join(data, "results"))
fmt = "parquet" if any(f.endswith(".parquet") for f in files) else "csv"
read = "read_parquet" if fmt == "parquet" else "read_csv"
results_glob = f"{data}/results/*.{fmt}"
if args.cp1251:
    utf8 = os.path.join(out, "results-utf8")
    shutil.rmtree(utf8, ignore_errors=True)
    os.makedirs(utf8)
    for f in sorted(glob.glob(results_glob)):
        with open(os.path.join(utf8, os.path.basename(f)), "wb") as target:
            subprocess.run(["iconv", "-f", "CP1251", "-t", "UTF-8", f], stdout=target, check=True)
    results_glob = f"{utf8}/*.csv"
con = duckdb.connect()
con.execute(f"SET threads = {args.threads}")
options = ""
if fmt == "csv":
    options = (
        ", types = {'year': 'INTEGER', 'grade': 'INTEGER', 'mark': 'INTEGER', 'score': 'DOUBLE', "
        "'school_id': 'VARCHAR', 'participant_id': 'VARCHAR'}"
        f", delim = '{args.delim}'"
        + (", decimal_separator = ','" if args.decimal_comma else "")
    )
results = f"{read}('{results_glob}', union_by_name = true{options})"
survey = f"{read}('{data}/survey/*.{fmt}', union_by_name = true)"
schools = f"{read}('{data}/schools.{fmt}')"

distinct = ", count(DISTINCT participant_id) AS distinct_participants" if args.same_checks else ""
con.execute(f"""
CREATE TEMP TABLE p AS
WITH min_scores(assessment, subject, min_score) AS (VALUES
    ('ЕГЭ', 'русский язык', 24), ('ЕГЭ', 'математика (профильная)', 27)),
r AS (
    SELECT r.school_id, r.year, r.assessment, r.subject, r.grade, r.participant_id,
           CASE WHEN r.mark IS NOT NULL THEN r.mark = 2 ELSE r.score < m.min_score END AS failed
    FROM {results} r LEFT JOIN min_scores m USING (assessment, subject)
    WHERE r.school_id IN (SELECT school_id FROM {schools}))
SELECT school_id, year, assessment, subject, grade, count(*) AS n, sum(failed::INT) AS f{distinct}
FROM r GROUP BY school_id, year, assessment, subject, grade
""")
if args.same_checks:
    repeated = con.execute("SELECT count(*) FROM p WHERE distinct_participants < n").fetchone()[0]
    if repeated:
        raise SystemExit(f"{repeated} procedures with a repeated participant: the bench data has none")
    con.execute(f"COPY p TO '{out}/procedures.parquet' (FORMAT parquet)")

shnor = con.execute("""
WITH c AS (SELECT * FROM p WHERE n >= 10 AND f * 100 >= 30 * n),
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
