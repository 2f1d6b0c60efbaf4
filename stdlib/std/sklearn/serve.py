#!/usr/bin/python3
"""Serve an mlpc sklearn model bundle over HTTP (std.sklearn.serve).

Endpoints:
  GET  /health       -> 200 {"status": "ok"} once the model is loaded
  POST /invocations  -> predictions
      Content-Type: text/csv
          rows with or without a header row; with a header, columns are
          matched by name (the label column and unknown columns are ignored);
          without one, each row must hold exactly the model's features in order.
          Response: text/csv with header "prediction,probability".
      Content-Type: application/json
          {"instances": [[v, ...], ...]} or {"instances": [{"feature": v, ...}, ...]}
          Response: {"predictions": [...], "probabilities": [...]}
  "probability" is the probability of the positive (larger) class for binary
  models and the maximum class probability otherwise.
Bad requests get 400 with {"error": "..."}; unknown paths 404.
SIGTERM / SIGINT stop the server cleanly (exit 0).
"""

import argparse
import csv
import io
import json
import math
import os
import pickle
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROG = "serve.py"
FORMAT = "mlpc-sklearn-model"
MAX_BODY = 256 * 1024 * 1024


def die(msg):
    sys.stderr.write("%s: error: %s\n" % (PROG, msg))
    sys.exit(2)


class BadRequest(Exception):
    pass


def load_model(path):
    if not os.path.exists(path):
        die("--model: file not found: %s" % path)
    try:
        with open(path, "rb") as f:
            bundle = pickle.load(f)
    except Exception as e:
        die("--model: cannot load %s: %s" % (path, e))
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        die("--model: %s is not an mlpc sklearn model (format %r expected)" % (path, FORMAT))
    if bundle.get("version") != 1:
        die("--model: unsupported model version %r" % (bundle.get("version"),))
    return bundle


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


class Model:
    def __init__(self, bundle):
        self.est = bundle["estimator"]
        self.features = [str(f) for f in bundle["features"]]
        self.label = str(bundle.get("label", ""))
        self.classes = [c.item() if hasattr(c, "item") else c for c in self.est.classes_]
        self.binary = len(self.classes) == 2

    def predict(self, rows):
        import numpy as np
        X = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.features))
        preds = self.est.predict(X)
        proba = self.est.predict_proba(X)
        if self.binary:
            p = proba[:, 1]
        else:
            p = proba.max(axis=1)
        preds = [v.item() if hasattr(v, "item") else v for v in preds]
        return preds, [float(v) for v in p]

    # --- request parsing -------------------------------------------------
    def parse_csv(self, text):
        rows = [r for r in csv.reader(io.StringIO(text))
                if r and any(c.strip() for c in r)]
        if not rows:
            raise BadRequest("empty CSV body")
        first = [c.strip() for c in rows[0]]
        known = set(self.features) | {self.label}
        has_header = (any(c in known for c in first)
                      or any(c != "" and not _is_number(c) for c in first))
        n = len(self.features)
        out = []
        if has_header:
            index = {}
            for i, name in enumerate(first):
                index.setdefault(name, i)
            missing = [f for f in self.features if f not in index]
            if missing:
                raise BadRequest("CSV header lacks feature column(s): %s"
                                 % ", ".join(missing[:20]))
            cols = [index[f] for f in self.features]
            width = len(first)
            for r, row in enumerate(rows[1:], start=1):
                if len(row) != width:
                    raise BadRequest("CSV row %d has %d fields, header has %d"
                                     % (r, len(row), width))
                out.append([to_float(row[c], r, f) for c, f in zip(cols, self.features)])
            if not out:
                raise BadRequest("CSV body has a header but no data rows")
        else:
            for r, row in enumerate(rows, start=1):
                if len(row) != n:
                    raise BadRequest("CSV row %d has %d fields, expected %d features (%s)"
                                     % (r, len(row), n, ",".join(self.features)))
                out.append([to_float(v, r, f) for v, f in zip(row, self.features)])
        return out

    def parse_json(self, text):
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise BadRequest("invalid JSON: %s" % e)
        if not isinstance(doc, dict) or "instances" not in doc:
            raise BadRequest('JSON body must be an object with an "instances" list')
        inst = doc["instances"]
        if not isinstance(inst, list) or not inst:
            raise BadRequest('"instances" must be a non-empty list')
        n = len(self.features)
        out = []
        for r, item in enumerate(inst):
            if isinstance(item, list):
                if len(item) != n:
                    raise BadRequest("instance %d has %d values, expected %d features (%s)"
                                     % (r, len(item), n, ",".join(self.features)))
                out.append([to_float(v, r, f) for v, f in zip(item, self.features)])
            elif isinstance(item, dict):
                missing = [f for f in self.features if f not in item]
                if missing:
                    raise BadRequest("instance %d lacks feature(s): %s"
                                     % (r, ", ".join(missing[:20])))
                out.append([to_float(item[f], r, f) for f in self.features])
            else:
                raise BadRequest("instance %d must be a list or an object" % r)
        return out


class Handler(BaseHTTPRequestHandler):
    server_version = "mlpc-sklearn-serve/1"
    model = None  # set in main()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s: %s %s\n" % (PROG, self.address_string(), fmt % args))

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
            self._json(200, {"status": "ok"})
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
        model = self.model
        if ctype in ("text/csv", "application/csv"):
            rows = model.parse_csv(text)
            preds, probs = model.predict(rows)
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(["prediction", "probability"])
            for pr, pb in zip(preds, probs):
                w.writerow([fmt_label(pr), fmt_float(pb)])
            self._send(200, buf.getvalue(), "text/csv")
        elif ctype == "application/json":
            rows = model.parse_json(text)
            preds, probs = model.predict(rows)
            self._json(200, {"predictions": preds, "probabilities": probs})
        else:
            raise BadRequest("unsupported Content-Type %r (use text/csv or application/json)"
                             % ctype)


class _Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise _Stop()


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Serve an mlpc sklearn model over HTTP: GET /health, "
                    "POST /invocations (text/csv or application/json).")
    p.add_argument("--model", required=True, help="model pickle written by train.py")
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1)")
    args = p.parse_args(argv)
    if not (0 <= args.port <= 65535):
        die("--port must be in 0..65535 (got %d)" % args.port)

    model = Model(load_model(args.model))
    Handler.model = model
    try:
        httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    except OSError as e:
        die("cannot listen on %s:%d: %s" % (args.host, args.port, e.strerror or e))
    httpd.daemon_threads = True
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    host, port = httpd.server_address[:2]
    sys.stderr.write("%s: serving %d features, classes %s on http://%s:%d\n"
                     % (PROG, len(model.features), model.classes[:10], host, port))
    sys.stderr.flush()
    try:
        httpd.serve_forever(poll_interval=0.5)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        httpd.server_close()
    sys.stderr.write("%s: stopped\n" % PROG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
