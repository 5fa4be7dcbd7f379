#!/usr/bin/env bash
# One command: prepares a virtual environment with DuckDB and pandas (from the
# package index), builds shnor in release mode, and runs the harness.
#   bench/run.sh                      # regional, large region and national sizes
#   bench/run.sh --sizes 2000 --runs 1  # a quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bench/.venv/bin/python -c "import duckdb, pandas, pyarrow, xlsxwriter" 2>/dev/null; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet duckdb pandas pyarrow xlsxwriter
fi
cargo build --release --quiet
bench/.venv/bin/python bench/bench.py "$@"
