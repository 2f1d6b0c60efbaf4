#!/usr/bin/python3
"""Prepare step of the churn example: clean and split a CSV.

Drops rows with any missing value, then makes a stratified (on --label),
seeded train/test split.  Outputs use float_format '%.10g' and no index, so
the same input bytes and arguments give byte-identical files.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import math
import os
import sys

PROG = "prepare.py"


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Drop rows with missing values and make a stratified "
                    "train/test split.")
    p.add_argument("--in", dest="input", required=True, metavar="CSV",
                   help="input CSV (with header row)")
    p.add_argument("--test-fraction", type=float, required=True,
                   help="fraction of rows for the test set, in (0, 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--train", required=True, help="output train CSV path")
    p.add_argument("--test", required=True, help="output test CSV path")
    p.add_argument("--label", default="churn",
                   help="label column to stratify on (default: churn)")
    args = p.parse_args(argv)

    f = args.test_fraction
    if not (math.isfinite(f) and 0.0 < f < 1.0):
        die("--test-fraction must be strictly between 0 and 1 (got %g)" % f)
    if not (0 <= args.seed <= 2**32 - 1):
        die("--seed must be in [0, 2^32-1] (got %d)" % args.seed)
    if not os.path.exists(args.input):
        die("--in: file not found: %s" % args.input)

    import pandas as pd
    try:
        df = pd.read_csv(args.input)
    except pd.errors.EmptyDataError:
        die("--in: file is empty: %s" % args.input)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as e:
        die("--in: cannot read CSV %s: %s" % (args.input, str(e).strip()))
    if args.label not in df.columns:
        die("--label: column '%s' not found in %s (columns: %s)"
            % (args.label, args.input, ", ".join(map(str, df.columns))))
    n_before = len(df)
    df = df.dropna(how="any")
    if len(df) < 2:
        die("--in: %d usable row(s) after dropping rows with missing values "
            "(of %d); need at least 2" % (len(df), n_before))

    from sklearn.model_selection import train_test_split
    try:
        train, test = train_test_split(df, test_size=f, random_state=args.seed,
                                       shuffle=True, stratify=df[args.label])
    except ValueError as e:
        die("cannot make a stratified split on '%s': %s" % (args.label, str(e).strip()))

    for frame, path, what in ((train, args.train, "--train"), (test, args.test, "--test")):
        try:
            frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
        except OSError as e:
            die("%s: cannot write %s: %s" % (what, path, e.strerror or e))
    print("prepared %d rows (%d dropped with missing values) -> train %d, test %d"
          % (len(df), n_before - len(df), len(train), len(test)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
