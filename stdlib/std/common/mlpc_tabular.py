"""Shared code of the stdlib's model steps (std/sklearn and std/xgboost).

Imported by sklearn/*.py and xgboost/*.py, which append this directory to sys.path (and set
sys.dont_write_bytecode first, so that nothing is written into the stdlib).  It holds what both
model families must do the same way, so that a model of either answers alike:

  - reading a labelled CSV and its numeric feature matrix (errors exit 2, naming the column),
  - the evaluation metrics (classification and regression; see docs/stdlib.md),
  - the HTTP model server (GET /health, POST /invocations with CSV or JSON rows),
  - loading the two model artifact formats (documented in docs/stdlib.md).

A model is adapted to this module by a Predictor: an object with `features` (list of column
names), `label` (the training label column, ignored in request headers), `task`
("classification" or "regression"), `classes` (classification: the class labels, in the order
of predict_proba's columns) and `predict(X)` -> (predictions, class probability matrix or None).
"""

import csv
import io
import json
import math
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TASKS = ("classification", "regression")
MAX_BODY = 256 * 1024 * 1024


def prog():
    return os.path.basename(sys.argv[0]) or "mlpc-step"


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (prog(), msg))
    sys.exit(2)


def warn(msg):
    sys.stderr.write("%s: warning: %s\n" % (prog(), msg))


def native(v):
    """numpy scalar -> plain Python value (for pickling/JSON stability)."""
    return v.item() if hasattr(v, "item") else v


# ---- data -------------------------------------------------------------------------------------

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
    missing = [c for c in features if c not in df.columns]
    if missing:
        die("%s: missing feature column(s) required by the model: %s"
            % (what, ", ".join(missing)))
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


def label_column(df, label, data_path, task):
    """The label column as a numpy array (numeric for regression), or exit 2."""
    import numpy as np
    import pandas as pd
    if label not in df.columns:
        die("--label: column '%s' not found in %s (columns: %s)"
            % (label, data_path, ", ".join(map(str, df.columns))))
    y = df[label]
    n = int(y.isna().sum())
    if n:
        die("--label: column '%s' has %d missing value(s)" % (label, n))
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            die("--label: column '%s' is not numeric; a regression needs a numeric label"
                " (or use --task classification)" % label)
        y = y.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(y)):
            die("--label: column '%s' has infinite values" % label)
        return y
    return y.to_numpy()


def check_task(task):
    if task not in TASKS:
        die("--task: unknown task '%s' (valid: %s)" % (task, ", ".join(TASKS)))


def write_json(path, obj):
    text = json.dumps(obj, sort_keys=True, indent=2, allow_nan=False) + "\n"
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        die("--out: cannot write %s: %s" % (path, e.strerror or e))


# ---- metrics ----------------------------------------------------------------------------------

CLASSIFICATION_KEYS = ("accuracy", "auc", "f1", "precision", "recall")
REGRESSION_KEYS = ("error_std", "mae", "mse", "r2", "rmse")


def r6(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return None
    v = round(x, 6)
    return 0.0 if v == 0 else v


def classification_metrics(y, pred, proba, classes):
    """accuracy, auc, precision, recall, f1 (binary: positive class = the larger label;
    multi-class: unweighted macro averages, one-vs-rest macro AUC)."""
    import warnings

    import numpy as np
    from sklearn.metrics import (accuracy_score, precision_recall_fscore_support,
                                 roc_auc_score)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = accuracy_score(y, pred)
        present = set(y.tolist())
        auc = None
        if len(classes) == 2:
            pos = classes[-1]  # sorted: the larger label
            prec, rec, f1, _ = precision_recall_fscore_support(
                y, pred, labels=classes, pos_label=pos, average="binary", zero_division=0)
            if len(present) == 2:
                auc = roc_auc_score((y == pos).astype(int), proba[:, 1])
        else:
            prec, rec, f1, _ = precision_recall_fscore_support(
                y, pred, labels=classes, average="macro", zero_division=0)
            if len(present) == len(classes):
                auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
            elif len(present) >= 2:
                # one-vs-rest over the classes actually present
                aucs = [roc_auc_score((y == c).astype(int), proba[:, i])
                        for i, c in enumerate(classes) if c in present]
                auc = float(np.mean(aucs))
    if auc is None:
        warn("AUC is undefined: the evaluation labels contain a single class; writing null")
    return {"accuracy": r6(acc), "auc": r6(auc), "precision": r6(prec), "recall": r6(rec),
            "f1": r6(f1)}


def regression_metrics(y, pred):
    """mse, rmse, mae, r2 and error_std (the population standard deviation of y - prediction,
    as the evaluation report of SageMaker's abalone pipeline has it)."""
    import numpy as np
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    err = y - pred
    mse = float(np.mean(err ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = None if ss_tot == 0 else 1.0 - float(np.sum(err ** 2)) / ss_tot
    if r2 is None:
        warn("R^2 is undefined: the evaluation labels are constant; writing null")
    return {"mse": r6(mse), "rmse": r6(math.sqrt(mse)), "mae": r6(np.mean(np.abs(err))),
            "r2": r6(r2), "error_std": r6(np.std(err))}


def evaluation_report(task, y, pred, proba, classes):
    """The flat metrics object Evaluate writes: every key of both tasks, null where the model's
    task does not define it, plus `rows`."""
    m = {k: None for k in CLASSIFICATION_KEYS + REGRESSION_KEYS}
    if task == "regression":
        m.update(regression_metrics(y, pred))
    else:
        m.update(classification_metrics(y, pred, proba, classes))
    m["rows"] = int(len(y))
    return m


def check_known_classes(y, classes):
    known = set(classes)
    unknown = sorted({str(v) for v in y if v not in known})
    if unknown:
        die("--data: label value(s) not seen in training: %s (model classes: %s)"
            % (", ".join(unknown[:10]), ", ".join(map(str, classes))))


def summary_line(task, m, out):
    def f(k):
        return "null" if m[k] is None else "%.6f" % m[k]
    keys = REGRESSION_KEYS if task == "regression" else CLASSIFICATION_KEYS
    return "evaluated %s on %d rows: %s -> %s" % (
        task, m["rows"], " ".join("%s=%s" % (k, f(k)) for k in keys), out)


# ---- model artifacts (docs/stdlib.md, "Model artifacts") ------------------------------------------

SKLEARN_FORMAT = "mlpc-sklearn-model"
XGBOOST_FORMAT = "mlpc-xgboost-model"


def _check_header(doc, path, fmt, need_classes=True):
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        die("--model: %s is not an %s (format %r expected)"
            % (path, fmt.replace("-model", " model").replace("mlpc-", "mlpc "), fmt))
    if doc.get("version") != 1:
        die("--model: unsupported model version %r (1 expected)" % (doc.get("version"),))
    task = doc.get("task", "classification")
    if task not in TASKS:
        die("--model: unknown task %r in %s (valid: %s)" % (task, path, ", ".join(TASKS)))
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats or not all(isinstance(f, str) for f in feats):
        die("--model: %s has no \"features\" list of column names" % path)
    if task == "classification" and need_classes:
        classes = doc.get("classes")
        if not isinstance(classes, list) or len(classes) < 2:
            die("--model: %s is a classifier without a \"classes\" list of 2 or more labels"
                % path)
    return task


class SklearnPredictor:
    def __init__(self, bundle):
        self.est = bundle["estimator"]
        self.features = list(bundle["features"])
        self.label = str(bundle.get("label", ""))
        self.task = bundle.get("task", "classification")
        self.classes = ([native(c) for c in self.est.classes_]
                        if self.task == "classification" else None)

    def predict(self, X):
        if self.task != "classification":
            return self.est.predict(X), None
        # Every stdlib classifier predicts the class of largest probability (forests and trees
        # compute predict() exactly so): one pass over the model instead of two.
        import numpy as np
        proba = self.est.predict_proba(X)
        return np.asarray(self.est.classes_).take(proba.argmax(axis=1)), proba


def load_sklearn_model(path):
    """An mlpc-sklearn-model pickle as a SklearnPredictor, or exit 2."""
    import pickle
    if not os.path.exists(path):
        die("--model: file not found: %s" % path)
    try:
        with open(path, "rb") as f:
            bundle = pickle.load(f)
    except Exception as e:  # corrupt or foreign pickle
        die("--model: cannot load %s: %s" % (path, e))
    task = _check_header(bundle, path, SKLEARN_FORMAT, need_classes=False)
    est = bundle.get("estimator")
    if not hasattr(est, "predict") or (task == "classification"
                                       and not (hasattr(est, "predict_proba")
                                                and hasattr(est, "classes_"))):
        die("--model: the estimator in %s lacks predict%s" % (
            path, "" if task == "regression" else "/predict_proba/classes_"))
    return SklearnPredictor(bundle)


class XGBoostPredictor:
    def __init__(self, doc, booster):
        self.booster = booster
        self.features = list(doc["features"])
        self.label = str(doc.get("label", ""))
        self.task = doc.get("task", "classification")
        self.classes = list(doc["classes"]) if self.task == "classification" else None

    def predict(self, X):
        import numpy as np
        import xgboost as xgb
        out = self.booster.predict(xgb.DMatrix(X), validate_features=False)
        if self.task == "regression":
            return out, None
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1:  # binary:logistic -> P(classes[1])
            proba = np.column_stack([1.0 - out, out])
        else:
            proba = out
        if proba.shape[1] != len(self.classes):
            die("the booster gives %d class probabilities, the model lists %d classes"
                % (proba.shape[1], len(self.classes)))
        idx = proba.argmax(axis=1)
        return [self.classes[i] for i in idx], proba


def load_xgboost_model(path):
    """An mlpc-xgboost-model JSON file as an XGBoostPredictor, or exit 2."""
    if not os.path.exists(path):
        die("--model: file not found: %s" % path)
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        die("--model: cannot load %s: %s" % (path, e))
    _check_header(doc, path, XGBOOST_FORMAT)
    if not isinstance(doc.get("booster"), dict):
        die("--model: %s has no \"booster\" object (XGBoost's JSON model)" % path)
    import xgboost as xgb
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(json.dumps(doc["booster"]).encode("utf-8")))
    except xgb.core.XGBoostError as e:
        die("--model: the booster in %s does not load: %s" % (path, str(e).splitlines()[0]))
    booster.set_param({"nthread": 1})
    return XGBoostPredictor(doc, booster)


# ---- the HTTP model server ----------------------------------------------------------------------

class BadRequest(Exception):
    pass


def fmt_float(v):
    return "%.10g" % v


def fmt_label(v):
    if isinstance(v, float):
        return fmt_float(v)
    return str(v)


def to_float(value, row, col):
    if isinstance(value, bool):
        raise BadRequest("instance %d, feature '%s': expected a number, got a boolean"
                         % (row, col))
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            if value.strip() == "":
                raise BadRequest("row %d, feature '%s': missing value" % (row, col))
            raise BadRequest("row %d, feature '%s': not a number: %r" % (row, col, value))
    elif value is None:
        raise BadRequest("row %d, feature '%s': missing value" % (row, col))
    else:
        raise BadRequest("row %d, feature '%s': expected a number, got %s"
                         % (row, col, type(value).__name__))
    if not math.isfinite(x):
        raise BadRequest("row %d, feature '%s': value must be finite" % (row, col))
    return x


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def parse_csv(text, features, label):
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if not rows:
        raise BadRequest("empty CSV body")
    first = [c.strip() for c in rows[0]]
    known = set(features) | {label}
    has_header = (any(c in known for c in first)
                  or any(c != "" and not _is_number(c) for c in first))
    n = len(features)
    out = []
    if has_header:
        index = {}
        for i, name in enumerate(first):
            index.setdefault(name, i)
        missing = [f for f in features if f not in index]
        if missing:
            raise BadRequest("CSV header lacks feature column(s): %s" % ", ".join(missing[:20]))
        cols = [index[f] for f in features]
        width = len(first)
        for r, row in enumerate(rows[1:], start=1):
            if len(row) != width:
                raise BadRequest("CSV row %d has %d fields, header has %d" % (r, len(row), width))
            out.append([to_float(row[c], r, f) for c, f in zip(cols, features)])
        if not out:
            raise BadRequest("CSV body has a header but no data rows")
    else:
        for r, row in enumerate(rows, start=1):
            if len(row) != n:
                raise BadRequest("CSV row %d has %d fields, expected %d features (%s)"
                                 % (r, len(row), n, ",".join(features)))
            out.append([to_float(v, r, f) for v, f in zip(row, features)])
    return out


def parse_json(text, features):
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise BadRequest("invalid JSON: %s" % e)
    if not isinstance(doc, dict) or "instances" not in doc:
        raise BadRequest('JSON body must be an object with an "instances" list')
    inst = doc["instances"]
    if not isinstance(inst, list) or not inst:
        raise BadRequest('"instances" must be a non-empty list')
    n = len(features)
    out = []
    for r, item in enumerate(inst):
        if isinstance(item, list):
            if len(item) != n:
                raise BadRequest("instance %d has %d values, expected %d features (%s)"
                                 % (r, len(item), n, ",".join(features)))
            out.append([to_float(v, r, f) for v, f in zip(item, features)])
        elif isinstance(item, dict):
            missing = [f for f in features if f not in item]
            if missing:
                raise BadRequest("instance %d lacks feature(s): %s" % (r, ", ".join(missing[:20])))
            out.append([to_float(item[f], r, f) for f in features])
        else:
            raise BadRequest("instance %d must be a list or an object" % r)
    return out


def answer(predictor, rows):
    """(predictions, probabilities or None) for parsed rows.  The probability is the positive
    (larger) class's for a binary classifier and the largest class probability otherwise;
    regressors have none."""
    import numpy as np
    X = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(predictor.features))
    preds, proba = predictor.predict(X)
    preds = [native(v) for v in preds]
    if predictor.task == "regression":
        return [float(v) for v in preds], None
    p = proba[:, 1] if len(predictor.classes) == 2 else proba.max(axis=1)
    return preds, [float(v) for v in p]


class Handler(BaseHTTPRequestHandler):
    server_version = "mlpc-model-serve/1"
    predictor = None  # set by serve()
    # Headers and body go out as two writes; with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers, 40 ms on every answer.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        sys.stderr.write("%s: %s %s\n" % (prog(), self.address_string(), fmt % args))

    def _send(self, code, body, ctype):
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, code, obj):
        self._send(code, json.dumps(obj, sort_keys=True, allow_nan=False) + "\n",
                   "application/json")

    def _path(self):
        return self.path.split("?", 1)[0]

    def do_GET(self):
        path = self._path()
        if path == "/health":
            # The features name the values of positional requests (CSV rows, JSON lists): the
            # agent's monitors read captured requests with them.
            m = self.predictor
            self._json(200, {"status": "ok", "features": list(getattr(m, "features", [])),
                             "label": getattr(m, "label", "")})
        elif path == "/invocations":
            self._json(405, {"error": "use POST for /invocations"})
        else:
            self._json(404, {"error": "not found: %s" % path})

    def do_POST(self):
        path = self._path()
        if path != "/invocations":
            self._json(404, {"error": "not found: %s" % path})
            return
        try:
            self._invocations()
        except BadRequest as e:
            self._json(400, {"error": str(e)})

    def _invocations(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise BadRequest("Content-Length header required")
        try:
            length = int(length)
        except ValueError:
            raise BadRequest("invalid Content-Length")
        if length < 0 or length > MAX_BODY:
            raise BadRequest("body too large (max %d bytes)" % MAX_BODY)
        raw = self.rfile.read(length)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("body is not valid UTF-8")
        if not text.strip():
            raise BadRequest("empty request body")
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        m = self.predictor
        if ctype in ("text/csv", "application/csv"):
            preds, probs = answer(m, parse_csv(text, m.features, m.label))
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            if probs is None:
                w.writerow(["prediction"])
                for pr in preds:
                    w.writerow([fmt_float(pr)])
            else:
                w.writerow(["prediction", "probability"])
                for pr, pb in zip(preds, probs):
                    w.writerow([fmt_label(pr), fmt_float(pb)])
            self._send(200, buf.getvalue(), "text/csv")
        elif ctype == "application/json":
            preds, probs = answer(m, parse_json(text, m.features))
            body = {"predictions": preds}
            if probs is not None:
                body["probabilities"] = probs
            self._json(200, body)
        else:
            raise BadRequest("unsupported Content-Type %r (use text/csv or application/json)"
                             % ctype)


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: a burst of new connections beyond it has its SYNs
    # dropped and retried a second later, which shows as 1 s tail latency behind a router.
    request_queue_size = 128


# Not an Exception: a signal can land while socketserver hands a new connection to its thread,
# and its `_handle_request_noblock` catches any Exception raised there, prints it and serves on.
# A SIGTERM raised as an Exception was then lost, and the server ran until it was killed.
class _Stop(BaseException):
    pass


def _on_signal(signum, frame):
    raise _Stop()


def serve(predictor, host, port, description):
    """Serve `predictor` until SIGTERM/SIGINT; returns the exit status."""
    if not (0 <= port <= 65535):
        die("--port must be in 0..65535 (got %d)" % port)
    Handler.predictor = predictor
    try:
        httpd = _Server((host, port), Handler)
    except OSError as e:
        die("cannot listen on %s:%d: %s" % (host, port, e.strerror or e))
    httpd.daemon_threads = True
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    h, p = httpd.server_address[:2]
    sys.stderr.write("%s: serving %s with %d features on http://%s:%d\n"
                     % (prog(), description, len(predictor.features), h, p))
    sys.stderr.flush()
    try:
        httpd.serve_forever(poll_interval=0.5)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        httpd.server_close()
    sys.stderr.write("%s: stopped\n" % prog())
    return 0


def serve_description(predictor):
    if predictor.task == "regression":
        return "a regressor"
    return "a classifier, classes %s" % (list(predictor.classes)[:10],)


# ---- the Evaluate and Serve entry points (std/sklearn and std/xgboost differ only in how a
# model file is loaded) ---------------------------------------------------------------------

def evaluate_main(argv, library, load_model, model_help):
    """`evaluate.py` for `library` ("sklearn", "xgboost"): metrics of a model on a labelled CSV."""
    import argparse
    p = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Evaluate an mlpc %s model on a labelled CSV and write metrics "
                    "(classification: auc, accuracy, precision, recall, f1; regression: mse, "
                    "rmse, mae, r2, error_std; and rows) as JSON." % library)
    p.add_argument("--model", required=True, help=model_help)
    p.add_argument("--data", required=True, help="labelled evaluation CSV")
    p.add_argument("--label", required=True, help="name of the label column")
    p.add_argument("--out", required=True, help="output metrics JSON path")
    args = p.parse_args(argv)

    model = load_model(args.model)
    df = read_csv(args.data)
    y = label_column(df, args.label, args.data, model.task)
    X = feature_matrix(df, model.features)
    if model.task == "classification":
        check_known_classes(y, model.classes)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred, proba = model.predict(X)
    m = evaluation_report(model.task, y, pred, proba, model.classes)
    write_json(args.out, m)
    print(summary_line(model.task, m, args.out))
    return 0


def serve_main(argv, library, load_model, model_help):
    """`serve.py` for `library`: the model behind GET /health and POST /invocations."""
    import argparse
    p = argparse.ArgumentParser(
        prog="serve.py",
        description="Serve an mlpc %s model over HTTP: GET /health, "
                    "POST /invocations (text/csv or application/json)." % library)
    p.add_argument("--model", required=True, help=model_help)
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1)")
    args = p.parse_args(argv)
    if not (0 <= args.port <= 65535):
        die("--port must be in 0..65535 (got %d)" % args.port)
    model = load_model(args.model)
    return serve(model, args.host, args.port, library + " " + serve_description(model))
