"""load.py — an open-loop HTTP load at a fixed rate, for bench/serve.sh.

  load.py URL RATE SECONDS BODY_FILE CONTENT_TYPE OUT.json
  load.py URL R1:S1,R2:S2,… - BODY_FILE CONTENT_TYPE OUT.json   (a ramp: R1/s for S1 s, then …)

Requests are scheduled at RATE per second (not "as fast as answers come back", so a slow or
failing fleet does not lower the load), spread over worker threads that each keep one
connection. Every answer is recorded with its send time, status and the production variant
(the version) that answered; OUT.json gets them all.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, rate, seconds, body_file, ctype, out = sys.argv[1:7]
if ":" in rate:
    phases = [(float(r), float(d)) for r, d in (p.split(":") for p in rate.split(","))]
else:
    phases = [(float(rate), float(seconds))]
# The send time of every request, relative to the start: RATE per second in each phase.
due_at = []
phase_start = 0.0
for r, d in phases:
    due_at += [phase_start + i / r for i in range(int(r * d))]
    phase_start += d
rate, seconds = len(due_at) / phase_start, phase_start
body = open(body_file, "rb").read()
u = urllib.parse.urlsplit(url)
WORKERS = 16
records = []
lock = threading.Lock()
start = time.monotonic()
wall_start = time.time()
total = len(due_at)


def worker(k):
    conn = None
    for i in range(k, total, WORKERS):
        due = start + due_at[i]
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        t0 = time.monotonic()
        status, variant = 0, ""
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("POST", u.path, body, {"Content-Type": ctype})
            r = conn.getresponse()
            r.read()
            status = r.status
            variant = r.getheader("X-Amzn-Invoked-Production-Variant") or ""
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception:  # a failed connection is a failed request, recorded as status 0
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            records.append({"t": t0 - start, "ms": (time.monotonic() - t0) * 1000,
                            "status": status, "variant": variant})


threads = [threading.Thread(target=worker, args=(k,)) for k in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
records.sort(key=lambda r: r["t"])
json.dump({"rate": rate, "seconds": seconds, "phases": phases, "wall_start": wall_start,
           "records": records}, open(out, "w"))
