"""Benchmark harness: shnor against DuckDB and pandas on the same data, laid
out as real exports are, with the same methodology (federal-2025). Wall time
and peak RSS per run (medians of several runs), and a check that every
implementation produces the same ШНОР and ШНСУ lists.

Usage: python bench/bench.py [--sizes 2000,10000,40000]
                             [--layouts per-file,national,small-files]
                             [--formats csv,parquet,cp1251] [--runs 3]
                             [--pandas-max 10000] [--small-max 10000] [--threads 2]

Layouts (each generated once into bench/work/ from `shnor sample --student-level`):
- per-file: one file per year × assessment (× grade), as the generator writes;
- national: every result in one file (results/all.parquet or all.csv), sorted
  by school and year as a national export is; `cp1251` is that CSV in
  Windows-1251 with `;` and a decimal comma;
- small-files: the results of every ten schools in their own file (a region
  as hundreds of small files; sizes up to --small-max).

Peers: `shnor run`; DuckDB «the lists» (the group-by and the rule only);
DuckDB «the same checks» (also each procedure's distinct participants, the
repeated-participant check, and the procedures table written as Parquet);
pandas (up to --pandas-max schools).

Run through bench/run.sh, which prepares the virtual environment and the
release build.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
WORK = os.path.join(BENCH, "work")
# SHNOR_BIN: another build to measure (e.g. a copy, while the tree is rebuilt).
# Otherwise the build run.sh just made, wherever CARGO_TARGET_DIR puts it.
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
SHNOR = os.environ.get("SHNOR_BIN") or os.path.join(os.path.abspath(TARGET), "release", "shnor")
CP1251_FLAGS = ["--delim", ";", "--decimal-comma", "--cp1251"]
# Raised whenever `shnor sample` changes what it writes: data sets made by an
# older generator are made again (2: about 40 schools per municipality).
GENERATOR = "2"


def measure(cmd, env=None):
    """Runs a command; returns (seconds, peak RSS in MB) of that process tree's
    largest process."""
    # stderr goes to a file: a pipe read only at the end fills up (64 KB)
    # with a run's line per input file, and the run waits on it forever.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"failed: {' '.join(cmd)}\n{err.read().decode(errors='replace')}")
    return elapsed, usage.ru_maxrss / 1024


def ids(path):
    with open(path) as f:
        return sorted(line.strip() for line in f if line.strip())


def shnor_ids(out, name):
    with open(os.path.join(out, f"{name}.csv")) as f:
        next(f)
        return sorted(line.split(",", 1)[0] for line in f if line.strip())


def duck(*statements):
    """Runs DuckDB statements in a child process. The harness itself must stay
    small: Linux carries a process's peak RSS across exec, so every peer it
    starts would report at least the harness's own peak."""
    code = ("import duckdb, sys\ncon = duckdb.connect()\n"
            "con.execute('SET enable_progress_bar = false')\n"
            "for s in sys.argv[1:]:\n    con.execute(s)")
    subprocess.run([sys.executable, "-c", code, *statements], check=True)


def per_file(size, fmt):
    """The generator's own layout."""
    data = os.path.join(WORK, f"data-{size}-{fmt}")
    if not os.path.isdir(data):
        subprocess.run([SHNOR, "sample", "--student-level", "--schools", str(size), "--years",
                        "2023,2024,2025", "--format", fmt, "--out", data], check=True,
                       stderr=subprocess.DEVNULL)
    return data


def beside_results(source, target):
    """A new layout folder with the source's registry and survey."""
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.join(target, "results"))
    for f in glob.glob(os.path.join(source, "schools.*")):
        shutil.copy(f, target)
    shutil.copytree(os.path.join(source, "survey"), os.path.join(target, "survey"))


def reader(source, fmt):
    read = "read_parquet" if fmt == "parquet" else "read_csv"
    return f"{read}('{source}/results/*.{fmt}', union_by_name = true)"


def national(size, fmt):
    """Every result in one file, in school and year order."""
    data = os.path.join(WORK, f"national-{size}-{fmt}")
    if os.path.isdir(data):
        return data
    base_fmt = "parquet" if fmt == "parquet" else "csv"
    source = per_file(size, base_fmt)
    partial = data + ".partial"
    beside_results(source, partial)
    rows = f"SELECT * FROM {reader(source, base_fmt)} ORDER BY school_id, year, assessment, subject, grade"
    if fmt == "parquet":
        duck(f"COPY ({rows}) TO '{partial}/results/all.parquet' (FORMAT parquet)")
    elif fmt == "csv":
        duck(f"COPY ({rows}) TO '{partial}/results/all.csv' (FORMAT csv)")
    else:
        utf8 = os.path.join(partial, "all-utf8.csv")
        comma = f"SELECT * REPLACE (replace(CAST(score AS VARCHAR), '.', ',') AS score) FROM ({rows})"
        duck(f"COPY ({comma}) TO '{utf8}' (FORMAT csv, DELIMITER ';')")
        with open(os.path.join(partial, "results", "all.csv"), "wb") as target:
            subprocess.run(["iconv", "-f", "UTF-8", "-t", "CP1251", utf8], stdout=target, check=True)
        os.remove(utf8)
    os.rename(partial, data)
    return data


def small_files(size, fmt):
    """The results of every ten schools in their own file."""
    data = os.path.join(WORK, f"small-{size}-{fmt}")
    if os.path.isdir(data):
        return data
    source = per_file(size, fmt)
    partial = data + ".partial"
    beside_results(source, partial)
    parts = os.path.join(partial, "parts")
    batches = max(size // 10, 1)
    duck(f"""COPY (SELECT *, hash(school_id) % {batches} AS batch FROM {reader(source, fmt)}
                    ORDER BY school_id, year, assessment, subject, grade)
                    TO '{parts}' (FORMAT {fmt}, PARTITION_BY (batch))""")
    for f in glob.glob(os.path.join(parts, "batch=*", f"*.{fmt}")):
        batch = os.path.basename(os.path.dirname(f)).split("=")[1]
        os.rename(f, os.path.join(partial, "results", f"part_{int(batch):05d}.{fmt}"))
    shutil.rmtree(parts)
    os.rename(partial, data)
    return data


# The 2021 ФИС ОКО protocol layout (as `shnor sample` writes it): one row per
# participant, no mark — the total primary score, which the ВПР scale turns into one.
PROTOCOL_HEADER = ["логин школы", "регион", "номер обучающегося", "код обучающегося",
                   "отметка за предыдущую четверть/триместр", "пол", "класс", "вариант",
                   "всего баллов", "балл за 1", "балл за 2"]
DATIVE = {"математика": "математике", "русский язык": "русскому языку"}


def vpr_scales():
    """(subject, grade) → the highest total of «2», «3» and «4», from the project's table."""
    import csv
    scales = {}
    with open(os.path.join(ROOT, "reference", "vpr-scales.csv"), encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for r in rows:
            if r["assessment"] == "ВПР":
                scales[(r["subject"], int(r["grade"]))] = (int(r["max_2"]), int(r["max_3"]), int(r["max_4"]))
    return scales


def fisoko(size):
    """The ВПР results of a region as ФИС ОКО protocols: one workbook per subject,
    grade and year, named as downloaded, each participant's total chosen inside the
    band of the mark the generator gave (so every peer's lists stay the same); ОГЭ and
    ЕГЭ stay CSV. The peers read the CSV files it was made from: this DuckDB reads
    no XLSX without downloading an extension."""
    data = os.path.join(WORK, f"fisoko-{size}-xlsx")
    if os.path.isdir(data):
        return data
    source = per_file(size, "csv")
    partial = data + ".partial"
    beside_results(source, partial)
    code = f"""
import csv, glob, os, shutil, sys, xlsxwriter
sys.path.insert(0, {BENCH!r})
import bench
scales = bench.vpr_scales()
for path in sorted(glob.glob(os.path.join({source!r}, "results", "*.csv"))):
    name = os.path.basename(path)
    if not name.startswith("vpr_"):
        shutil.copy(path, os.path.join({partial!r}, "results", name))
        continue
    by_subject = {{}}
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            by_subject.setdefault(r["subject"], []).append(r)
    for subject, rows in by_subject.items():
        year, grade = rows[0]["year"], int(rows[0]["grade"])
        top = scales[(subject, grade)]
        book = xlsxwriter.Workbook(os.path.join({partial!r}, "results",
            f"Проведение работы по {{bench.DATIVE[subject]}}, {{grade}} класс. ВПР {{year}}.xlsx"),
            {{"constant_memory": True}})
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, bench.PROTOCOL_HEADER)
        number = {{}}
        for i, r in enumerate(rows, start=1):
            mark = int(r["mark"])
            total = top[mark - 2] if mark < 5 else top[2] + 1
            n = number[r["school_id"]] = number.get(r["school_id"], 0) + 1
            sheet.write_row(i, 0, [r["school_id"], "Учебный регион", n, r["participant_id"], mark,
                                   "ж" if n % 2 else "м", "а", 1 + n % 2, total, 1, "X"])
        book.close()
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    os.rename(partial, data)
    return data


def datasets(args):
    """(layout, size, format, folder) of every data set asked for."""
    formats = args.formats.split(",")
    for size in [int(s) for s in args.sizes.split(",")]:
        for layout in args.layouts.split(","):
            for fmt in formats:
                if layout == "per-file" and fmt != "cp1251":
                    yield layout, size, fmt, per_file(size, fmt)
                elif layout == "national":
                    yield layout, size, fmt, national(size, fmt)
                elif layout == "small-files" and fmt != "cp1251" and size <= args.small_max:
                    yield layout, size, fmt, small_files(size, fmt)
                elif layout == "fisoko" and fmt == "csv" and size <= args.small_max:
                    yield layout, size, "xlsx", fisoko(size)


def folder_mb(path):
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(path, "results", "*"))) / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,10000,40000")
    ap.add_argument("--layouts", default="per-file,national,small-files,fisoko")
    ap.add_argument("--formats", default="csv,parquet,cp1251")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandas-max", type=int, default=10000, help="largest size pandas runs at")
    ap.add_argument("--small-max", type=int, default=10000, help="largest size laid out as small files")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    stamp = os.path.join(WORK, "GENERATOR")
    if not os.path.exists(stamp) or open(stamp).read().strip() != GENERATOR:
        for old in glob.glob(os.path.join(WORK, "*")):
            if os.path.isdir(old):
                shutil.rmtree(old)
        with open(stamp, "w") as f:
            f.write(GENERATOR + "\n")
    py = sys.executable
    env = dict(os.environ, POLARS_MAX_THREADS=str(args.threads))
    rows = []
    for layout, size, fmt, data in datasets(args):
        flags = CP1251_FLAGS if fmt == "cp1251" else []
        # The peers read the CSV files the protocols were made from.
        peer_data = per_file(size, "csv") if layout == "fisoko" else data
        duckdb_cmd = [py, os.path.join(BENCH, "duckdb_impl.py"), peer_data]
        peers = {
            "shnor": [SHNOR, "run", data, "--out", os.path.join(WORK, "out-shnor")],
            "lists": duckdb_cmd + [os.path.join(WORK, "out-lists"), str(args.threads)] + flags,
            "same": duckdb_cmd + [os.path.join(WORK, "out-same"), str(args.threads), "--same-checks"] + flags,
        }
        if size <= args.pandas_max:
            peers["pandas"] = [py, os.path.join(BENCH, "pandas_impl.py"), peer_data,
                               os.path.join(WORK, "out-pandas")] + flags
        timings = {}
        for name, cmd in peers.items():
            runs = [measure(cmd, env) for _ in range(args.runs)]
            timings[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        shnor_out = os.path.join(WORK, "out-shnor")
        lists = {"shnor": (shnor_ids(shnor_out, "shnor"), shnor_ids(shnor_out, "shnsu"))}
        for name in peers:
            if name != "shnor":
                out = os.path.join(WORK, f"out-{name}")
                lists[name] = (ids(os.path.join(out, "shnor_ids.txt")), ids(os.path.join(out, "shnsu_ids.txt")))
        same = all(v == lists["shnor"] for v in lists.values())
        files = len(os.listdir(os.path.join(data, "results")))
        rows.append((layout, size, fmt, files, folder_mb(data), timings, same,
                     len(lists["shnor"][0]), len(lists["shnor"][1])))
        print_table(rows, args)
        if not same:
            sys.exit("the implementations disagree on the lists")


def print_table(rows, args):
    print("\n| layout | schools | format | files | MB | shnor s | shnor MB | DuckDB lists s | MB "
          "| DuckDB same checks s | MB | pandas s | MB | shnor / lists | shnor / same | lists |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for layout, size, fmt, files, mb, t, same, n_shnor, n_shnsu in rows:
        s, d, c = t["shnor"], t["lists"], t["same"]
        p = t.get("pandas")
        pandas_cells = f"{p[0]:.2f} | {p[1]:.0f}" if p else "skipped | "
        print(f"| {layout} | {size} | {fmt} | {files} | {mb:.0f} | {s[0]:.2f} | {s[1]:.0f} | {d[0]:.2f} | "
              f"{d[1]:.0f} | {c[0]:.2f} | {c[1]:.0f} | {pandas_cells} | {s[0] / d[0]:.2f} | "
              f"{s[0] / c[0]:.2f} | {'same' if same else 'DIFFER'} ({n_shnor} ШНОР, {n_shnsu} ШНСУ) |")
    print(f"(medians of {args.runs} runs; {args.threads} threads; peak RSS of the process)", flush=True)


if __name__ == "__main__":
    main()
