#!/usr/bin/python3
"""Train a scikit-learn classifier or regressor on a CSV file (std.sklearn.train).

Every column except the label is a feature and must be numeric.  The fitted
model is written as a pickle (protocol 4) of a dict (docs/stdlib.md):

    {"format": "mlpc-sklearn-model", "version": 1, "task": "classification"|"regression",
     "estimator": <fitted>, "features": [...], "label": "<col>",
     "classes": [...] (classification only), "params": {...}}

Estimators (--estimator) per task (--task):
  classification: random_forest, extra_trees, gradient_boosting, decision_tree,
                  logistic_regression (standardised features, C = --c)
  regression:     random_forest, extra_trees, gradient_boosting, decision_tree,
                  ridge (standardised features, alpha = 1 / --c)
Output is deterministic for the same input bytes and arguments.
Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import os
import pickle
import sys

sys.dont_write_bytecode = True  # nothing may be written into the stdlib
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "common"))
import mlpc_tabular as tab  # noqa: E402

FORMAT = tab.SKLEARN_FORMAT
VERSION = 1
ESTIMATORS = {
    "classification": ("random_forest", "extra_trees", "gradient_boosting", "decision_tree",
                       "logistic_regression"),
    "regression": ("random_forest", "extra_trees", "gradient_boosting", "decision_tree",
                   "ridge"),
}
ALL_ESTIMATORS = ("random_forest", "extra_trees", "gradient_boosting", "decision_tree",
                  "logistic_regression", "ridge")


def build_estimator(args):
    from sklearn import ensemble, linear_model, tree
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    depth = None if args.max_depth == 0 else args.max_depth
    reg = args.task == "regression"
    name = args.estimator
    if name not in ESTIMATORS[args.task]:
        tab.die("--estimator: '%s' is not a %s estimator (valid for --task %s: %s)"
                % (name, args.task, args.task, ", ".join(ESTIMATORS[args.task])))
    if name == "random_forest":
        cls = ensemble.RandomForestRegressor if reg else ensemble.RandomForestClassifier
        return cls(n_estimators=args.trees, max_depth=depth, random_state=args.seed, n_jobs=1)
    if name == "extra_trees":
        cls = ensemble.ExtraTreesRegressor if reg else ensemble.ExtraTreesClassifier
        return cls(n_estimators=args.trees, max_depth=depth, random_state=args.seed, n_jobs=1)
    if name == "gradient_boosting":
        cls = ensemble.GradientBoostingRegressor if reg else ensemble.GradientBoostingClassifier
        return cls(n_estimators=args.trees, max_depth=depth, learning_rate=args.learning_rate,
                   random_state=args.seed)
    if name == "decision_tree":
        cls = tree.DecisionTreeRegressor if reg else tree.DecisionTreeClassifier
        return cls(max_depth=depth, random_state=args.seed)
    if name == "ridge":
        return Pipeline([("scale", StandardScaler()),
                         ("reg", linear_model.Ridge(alpha=1.0 / args.c))])
    return Pipeline([
        ("scale", StandardScaler()),
        ("clf", linear_model.LogisticRegression(C=args.c, max_iter=10000,
                                                random_state=args.seed)),
    ])


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="train.py",
        description="Train a scikit-learn classifier or regressor on a CSV file and write a "
                    "pickled mlpc model bundle.")
    p.add_argument("--data", required=True, help="training CSV (with header row)")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--task", default="classification", choices=tab.TASKS,
                   help="classification (default) or regression")
    p.add_argument("--estimator", default="random_forest", choices=ALL_ESTIMATORS,
                   help="model family (default: random_forest)")
    p.add_argument("--trees", type=int, default=100,
                   help="number of trees for ensemble estimators (default: 100)")
    p.add_argument("--max-depth", type=int, default=0,
                   help="maximum tree depth, 0 = unlimited (default: 0)")
    p.add_argument("--learning-rate", type=float, default=0.1,
                   help="learning rate for gradient_boosting (default: 0.1)")
    p.add_argument("--c", type=float, default=1.0,
                   help="inverse regularisation strength for logistic_regression and ridge "
                        "(default: 1.0)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", required=True, help="output model pickle path")
    args = p.parse_args(argv)

    if args.trees < 1:
        tab.die("--trees must be >= 1 (got %d)" % args.trees)
    if args.max_depth < 0:
        tab.die("--max-depth must be >= 0 (got %d)" % args.max_depth)
    if not (args.learning_rate > 0):
        tab.die("--learning-rate must be > 0 (got %g)" % args.learning_rate)
    if not (args.c > 0):
        tab.die("--c must be > 0 (got %g)" % args.c)
    if not (0 <= args.seed <= 2**32 - 1):
        tab.die("--seed must be in [0, 2^32-1] (got %d)" % args.seed)

    df = tab.read_csv(args.data)
    y = tab.label_column(df, args.label, args.data, args.task)
    features = [str(c) for c in df.columns if c != args.label]
    if not features:
        tab.die("--data: no feature columns besides the label '%s'" % args.label)
    X = tab.feature_matrix(df, features)
    if args.task == "classification":
        classes = sorted(set(tab.native(v) for v in y), key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            tab.die("--label: column '%s' has a single class (%r); need at least 2"
                    % (args.label, classes[0]))

    import warnings
    est = build_estimator(args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except ValueError as e:
        tab.die("cannot fit %s: %s" % (args.estimator, str(e).strip()))

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
        "task": args.task,
        "estimator": est,
        "features": features,
        "label": str(args.label),
        "params": params,
    }
    if args.task == "classification":
        bundle["classes"] = [tab.native(c) for c in est.classes_]
    blob = pickle.dumps(bundle, protocol=4)
    try:
        with open(args.out, "wb") as f:
            f.write(blob)
    except OSError as e:
        tab.die("--out: cannot write %s: %s" % (args.out, e.strerror or e))

    pred = est.predict(X)
    if args.task == "classification":
        cl = bundle["classes"]
        shown = (" %s" % cl) if len(cl) <= 10 else ""
        print("trained %s classifier on %d rows x %d features, %d classes%s, "
              "train accuracy %.6f -> %s"
              % (args.estimator, X.shape[0], X.shape[1], len(cl), shown,
                 float((pred == y).mean()), args.out))
    else:
        m = tab.regression_metrics(y, pred)
        print("trained %s regressor on %d rows x %d features, train rmse %.6f r2 %s -> %s"
              % (args.estimator, X.shape[0], X.shape[1], m["rmse"], m["r2"], args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
