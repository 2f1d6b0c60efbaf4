#!/usr/bin/python3
"""Train an XGBoost classifier or regressor on a CSV file (std.xgboost.train).

Uses Debian's python3-xgboost (the native Booster API, one thread, so the
model is deterministic for the same input bytes and arguments).  Every column
except the label is a feature and must be numeric.  Objectives:
  regression:      reg:squarederror
  classification:  binary:logistic (2 classes) or multi:softprob (more); the
                   labels are the sorted distinct values of the label column,
                   trained as their indexes 0..k-1.
The model is written as one JSON file (docs/stdlib.md):

    {"format": "mlpc-xgboost-model", "version": 1, "task": ..., "features": [...],
     "label": "<col>", "classes": [...] (classification only), "params": {...},
     "booster": <XGBoost's own JSON model (Booster.save_raw("json"))>}

Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing may be written into the stdlib
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "common"))
import mlpc_tabular as tab  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="train.py",
        description="Train an XGBoost classifier or regressor on a CSV file and write an "
                    "mlpc xgboost model (JSON).")
    p.add_argument("--data", required=True, help="training CSV (with header row)")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--task", default="classification", choices=tab.TASKS,
                   help="classification (default) or regression")
    p.add_argument("--rounds", type=int, default=100, help="boosting rounds (default: 100)")
    p.add_argument("--max-depth", type=int, default=6, help="maximum tree depth (default: 6)")
    p.add_argument("--eta", type=float, default=0.3, help="learning rate (default: 0.3)")
    p.add_argument("--gamma", type=float, default=0.0,
                   help="minimum loss reduction to split (default: 0)")
    p.add_argument("--min-child-weight", type=float, default=1.0,
                   help="minimum hessian weight in a child (default: 1)")
    p.add_argument("--subsample", type=float, default=1.0,
                   help="row subsample ratio per tree, in (0, 1] (default: 1)")
    p.add_argument("--colsample-bytree", type=float, default=1.0,
                   help="column subsample ratio per tree, in (0, 1] (default: 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", required=True, help="output model path (JSON)")
    args = p.parse_args(argv)

    if args.rounds < 1:
        tab.die("--rounds must be >= 1 (got %d)" % args.rounds)
    if args.max_depth < 0:
        tab.die("--max-depth must be >= 0 (got %d)" % args.max_depth)
    if not (args.eta > 0):
        tab.die("--eta must be > 0 (got %g)" % args.eta)
    if not (args.gamma >= 0):
        tab.die("--gamma must be >= 0 (got %g)" % args.gamma)
    if not (args.min_child_weight >= 0):
        tab.die("--min-child-weight must be >= 0 (got %g)" % args.min_child_weight)
    for name in ("subsample", "colsample_bytree"):
        v = getattr(args, name)
        if not (0 < v <= 1):
            tab.die("--%s must be in (0, 1] (got %g)" % (name.replace("_", "-"), v))
    if not (0 <= args.seed <= 2**31 - 1):
        tab.die("--seed must be in [0, 2^31-1] (got %d)" % args.seed)

    df = tab.read_csv(args.data)
    y = tab.label_column(df, args.label, args.data, args.task)
    features = [str(c) for c in df.columns if c != args.label]
    if not features:
        tab.die("--data: no feature columns besides the label '%s'" % args.label)
    X = tab.feature_matrix(df, features)

    import numpy as np
    import xgboost as xgb
    params = {
        "max_depth": args.max_depth, "eta": args.eta, "gamma": args.gamma,
        "min_child_weight": args.min_child_weight, "subsample": args.subsample,
        "colsample_bytree": args.colsample_bytree, "seed": args.seed, "nthread": 1,
        "tree_method": "exact",
    }
    classes = None
    if args.task == "regression":
        params["objective"] = "reg:squarederror"
        target = y
    else:
        classes = sorted(set(tab.native(v) for v in y), key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            tab.die("--label: column '%s' has a single class (%r); need at least 2"
                    % (args.label, classes[0]))
        index = {c: i for i, c in enumerate(classes)}
        target = np.array([index[tab.native(v)] for v in y], dtype=np.float64)
        if len(classes) == 2:
            params["objective"] = "binary:logistic"
        else:
            params["objective"] = "multi:softprob"
            params["num_class"] = len(classes)
    try:
        booster = xgb.train(params, xgb.DMatrix(X, label=target), num_boost_round=args.rounds)
    except xgb.core.XGBoostError as e:
        tab.die("cannot fit xgboost: %s" % str(e).splitlines()[0])

    doc = {
        "format": tab.XGBOOST_FORMAT,
        "version": 1,
        "task": args.task,
        "features": features,
        "label": str(args.label),
        "params": dict(params, rounds=args.rounds),
        "booster": json.loads(bytes(booster.save_raw(raw_format="json")).decode("utf-8")),
    }
    if classes is not None:
        doc["classes"] = classes
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        tab.die("--out: cannot write %s: %s" % (args.out, e.strerror or e))

    model = tab.XGBoostPredictor(doc, booster)
    pred, _ = model.predict(X)
    if classes is None:
        m = tab.regression_metrics(y, pred)
        print("trained xgboost regressor (%d rounds) on %d rows x %d features, train rmse %.6f "
              "r2 %s -> %s" % (args.rounds, X.shape[0], X.shape[1], m["rmse"], m["r2"], args.out))
    else:
        acc = float(np.mean([a == b for a, b in zip(pred, (tab.native(v) for v in y))]))
        shown = (" %s" % classes) if len(classes) <= 10 else ""
        print("trained xgboost classifier (%d rounds) on %d rows x %d features, %d classes%s, "
              "train accuracy %.6f -> %s" % (args.rounds, X.shape[0], X.shape[1], len(classes),
                                              shown, acc, args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
