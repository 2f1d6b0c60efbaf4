"""A small LSP client for the tests: spawns `mlpc lsp`, frames JSON-RPC messages with
Content-Length, and waits (with timeouts) for responses and notifications."""
import json
import os
import queue
import subprocess
import threading
import time


class ServerDied(Exception):
    pass


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def position_of(text, offset):
    """The LSP position (UTF-16 columns) of character index `offset` in `text`."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": utf16_len(text[start:offset])}


def position_of_str(text, needle, nth=0, delta=0):
    """The position of the `nth` occurrence of `needle` in `text`, plus `delta` characters."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return position_of(text, i + delta)


def uri_of(path):
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(path))


class Client:
    def __init__(self, mlpc, args=("lsp",), stderr_path=None):
        self.stderr_file = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen([mlpc, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr_file)
        self.next_id = 1
        self.inbox = queue.Queue()
        self.responses = {}
        self.notifications = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        out = self.proc.stdout
        try:
            while True:
                headers = {}
                while True:
                    line = out.readline()
                    if not line:
                        self.inbox.put(None)
                        return
                    line = line.decode("ascii").rstrip("\r\n")
                    if not line:
                        break
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                n = int(headers["content-length"])
                body = out.read(n)
                self.inbox.put(json.loads(body.decode("utf-8")))
        except Exception as e:  # a framing error is a test failure, reported by the waiter
            self.inbox.put({"__error__": repr(e)})

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, msg):
        body = json.dumps(msg).encode("utf-8")
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request_async(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def _pump(self, deadline):
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise TimeoutError("no answer from the server in time")
        try:
            msg = self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no answer from the server in time")
        if msg is None:
            raise ServerDied("the server closed its output (exit code %s)" % self.proc.poll())
        if "__error__" in msg:
            raise ServerDied("unreadable output from the server: " + msg["__error__"])
        if "id" in msg and "method" not in msg:
            self.responses[msg["id"]] = msg
        else:
            self.notifications.append(msg)

    def response(self, rid, timeout=60):
        deadline = time.monotonic() + timeout
        while rid not in self.responses:
            self._pump(deadline)
        return self.responses.pop(rid)

    def request(self, method, params, timeout=60):
        return self.response(self.request_async(method, params), timeout)

    def wait_notification(self, method, pred=lambda p: True, timeout=60):
        """The first unconsumed notification `method` whose params satisfy `pred` (consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, n in enumerate(self.notifications):
                if n.get("method") == method and pred(n.get("params")):
                    return self.notifications.pop(i)["params"]
            self._pump(deadline)

    def diagnostics(self, uri, version=None, timeout=60):
        """The diagnostics published for `uri` (at `version` when given). Older publications
        for the same document that were not waited for (a burst of edits may or may not be
        checked once per edit) are dropped with it."""
        params = self.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
            timeout)
        if version is not None:
            self.notifications = [
                n for n in self.notifications
                if not (n.get("method") == "textDocument/publishDiagnostics"
                        and n["params"]["uri"] == uri
                        and n["params"].get("version", 0) < version)]
        return params["diagnostics"]

    def initialize(self, root=None):
        r = self.request("initialize", {"processId": os.getpid(), "rootUri": root and uri_of(root),
                                        "capabilities": {}})
        self.notify("initialized", {})
        return r

    def close(self, timeout=30):
        """shutdown + exit; returns the exit code."""
        if self.proc.poll() is None:
            try:
                self.request("shutdown", None, timeout)
                self.notify("exit", None)
            except (BrokenPipeError, ServerDied, TimeoutError):
                pass
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
