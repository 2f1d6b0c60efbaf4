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

import os
import sys

sys.dont_write_bytecode = True  # nothing may be written into the stdlib
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "common"))
import mlpc_tabular as tab  # noqa: E402


def main(argv=None):
    return tab.evaluate_main(argv, "xgboost", tab.load_xgboost_model,
                             "model JSON written by train.py")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
