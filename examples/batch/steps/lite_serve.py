#!/usr/bin/python3
"""A minimal model server for mlpc sklearn bundles (examples/batch).

    lite_serve.py --model PICKLE --port N

GET /health answers 200 once the model is loaded; POST /invocations takes CSV rows with a
header (the model's feature columns; others are ignored) and answers CSV with one column,
`prediction`. Needs Debian's python3-sklearn (the pickle holds a fitted estimator).
"""
import argparse
import csv
import io
import pickle
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser(prog="lite_serve.py")
    p.add_argument("--model", required=True)
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    with open(a.model, "rb") as f:
        bundle = pickle.load(f)
    est, features = bundle["estimator"], bundle["features"]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body, ctype):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.split("?")[0] == "/health":
                self._send(200, '{"status": "ok"}', "application/json")
            else:
                self._send(404, '{"error": "not found"}', "application/json")

        def do_POST(self):
            if self.path.split("?")[0] != "/invocations":
                self._send(404, '{"error": "not found"}', "application/json")
                return
            n = int(self.headers.get("Content-Length") or 0)
            rows = list(csv.DictReader(io.StringIO(self.rfile.read(n).decode("utf-8"))))
            try:
                x = [[float(r[c]) for c in features] for r in rows]
            except (KeyError, ValueError) as e:
                self._send(400, '{"error": "bad row: %s"}' % e, "application/json")
                return
            preds = est.predict(x) if x else []
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(["prediction"])
            for v in preds:
                w.writerow([v.item() if hasattr(v, "item") else v])
            self._send(200, out.getvalue(), "text/csv")

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
