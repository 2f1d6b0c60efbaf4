#!/usr/bin/python3
"""Baseline statistics for a CSV (mlpc stdlib: std.data.profile).

Writes JSON shaped like SageMaker Model Monitor's statistics.json:

  {"version": 0.0,
   "dataset": {"item_count": N},
   "features": [
     {"name": ..., "inferred_type": "Integral" | "Fractional",
      "numerical_statistics": {
        "common": {"num_present": n, "num_missing": m},
        "mean", "sum", "std_dev", "min", "max",
        "distribution": {"kll": {
          "buckets": [{"lower_bound", "upper_bound", "count"} x 10 equal-width],
          "sketch": {"parameters": {"c": 0.64, "k": 2048.0},
                     "data": [[q0, q.01, q.05, q.25, q.5, q.75, q.95, q.99, q1]]}}}}},
     {"name": ..., "inferred_type": "String",
      "string_statistics": {
        "common": {...}, "distinct_count": d,
        "distribution": {"categorical": {"buckets": [{"value", "count"}, ...]}}}}]}

std_dev is the population standard deviation.  Floats are rounded to 10
significant digits and keys are sorted, so output is deterministic.  Columns
with no present values are reported as String with no buckets.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import json
import math
import os
import sys

PROG = "profile.py"
QUANTILES = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0]
N_BUCKETS = 10


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


def read_csv(path, what="--data"):
    import pandas as pd
    if not os.path.exists(path):
        die("%s: file not found: %s" % (what, path))
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        die("%s: file is empty: %s" % (what, path))
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as e:
        die("%s: cannot read CSV %s: %s" % (what, path, str(e).strip()))
    if len(df.columns) == 0 or len(df) == 0:
        die("%s: no data rows in %s" % (what, path))
    return df


def fnum(x):
    """Stable float: 10 significant digits, no -0.0, no NaN/inf."""
    x = float(x)
    if not math.isfinite(x):
        return None
    v = float("%.10g" % x)
    return 0.0 if v == 0 else v


def numeric_feature(name, s, n_missing):
    import numpy as np
    v = s.dropna().to_numpy(dtype=np.float64)
    v = v[np.isfinite(v)]  # +/-inf cannot be bucketed; they are not counted
    if v.size == 0:
        return string_feature(name, s, n_missing)
    n = int(s.notna().sum())
    integral = bool(np.all(np.floor(v) == v))
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        edges = np.linspace(lo - 0.5, hi + 0.5, N_BUCKETS + 1)
    else:
        edges = np.linspace(lo, hi, N_BUCKETS + 1)
    counts, _ = np.histogram(v, bins=edges)
    buckets = [{"lower_bound": fnum(edges[i]), "upper_bound": fnum(edges[i + 1]),
                "count": fnum(counts[i])} for i in range(N_BUCKETS)]
    q = np.quantile(v, QUANTILES)
    total = float(np.sum(v))
    return {
        "name": name,
        "inferred_type": "Integral" if integral else "Fractional",
        "numerical_statistics": {
            "common": {"num_present": n, "num_missing": n_missing},
            "mean": fnum(total / v.size),
            "sum": fnum(total),
            "std_dev": fnum(np.std(v)),
            "min": fnum(lo),
            "max": fnum(hi),
            "distribution": {"kll": {
                "buckets": buckets,
                "sketch": {"parameters": {"c": 0.64, "k": 2048.0},
                           "data": [[fnum(x) for x in q]]},
            }},
        },
    }


def string_feature(name, s, n_missing):
    vals = s.dropna().astype(str)
    counts = {}
    for x in vals:
        counts[x] = counts.get(x, 0) + 1
    buckets = [{"value": k, "count": float(c)}
               for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": int(len(vals)), "num_missing": n_missing},
            "distinct_count": float(len(counts)),
            "distribution": {"categorical": {"buckets": buckets}},
        },
    }


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Compute baseline statistics of a CSV file in the shape of "
                    "SageMaker Model Monitor's statistics.json.")
    p.add_argument("--data", required=True, help="input CSV (with header row)")
    p.add_argument("--out", required=True, help="output statistics JSON path")
    args = p.parse_args(argv)

    import pandas as pd
    df = read_csv(args.data)
    features = []
    for col in df.columns:
        s = df[col]
        n_missing = int(s.isna().sum())
        present = len(s) - n_missing
        if (present > 0 and pd.api.types.is_numeric_dtype(s)
                and not pd.api.types.is_bool_dtype(s)):
            features.append(numeric_feature(str(col), s, n_missing))
        else:
            features.append(string_feature(str(col), s, n_missing))
    stats = {"version": 0.0, "dataset": {"item_count": int(len(df))}, "features": features}
    text = json.dumps(stats, sort_keys=True, indent=2, allow_nan=False) + "\n"
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        die("--out: cannot write %s: %s" % (args.out, e.strerror or e))
    n_num = sum(1 for f in features if "numerical_statistics" in f)
    print("profiled %d rows, %d features (%d numeric, %d string) -> %s"
          % (len(df), len(features), n_num, len(features) - n_num, args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
