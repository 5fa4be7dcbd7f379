"""The default methodology (federal-2025) written plainly in pandas, as an
analyst would, for the benchmark.

Usage: python pandas_impl.py DATA_DIR OUT_DIR [--delim ;] [--decimal-comma] [--cp1251]
"""
import glob
import math
import os
import sys

import numpy as np
import pandas as pd

data, out = sys.argv[1], sys.argv[2]
flags = sys.argv[3:]
delim = flags[flags.index("--delim") + 1] if "--delim" in flags else ","
decimal = "," if "--decimal-comma" in flags else "."
encoding = "cp1251" if "--cp1251" in flags else "utf-8"
os.makedirs(out, exist_ok=True)


def load(pattern, **csv):
    files = sorted(glob.glob(os.path.join(data, pattern)))
    frames = [pd.read_parquet(f) if f.endswith(".parquet") else pd.read_csv(f, **csv) for f in files]
    return pd.concat(frames, ignore_index=True)


schools = load("schools.*")
results = load("results/*", sep=delim, decimal=decimal, encoding=encoding)
results = results[results["school_id"].isin(schools["school_id"])]
minimum = {("ЕГЭ", "русский язык"): 24, ("ЕГЭ", "математика (профильная)"): 27}
mins = pd.Series(
    [minimum.get(k, np.nan) for k in zip(results["assessment"], results["subject"])], index=results.index
)
failed = np.where(results["mark"].notna(), results["mark"] == 2, results["score"] < mins)
results = results.assign(failed=failed.astype(int))
keys = ["school_id", "year", "assessment", "subject", "grade"]
p = results.groupby(keys).agg(n=("failed", "size"), f=("failed", "sum")).reset_index()
c = p[(p["n"] >= 10) & (p["f"] * 100 >= 30 * p["n"])]
cur = p["year"].max()
prev = p.loc[p["year"] < cur, "year"].max()
a = c[c["year"] == cur].groupby("school_id").size()
a = set(a[a >= 2].index)
k = ["school_id", "assessment", "subject", "grade"]
b = set(c[c["year"] == cur].merge(c[c["year"] == prev], on=k)["school_id"])
shnor = sorted(a | b)

survey = load("survey/*")
survey = survey[survey["year"] == survey["year"].max()].drop(columns=["year"])
long = survey.melt(id_vars="school_id", var_name="indicator", value_name="value").dropna(subset=["value"])
g = long.groupby("indicator")["value"]
long["z"] = (long["value"] - g.transform("mean")) / g.transform(lambda v: v.std(ddof=0))
long.loc[long["indicator"].str.contains("higher_ed"), "z"] *= -1
long = long[np.isfinite(long["z"])]
risk = long.groupby("school_id")["z"].mean().reset_index()
risk = risk.sort_values(["z", "school_id"], ascending=[False, True]).reset_index(drop=True)
top = math.ceil(len(risk) * 10 / 100)
shnsu = sorted(risk["school_id"].iloc[:top])

for name, ids in (("shnor_ids.txt", shnor), ("shnsu_ids.txt", shnsu)):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(ids) + "\n")
