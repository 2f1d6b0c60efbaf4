#!/usr/bin/python3
"""Preprocess step of the regression example (SageMaker's abalone pipeline, on diabetes data).

Splits the labelled CSV --in at random (seeded) into train (70%), test (15%) and
batch (15%) rows, then standardises every feature column with the mean and
standard deviation of the train rows only (so nothing about the test rows leaks
into training).  train and test keep the label (written last); batch drops it:
it stands for new, unlabelled rows to score with a batch transform.  Outputs use
float_format '%.10g' and no index: the same input and seed give the same bytes.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import os
import sys

PROG = "preprocess.py"


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG, description="Split a labelled CSV 70/15/15 into train, test and "
                               "(unlabelled) batch rows, standardising the features.")
    p.add_argument("--in", dest="input", required=True, metavar="CSV", help="input CSV")
    p.add_argument("--label", required=True, help="the label column")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--train", required=True, help="output train CSV")
    p.add_argument("--test", required=True, help="output test CSV")
    p.add_argument("--batch", required=True, help="output batch CSV (no label)")
    args = p.parse_args(argv)
    if not (0 <= args.seed <= 2**32 - 1):
        die("--seed must be in [0, 2^32-1] (got %d)" % args.seed)
    if not os.path.exists(args.input):
        die("--in: file not found: %s" % args.input)

    import numpy as np
    import pandas as pd
    try:
        df = pd.read_csv(args.input)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError,
            ValueError, OSError) as e:
        die("--in: cannot read CSV %s: %s" % (args.input, str(e).strip()))
    if args.label not in df.columns:
        die("--label: column '%s' not found in %s (columns: %s)"
            % (args.label, args.input, ", ".join(map(str, df.columns))))
    if len(df) < 20:
        die("--in: %d rows; need at least 20 to split 70/15/15" % len(df))
    features = [c for c in df.columns if c != args.label]
    for c in features:
        if not pd.api.types.is_numeric_dtype(df[c]):
            die("--in: feature column '%s' is not numeric" % c)
    df = df.dropna(how="any")

    order = np.random.RandomState(args.seed).permutation(len(df))
    n_train, n_test = int(0.7 * len(df)), int(0.15 * len(df))
    train = df.iloc[order[:n_train]]
    test = df.iloc[order[n_train:n_train + n_test]]
    batch = df.iloc[order[n_train + n_test:]]

    mean = train[features].mean()
    std = train[features].std(ddof=0).replace(0, 1.0)

    def scaled(part, with_label):
        out = (part[features] - mean) / std
        if with_label:
            out[args.label] = part[args.label]
        return out

    for frame, path, with_label in ((train, args.train, True), (test, args.test, True),
                                    (batch, args.batch, False)):
        scaled(frame, with_label).to_csv(path, index=False, float_format="%.10g")
    print("preprocessed %d rows: train %d, test %d, batch %d (unlabelled); %d features "
          "standardised on the train rows" % (len(df), len(train), len(test), len(batch),
                                              len(features)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
