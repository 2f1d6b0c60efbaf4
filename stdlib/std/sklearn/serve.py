#!/usr/bin/python3
"""Serve an mlpc sklearn model bundle over HTTP (std.sklearn.serve).

Endpoints:
  GET  /health       -> 200 {"status": "ok"} once the model is loaded
  POST /invocations  -> predictions
      Content-Type: text/csv
          rows with or without a header row; with a header, columns are
          matched by name (the label column and unknown columns are ignored);
          without one, each row must hold exactly the model's features in order.
          Response: text/csv with header "prediction,probability" (classifiers)
          or "prediction" (regressors).
      Content-Type: application/json
          {"instances": [[v, ...], ...]} or {"instances": [{"feature": v, ...}, ...]}
          Response: {"predictions": [...], "probabilities": [...]}; regressors
          have no "probabilities".
  "probability" is the probability of the positive (larger) class for binary
  models and the maximum class probability otherwise.
Bad requests get 400 with {"error": "..."}; unknown paths 404.
SIGTERM / SIGINT stop the server cleanly (exit 0).
"""

import os
import sys

sys.dont_write_bytecode = True  # nothing may be written into the stdlib
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "common"))
import mlpc_tabular as tab  # noqa: E402


def main(argv=None):
    return tab.serve_main(argv, "sklearn", tab.load_sklearn_model,
                          "model pickle written by train.py")


if __name__ == "__main__":
    sys.exit(main())
