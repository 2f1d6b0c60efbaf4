#!/usr/bin/python3
"""Write one of scikit-learn's bundled (offline) datasets to CSV (std.data.load_example).

Datasets: breast_cancer, wine, iris, diabetes, digits.  Feature column names
are sanitised to [a-z0-9_] (lower-case, runs of other characters -> '_'),
the target column is renamed to --label and written last.  Floats use
float_format '%.10g'; output is deterministic.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import re
import sys

PROG = "load_example.py"
DATASETS = {
    "breast_cancer": "load_breast_cancer",
    "wine": "load_wine",
    "iris": "load_iris",
    "diabetes": "load_diabetes",
    "digits": "load_digits",
}


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


def sanitise(name):
    s = re.sub(r"[^a-z0-9_]+", "_", str(name).strip().lower())
    s = re.sub(r"_+", "_", s).strip("_")
    return s or "feature"


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Write a bundled scikit-learn example dataset to CSV. "
                    "Valid names: %s." % ", ".join(sorted(DATASETS)))
    p.add_argument("--name", required=True,
                   help="dataset name (%s)" % ", ".join(sorted(DATASETS)))
    p.add_argument("--label", required=True, help="name for the target column")
    p.add_argument("--out", required=True, help="output CSV path")
    p.add_argument("--rows", type=int, default=0,
                   help="keep only the first N rows (0 = all, default)")
    args = p.parse_args(argv)

    if args.name not in DATASETS:
        die("unknown dataset '%s' (valid names: %s)"
            % (args.name, ", ".join(sorted(DATASETS))))
    if not args.label.strip():
        die("--label must be a non-empty column name")
    if args.rows < 0:
        die("--rows must be >= 0 (got %d)" % args.rows)

    import sklearn.datasets
    try:
        bunch = getattr(sklearn.datasets, DATASETS[args.name])(as_frame=True)
    except (OSError, ImportError) as e:
        die("cannot load dataset '%s': %s" % (args.name, e))
    X = bunch.data.copy()
    names = []
    seen = set()
    for c in X.columns:
        base = sanitise(c)
        n, i = base, 2
        while n in seen:
            n = "%s_%d" % (base, i)
            i += 1
        seen.add(n)
        names.append(n)
    X.columns = names
    if args.label in seen:
        die("--label '%s' collides with a feature column of '%s'" % (args.label, args.name))
    df = X
    df[args.label] = bunch.target.to_numpy()
    if args.rows > 0:
        df = df.iloc[:args.rows]
    try:
        df.to_csv(args.out, index=False, float_format="%.10g", lineterminator="\n")
    except OSError as e:
        die("--out: cannot write %s: %s" % (args.out, e.strerror or e))
    print("wrote %s: %d rows x %d features + label '%s' -> %s"
          % (args.name, len(df), len(names), args.label, args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
