#!/usr/bin/python3
"""Batch inference for one data shard through a model server (std.sklearn.transform_shard).

Starts --server-cmd with /bin/sh -c in its own process group, waits until
GET http://127.0.0.1:PORT<health> answers 200, POSTs the rows of --data in
batches (text/csv, with the header row) to <invoke>, and concatenates the CSV
responses into --out (a single header row).  With --join-source each output
row starts with its input row's columns (SageMaker's join_source="Input").
With --format jsonl the shard holds one JSON object per line (no header): the
objects' keys, in first-seen order, become the CSV columns sent to the server,
and each prediction row is written back as one JSON object per line.  The server's process group is
always terminated at the end (SIGTERM, then SIGKILL after 5 s), also on error.

Exit status: 0 ok, 1 server failure (exited, unhealthy, HTTP error),
2 bad input / usage.  On failure --out is not left behind.
"""

import argparse
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROG = "transform_shard.py"
KILL_GRACE = 5.0


class Fail(Exception):
    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


class _Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise _Stop()


def _opener():
    # never route loopback traffic through an http_proxy from the environment
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_rows(path):
    if not os.path.exists(path):
        raise Fail("--data: file not found: %s" % path, 2)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise Fail("--data: cannot read CSV %s: %s" % (path, e), 2)
    if not rows:
        raise Fail("--data: file is empty (no header row): %s" % path, 2)
    return rows[0], rows[1:]


def read_jsonl(path):
    """The shard's objects as (header, rows) of strings, keys in first-seen order."""
    if not os.path.exists(path):
        raise Fail("--data: file not found: %s" % path, 2)
    objs = []
    try:
        with open(path, encoding="utf-8-sig") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    o = json.loads(line)
                except ValueError as e:
                    raise Fail("--data: line %d is not JSON: %s" % (n, e), 2)
                if not isinstance(o, dict):
                    raise Fail("--data: line %d is not a JSON object" % n, 2)
                objs.append(o)
    except (OSError, UnicodeDecodeError) as e:
        raise Fail("--data: cannot read %s: %s" % (path, e), 2)
    header = []
    for o in objs:
        for k in o:
            if k not in header:
                header.append(k)
    def cell(v):
        return "" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
    return header, [[cell(o.get(k)) for k in header] for o in objs], objs


def typed(v):
    """A CSV cell back as a JSON value: numbers as numbers, the rest as text."""
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def port_in_use(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _group_alive(pgid):
    """True while a non-zombie process is left in the process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid, "rb") as f:
                    stat = f.read().decode("ascii", "replace")
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False
    except OSError:
        return True


def stop_server(proc):
    if proc is None:
        return
    pgid = proc.pid  # start_new_session=True: pgid == pid of the shell
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + KILL_GRACE
    while time.monotonic() < deadline:
        proc.poll()
        if not _group_alive(pgid):
            break
        time.sleep(0.05)
    else:
        sys.stderr.write("%s: server did not stop within %.0f s, sending SIGKILL\n"
                         % (PROG, KILL_GRACE))
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def wait_healthy(proc, url, timeout, opener):
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        rc = proc.poll()
        if rc is not None:
            raise Fail("server command exited with status %d before becoming healthy" % rc)
        try:
            with opener.open(url, timeout=2) as r:
                if r.status == 200:
                    return
                last = "HTTP %d" % r.status
        except urllib.error.HTTPError as e:
            last = "HTTP %d" % e.code
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        if time.monotonic() >= deadline:
            raise Fail("server not healthy at %s after %g s (last: %s)" % (url, timeout, last))
        time.sleep(0.2)


def post_batch(opener, url, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    req = urllib.request.Request(url, data=buf.getvalue().encode("utf-8"), method="POST",
                                 headers={"Content-Type": "text/csv",
                                          "Accept": "text/csv"})
    try:
        with opener.open(req, timeout=600) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        detail = e.read()[:500].decode("utf-8", "replace").strip()
        raise Fail("POST %s failed: HTTP %d: %s" % (url, e.code, detail))
    except (urllib.error.URLError, OSError) as e:
        raise Fail("POST %s failed: %s" % (url, getattr(e, "reason", e)))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Fail("server response is not UTF-8 text")
    out = [r for r in csv.reader(io.StringIO(text)) if r]
    if not out:
        raise Fail("server returned an empty response for a batch of %d rows" % len(rows))
    if len(out) - 1 != len(rows):
        raise Fail("server returned %d rows for a batch of %d rows" % (len(out) - 1, len(rows)))
    return out[0], out[1:]


def run(args):
    if not (1 <= args.port <= 65535):
        raise Fail("--port must be in 1..65535 (got %d)" % args.port, 2)
    if not (args.startup_timeout > 0):
        raise Fail("--startup-timeout must be > 0", 2)
    if args.batch < 1:
        raise Fail("--batch must be >= 1 (got %d)" % args.batch, 2)
    for name in ("health", "invoke"):
        if not getattr(args, name).startswith("/"):
            raise Fail("--%s must be a path starting with '/' (got %r)"
                       % (name, getattr(args, name)), 2)
    if not args.server_cmd.strip():
        raise Fail("--server-cmd is empty", 2)
    objs = None
    if args.format == "jsonl":
        header, rows, objs = read_jsonl(args.data)
    else:
        header, rows = read_rows(args.data)
    if port_in_use(args.port):
        raise Fail("port %d on 127.0.0.1 is already in use" % args.port)

    base = "http://127.0.0.1:%d" % args.port
    opener = _opener()
    proc = None
    out_written = False
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", args.server_cmd],
                                stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(),
                                start_new_session=True)
        wait_healthy(proc, base + args.health, args.startup_timeout, opener)
        out_header = None
        n_batches = 0
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            out_written = True
            w = csv.writer(f, lineterminator="\n")
            for start in range(0, len(rows), args.batch):
                batch = rows[start:start + args.batch]
                h, body = post_batch(opener, base + args.invoke, header, batch)
                if out_header is None:
                    out_header = h
                    if args.format == "csv":
                        w.writerow((header + h) if args.join_source else h)
                elif h != out_header:
                    raise Fail("server response header changed between batches: %r vs %r"
                               % (out_header, h))
                for i, row in enumerate(body):
                    if args.format == "jsonl":
                        o = dict(objs[start + i]) if args.join_source else {}
                        o.update({k: typed(v) for k, v in zip(h, row)})
                        f.write(json.dumps(o) + "\n")
                    else:
                        w.writerow((batch[i] + row) if args.join_source else row)
                n_batches += 1
                if proc.poll() is not None:
                    raise Fail("server exited with status %d during the transform"
                               % proc.returncode)
        if not rows:
            sys.stderr.write("%s: warning: %s has no data rows; wrote an empty output\n"
                             % (PROG, args.data))
        print("transformed %d rows in %d batch(es) -> %s" % (len(rows), n_batches, args.out))
    except BaseException:
        if out_written:
            try:
                os.unlink(args.out)
            except OSError:
                pass
        raise
    finally:
        # a second SIGTERM/SIGINT must not interrupt the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_server(proc)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Run batch inference for one CSV shard through a model server "
                    "started for the duration of the call.")
    p.add_argument("--server-cmd", required=True,
                   help="shell command starting the server (run with /bin/sh -c)")
    p.add_argument("--port", type=int, required=True, help="port the server listens on")
    p.add_argument("--health", required=True, help="health-check path, e.g. /health")
    p.add_argument("--invoke", required=True, help="inference path, e.g. /invocations")
    p.add_argument("--data", required=True, help="input CSV shard (with header row)")
    p.add_argument("--out", required=True, help="output CSV path")
    p.add_argument("--startup-timeout", type=float, default=60.0,
                   help="seconds to wait for the server to become healthy (default: 60)")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv",
                   help="the shard's format, and the output's (default: csv)")
    p.add_argument("--join-source", action="store_true",
                   help="start each output row with its input row's columns")
    p.add_argument("--batch", type=int, default=500,
                   help="rows per request (default: 500)")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        run(args)
    except Fail as e:
        sys.stderr.write("%s: error: %s\n" % (PROG, e))
        return e.code
    except _Stop:
        sys.stderr.write("%s: interrupted; server stopped\n" % PROG)
        return 130
    except OSError as e:
        sys.stderr.write("%s: error: %s\n" % (PROG, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
