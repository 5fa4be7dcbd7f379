"""Benchmark harness: shnor against DuckDB and pandas on the same generated
files, with the same methodology (federal-2025). Wall time and peak RSS per
run (medians of several runs), and a check that the three produce the same
ШНОР and ШНСУ lists.

Usage: python bench/bench.py [--sizes 2000,10000,40000] [--formats csv,parquet]
                             [--runs 3] [--pandas-max 10000] [--threads 2]
Run through bench/run.sh, which prepares the virtual environment and the
release build.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
WORK = os.path.join(BENCH, "work")
# SHNOR_BIN: another build to measure (e.g. a copy, while the tree is rebuilt).
# Otherwise the build run.sh just made, wherever CARGO_TARGET_DIR puts it.
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
SHNOR = os.environ.get("SHNOR_BIN") or os.path.join(os.path.abspath(TARGET), "release", "shnor")


def measure(cmd, env=None):
    """Runs a command; returns (seconds, peak RSS in MB) of that process tree's
    largest process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def ids(path):
    with open(path) as f:
        return sorted(line.strip() for line in f if line.strip())


def shnor_ids(out, name):
    with open(os.path.join(out, f"{name}.csv")) as f:
        next(f)
        return sorted(line.split(",", 1)[0] for line in f if line.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,10000,40000")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandas-max", type=int, default=10000, help="largest size pandas runs at")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    py = sys.executable
    env = dict(os.environ, POLARS_MAX_THREADS=str(args.threads))
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for fmt in args.formats.split(","):
            data = os.path.join(WORK, f"data-{size}-{fmt}")
            if not os.path.isdir(data):
                subprocess.run([SHNOR, "sample", "--student-level", "--schools", str(size), "--years",
                                "2023,2024,2025", "--format", fmt, "--out", data], check=True,
                               stderr=subprocess.DEVNULL)
            peers = {
                "shnor": [SHNOR, "run", data, "--out", os.path.join(WORK, "out-shnor")],
                "duckdb": [py, os.path.join(BENCH, "duckdb_impl.py"), data, os.path.join(WORK, "out-duckdb"),
                           str(args.threads)],
            }
            if size <= args.pandas_max:
                peers["pandas"] = [py, os.path.join(BENCH, "pandas_impl.py"), data, os.path.join(WORK, "out-pandas")]
            timings = {}
            for name, cmd in peers.items():
                runs = [measure(cmd, env) for _ in range(args.runs)]
                timings[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
            lists = {
                "shnor": (shnor_ids(os.path.join(WORK, "out-shnor"), "shnor"),
                          shnor_ids(os.path.join(WORK, "out-shnor"), "shnsu")),
            }
            for name in peers:
                if name != "shnor":
                    out = os.path.join(WORK, f"out-{name}")
                    lists[name] = (ids(os.path.join(out, "shnor_ids.txt")), ids(os.path.join(out, "shnsu_ids.txt")))
            same = all(v == lists["shnor"] for v in lists.values())
            rows.append((size, fmt, timings, same, len(lists["shnor"][0]), len(lists["shnor"][1])))
            print_table(rows, args)
            if not same:
                sys.exit("the implementations disagree on the lists")


def print_table(rows, args):
    print(f"\n{'schools':>8} {'format':>7} | {'shnor s':>8} {'MB':>6} | {'duckdb s':>8} {'MB':>6} | "
          f"{'pandas s':>8} {'MB':>6} | {'shnor/duckdb':>12} {'pandas/shnor':>12} | lists")
    for size, fmt, t, same, n_shnor, n_shnsu in rows:
        s, d = t["shnor"], t["duckdb"]
        p = t.get("pandas")
        pandas_cells = f"{p[0]:8.2f} {p[1]:6.0f}" if p else f"{'skipped':>8} {'':>6}"
        ratio_pandas = f"{p[0] / s[0]:12.1f}" if p else f"{'—':>12}"
        print(f"{size:>8} {fmt:>7} | {s[0]:8.2f} {s[1]:6.0f} | {d[0]:8.2f} {d[1]:6.0f} | {pandas_cells} | "
              f"{s[0] / d[0]:12.2f} {ratio_pandas} | {'same' if same else 'DIFFER'} "
              f"({n_shnor} ШНОР, {n_shnsu} ШНСУ)")
    print(f"(medians of {args.runs} runs; {args.threads} threads; peak RSS of the process)", flush=True)


if __name__ == "__main__":
    main()
