#!/usr/bin/python3
"""Split a CSV into train and test CSVs (mlpc stdlib: std.data.split).

Uses sklearn.model_selection.train_test_split with the given seed, optionally
stratified on a column (--stratify '' means no stratification).  Output CSVs
keep the header, have no index column and use float_format '%.10g', so the
same input bytes and arguments give byte-identical outputs.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import math
import os
import sys

PROG = "split.py"


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


def write_csv(df, path, what):
    try:
        df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    except OSError as e:
        die("%s: cannot write %s: %s" % (what, path, e.strerror or e))


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Split a CSV file into train and test CSV files (seeded, "
                    "optionally stratified).")
    p.add_argument("--data", required=True, help="input CSV (with header row)")
    p.add_argument("--test-fraction", type=float, required=True,
                   help="fraction of rows for the test set, in (0, 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--stratify", default="",
                   help="column to stratify on ('' = no stratification)")
    p.add_argument("--train", required=True, help="output train CSV path")
    p.add_argument("--test", required=True, help="output test CSV path")
    args = p.parse_args(argv)

    f = args.test_fraction
    if not (math.isfinite(f) and 0.0 < f < 1.0):
        die("--test-fraction must be strictly between 0 and 1 (got %g)" % f)
    if not (0 <= args.seed <= 2**32 - 1):
        die("--seed must be in [0, 2^32-1] (got %d)" % args.seed)
    if os.path.abspath(args.train) == os.path.abspath(args.test):
        die("--train and --test must be different paths")

    df = read_csv(args.data)
    if len(df) < 2:
        die("--data: need at least 2 rows to split (got %d)" % len(df))
    strat = None
    if args.stratify:
        if args.stratify not in df.columns:
            die("--stratify: column '%s' not found in %s (columns: %s)"
                % (args.stratify, args.data, ", ".join(map(str, df.columns))))
        strat = df[args.stratify]
        n = int(strat.isna().sum())
        if n:
            die("--stratify: column '%s' has %d missing value(s)" % (args.stratify, n))

    from sklearn.model_selection import train_test_split
    try:
        train, test = train_test_split(df, test_size=f, random_state=args.seed,
                                       shuffle=True, stratify=strat)
    except ValueError as e:
        die("cannot split %d rows with --test-fraction %g%s: %s"
            % (len(df), f, " stratified on '%s'" % args.stratify if strat is not None else "",
               str(e).strip()))

    write_csv(train, args.train, "--train")
    write_csv(test, args.test, "--test")
    print("split %d rows -> train %d (%s), test %d (%s)%s"
          % (len(df), len(train), args.train, len(test), args.test,
             ", stratified on '%s'" % args.stratify if strat is not None else ""))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
