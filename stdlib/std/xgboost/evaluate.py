#!/usr/bin/python3
"""Evaluate an mlpc xgboost model on a labelled CSV (std.xgboost.evaluate).

Writes one flat JSON object with every metric key of both tasks and "rows":
  classification: accuracy, auc, precision, recall, f1 (binary: the positive
      class is the larger label; multi-class: unweighted macro averages over
      the model's classes and one-vs-rest macro AUC);
  regression: mse, rmse, mae, r2, error_std (standard deviation of y - prediction).
The keys of the other task are null, as is "auc" when it is undefined (only one
class present).  The task is the model's.  Floats are rounded to 6 decimals;
keys are sorted.  Exit status: 0 ok, 2 bad input / usage.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # nothing may be written into the stdlib
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "common"))
import mlpc_tabular as tab  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Evaluate an mlpc xgboost model on a labelled CSV and write metrics "
                    "(classification: auc, accuracy, precision, recall, f1; regression: mse, "
                    "rmse, mae, r2, error_std; and rows) as JSON.")
    p.add_argument("--model", required=True, help="model JSON written by train.py")
    p.add_argument("--data", required=True, help="labelled evaluation CSV")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--out", required=True, help="output metrics JSON path")
    args = p.parse_args(argv)

    model = tab.load_xgboost_model(args.model)
    df = tab.read_csv(args.data)
    y = tab.label_column(df, args.label, args.data, model.task)
    X = tab.feature_matrix(df, model.features)
    if model.task == "classification":
        tab.check_known_classes(y, model.classes)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred, proba = model.predict(X)
    m = tab.evaluation_report(model.task, y, pred, proba, model.classes)
    tab.write_json(args.out, m)
    print(tab.summary_line(model.task, m, args.out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
