#!/usr/bin/python3
"""Train a scikit-learn classifier on a CSV file (mlpc stdlib: std.sklearn.train).

Every column except the label is a feature and must be numeric.  The fitted
model is written as a pickle (protocol 4) of a dict:

    {"format": "mlpc-sklearn-model", "version": 1, "estimator": <fitted>,
     "features": [...], "label": "<col>", "classes": [...], "params": {...}}

Output is deterministic for the same input bytes and arguments.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import os
import pickle
import sys

PROG = "train.py"
FORMAT = "mlpc-sklearn-model"
VERSION = 1
ESTIMATORS = ("random_forest", "extra_trees", "gradient_boosting",
              "decision_tree", "logistic_regression")


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


def feature_matrix(df, features, what="--data"):
    """Return a float64 matrix of the feature columns, or exit 2."""
    import numpy as np
    import pandas as pd
    for col in features:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            example = (" (e.g. %r)" % str(bad.iloc[0])) if len(bad) else ""
            die("%s: feature column '%s' is not numeric%s; encode or drop it first"
                % (what, col, example))
        n_missing = int(s.isna().sum())
        if n_missing:
            die("%s: feature column '%s' has %d missing value(s); drop or impute them first"
                % (what, col, n_missing))
    X = df[features].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(X)):
        die("%s: feature columns contain infinite values" % what)
    return X


def build_estimator(args):
    from sklearn.ensemble import (ExtraTreesClassifier,
                                  GradientBoostingClassifier,
                                  RandomForestClassifier)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    depth = None if args.max_depth == 0 else args.max_depth
    name = args.estimator
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=args.trees, max_depth=depth,
                                      random_state=args.seed, n_jobs=1)
    if name == "extra_trees":
        return ExtraTreesClassifier(n_estimators=args.trees, max_depth=depth,
                                    random_state=args.seed, n_jobs=1)
    if name == "gradient_boosting":
        return GradientBoostingClassifier(n_estimators=args.trees, max_depth=depth,
                                          learning_rate=args.learning_rate,
                                          random_state=args.seed)
    if name == "decision_tree":
        return DecisionTreeClassifier(max_depth=depth, random_state=args.seed)
    if name == "logistic_regression":
        return Pipeline([
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=args.c, max_iter=10000,
                                       random_state=args.seed)),
        ])
    die("unknown estimator '%s' (valid: %s)" % (name, ", ".join(ESTIMATORS)))


def native(v):
    """numpy scalar -> plain Python value (for pickling/JSON stability)."""
    return v.item() if hasattr(v, "item") else v


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Train a scikit-learn classifier on a CSV file and write a "
                    "pickled mlpc model bundle.")
    p.add_argument("--data", required=True, help="training CSV (with header row)")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--estimator", default="random_forest", choices=ESTIMATORS,
                   help="model family (default: random_forest)")
    p.add_argument("--trees", type=int, default=100,
                   help="number of trees for ensemble estimators (default: 100)")
    p.add_argument("--max-depth", type=int, default=0,
                   help="maximum tree depth, 0 = unlimited (default: 0)")
    p.add_argument("--learning-rate", type=float, default=0.1,
                   help="learning rate for gradient_boosting (default: 0.1)")
    p.add_argument("--c", type=float, default=1.0,
                   help="inverse regularisation strength for logistic_regression (default: 1.0)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", required=True, help="output model pickle path")
    args = p.parse_args(argv)

    if args.trees < 1:
        die("--trees must be >= 1 (got %d)" % args.trees)
    if args.max_depth < 0:
        die("--max-depth must be >= 0 (got %d)" % args.max_depth)
    if not (args.learning_rate > 0):
        die("--learning-rate must be > 0 (got %g)" % args.learning_rate)
    if not (args.c > 0):
        die("--c must be > 0 (got %g)" % args.c)
    if not (0 <= args.seed <= 2**32 - 1):
        die("--seed must be in [0, 2^32-1] (got %d)" % args.seed)

    df = read_csv(args.data)
    if args.label not in df.columns:
        die("--label: column '%s' not found in %s (columns: %s)"
            % (args.label, args.data, ", ".join(map(str, df.columns))))
    features = [str(c) for c in df.columns if c != args.label]
    if not features:
        die("--data: no feature columns besides the label '%s'" % args.label)
    y = df[args.label]
    n_missing = int(y.isna().sum())
    if n_missing:
        die("--label: column '%s' has %d missing value(s)" % (args.label, n_missing))
    X = feature_matrix(df, features)
    y = y.to_numpy()
    classes = sorted(set(native(v) for v in y), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        die("--label: column '%s' has a single class (%r); need at least 2"
            % (args.label, classes[0]))

    import warnings
    est = build_estimator(args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except ValueError as e:
        die("cannot fit %s: %s" % (args.estimator, str(e).strip()))

    fitted_classes = [native(c) for c in est.classes_]
    params = {
        "estimator": args.estimator,
        "trees": args.trees,
        "max_depth": args.max_depth,
        "learning_rate": args.learning_rate,
        "c": args.c,
        "seed": args.seed,
    }
    bundle = {
        "format": FORMAT,
        "version": VERSION,
        "estimator": est,
        "features": features,
        "label": str(args.label),
        "classes": fitted_classes,
        "params": params,
    }
    blob = pickle.dumps(bundle, protocol=4)
    try:
        with open(args.out, "wb") as f:
            f.write(blob)
    except OSError as e:
        die("--out: cannot write %s: %s" % (args.out, e.strerror or e))

    acc = float((est.predict(X) == y).mean())
    shown = (" %s" % fitted_classes) if len(fitted_classes) <= 10 else ""
    print("trained %s on %d rows x %d features, %d classes%s, train accuracy %.6f -> %s"
          % (args.estimator, X.shape[0], X.shape[1], len(fitted_classes), shown, acc, args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
