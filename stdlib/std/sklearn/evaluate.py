#!/usr/bin/python3
"""Evaluate an mlpc sklearn model bundle on a labelled CSV (std.sklearn.evaluate).

Writes a JSON object {"accuracy", "auc", "f1", "precision", "recall", "rows"}.
Binary problems: the positive class is the larger label.  Multi-class:
macro averages and one-vs-rest macro AUC.  Floats are rounded to 6 decimals;
keys are sorted.  "auc" is null when it is undefined (only one class present
in the evaluation labels).  Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import json
import math
import os
import pickle
import sys

PROG = "evaluate.py"
FORMAT = "mlpc-sklearn-model"


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


def warn(msg):
    sys.stderr.write("%s: warning: %s\n" % (PROG, msg))


def load_model(path):
    if not os.path.exists(path):
        die("--model: file not found: %s" % path)
    try:
        with open(path, "rb") as f:
            bundle = pickle.load(f)
    except Exception as e:  # corrupt / foreign pickle
        die("--model: cannot load %s: %s" % (path, e))
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        die("--model: %s is not an mlpc sklearn model (format %r expected)" % (path, FORMAT))
    if bundle.get("version") != 1:
        die("--model: unsupported model version %r" % (bundle.get("version"),))
    return bundle


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
    import numpy as np
    import pandas as pd
    missing = [c for c in features if c not in df.columns]
    if missing:
        die("%s: missing feature column(s) required by the model: %s"
            % (what, ", ".join(missing)))
    for col in features:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s):
            die("%s: feature column '%s' is not numeric" % (what, col))
        n = int(s.isna().sum())
        if n:
            die("%s: feature column '%s' has %d missing value(s)" % (what, col, n))
    X = df[features].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(X)):
        die("%s: feature columns contain infinite values" % what)
    return X


def r6(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    v = round(x, 6)
    return 0.0 if v == 0 else v


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Evaluate an mlpc sklearn model on a labelled CSV and write "
                    "metrics (auc, accuracy, precision, recall, f1, rows) as JSON.")
    p.add_argument("--model", required=True, help="model pickle written by train.py")
    p.add_argument("--data", required=True, help="labelled evaluation CSV")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--out", required=True, help="output metrics JSON path")
    args = p.parse_args(argv)

    bundle = load_model(args.model)
    df = read_csv(args.data)
    if args.label not in df.columns:
        die("--label: column '%s' not found in %s (columns: %s)"
            % (args.label, args.data, ", ".join(map(str, df.columns))))
    y = df[args.label]
    n = int(y.isna().sum())
    if n:
        die("--label: column '%s' has %d missing value(s)" % (args.label, n))
    X = feature_matrix(df, list(bundle["features"]))
    y = y.to_numpy()

    import warnings

    import numpy as np
    from sklearn.metrics import (accuracy_score, precision_recall_fscore_support,
                                 roc_auc_score)

    est = bundle["estimator"]
    classes = list(est.classes_)
    unknown = sorted({str(v) for v in y if v not in set(classes)})
    if unknown:
        die("--data: label value(s) not seen in training: %s (model classes: %s)"
            % (", ".join(unknown[:10]), ", ".join(map(str, classes))))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = est.predict(X)
        proba = est.predict_proba(X)
        acc = accuracy_score(y, pred)
        present = set(y.tolist())
        auc = None
        if len(classes) == 2:
            pos = classes[-1]  # classes_ is sorted: the larger label
            prec, rec, f1, _ = precision_recall_fscore_support(
                y, pred, labels=classes, pos_label=pos, average="binary",
                zero_division=0)
            if len(present) == 2:
                auc = roc_auc_score((y == pos).astype(int), proba[:, 1])
        else:
            prec, rec, f1, _ = precision_recall_fscore_support(
                y, pred, labels=classes, average="macro", zero_division=0)
            if len(present) == len(classes):
                auc = roc_auc_score(y, proba, multi_class="ovr", average="macro",
                                    labels=classes)
            elif len(present) >= 2:
                # one-vs-rest over the classes actually present
                aucs = [roc_auc_score((y == c).astype(int), proba[:, i])
                        for i, c in enumerate(classes) if c in present]
                auc = float(np.mean(aucs))
    if auc is None:
        warn("AUC is undefined: the evaluation labels contain a single class; writing null")

    metrics = {
        "auc": r6(auc),
        "accuracy": r6(acc),
        "precision": r6(prec),
        "recall": r6(rec),
        "f1": r6(f1),
        "rows": int(len(y)),
    }
    text = json.dumps(metrics, sort_keys=True, indent=2, allow_nan=False) + "\n"
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        die("--out: cannot write %s: %s" % (args.out, e.strerror or e))
    print("evaluated on %d rows: auc=%s accuracy=%.6f precision=%.6f recall=%.6f f1=%.6f -> %s"
          % (len(y), "null" if metrics["auc"] is None else "%.6f" % metrics["auc"],
             metrics["accuracy"], metrics["precision"], metrics["recall"], metrics["f1"],
             args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
