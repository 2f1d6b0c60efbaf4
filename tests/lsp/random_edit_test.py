#!/usr/bin/python3
"""Robustness of `mlpc lsp` under random edits: every example and stdlib module is opened and
edited many times at random (deletions, insertions of program fragments, of stray bytes and of
non-ASCII text) with incremental didChange ranges, with hover, definition, references, symbol,
completion and semantic token requests at random positions in between. The server must answer
every request in time, with well-formed completions and tokens, and publish diagnostics for the
last version; at the end its copy of each document must equal the test's (the outline and
diagnostics of the edited document equal those of the same text opened fresh).

    /usr/bin/python3 tests/lsp/random_edit_test.py build/mlpc [SEED] [EDITS_PER_FILE]
"""
import glob
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_client import Client, position_of, uri_of  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FRAGMENTS = ["{", "}", "(", ")", "\"", "${", "}", "=", "->", ",", ".", ":", "\n", " ",
             "step ", "pipeline ", "import ", "data ", "model ", "endpoint ", "for x in ",
             "if ", "else ", "register ", "fail ", "Dataset<", ">", "Metrics{", "list<",
             "5m", "10%", "2GiB", "1e309", "999999999999999999999", "\"\"\"", "//", "/*",
             "é", "\u00e9\u0301", "\U0001F600", "\u4e2d\u6587", "\t", "x", "_"]


def well_formed(method, result):
    """The shape of a completion list (edits with ordered ranges) and of semantic tokens (groups
    of five, in order, none empty)."""
    if method == "textDocument/completion":
        items = result.get("items", []) if isinstance(result, dict) else result
        for i in items or []:
            r = i.get("textEdit", {}).get("range", {})
            start, end = r.get("start", {}), r.get("end", {})
            if not i.get("label") or (start.get("line"), start.get("character")) > \
                    (end.get("line"), end.get("character")):
                return False
    if method == "textDocument/semanticTokens/full":
        data = (result or {}).get("data", [])
        if len(data) % 5:
            return False
        for k in range(0, len(data), 5):
            if data[k] < 0 or data[k + 1] < 0 or data[k + 2] <= 0:
                return False
    return True


def random_edit(rng, text, limit):
    """One edit: (start, end, replacement) as character offsets. Past `limit` characters only
    deletions, so the text stays the size of a source file."""
    n = len(text)
    kind = rng.random() * (0.35 if n > limit else 1)
    a = rng.randint(0, n)
    if kind < 0.35:  # delete a span
        b = min(n, a + rng.choice([1, 1, 2, 5, 20, 200]))
        return a, b, ""
    if kind < 0.8:  # insert a fragment
        return a, a, rng.choice(FRAGMENTS)
    if kind < 0.9:  # replace a span with a fragment
        b = min(n, a + rng.randint(1, 10))
        return a, b, rng.choice(FRAGMENTS)
    # duplicate a line elsewhere (whole declarations move around)
    s = rng.randint(0, n)
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", s)
    le = n if le < 0 else le + 1
    return a, a, text[ls:min(le, ls + 200)]


def main():
    mlpc = os.path.abspath(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    edits = int(sys.argv[3]) if len(sys.argv) > 3 else 120
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="mlpc-lsp-random-")
    failures = []
    requests = 0
    try:
        for d in ("examples", "stdlib"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(tmp, d))
        files = sorted(glob.glob(os.path.join(tmp, "examples", "**", "*.mlp"), recursive=True) +
                       glob.glob(os.path.join(tmp, "stdlib", "**", "*.mlp"), recursive=True))
        stderr_path = os.path.join(tmp, "server.stderr")
        c = Client(mlpc, stderr_path=stderr_path)
        c.initialize(tmp)
        for path in files:
            rel = os.path.relpath(path, tmp)
            uri = uri_of(path)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            limit = 2 * len(text)
            version = 1
            c.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "mlp", "version": version, "text": text}})
            pending = []
            for i in range(edits):
                a, b, rep = random_edit(rng, text, limit)
                version += 1
                c.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {"start": position_of(text, a),
                                                  "end": position_of(text, b)}, "text": rep}]})
                text = text[:a] + rep + text[b:]
                if rng.random() < 0.3:
                    method = rng.choice(["textDocument/hover", "textDocument/definition",
                                         "textDocument/references",
                                         "textDocument/prepareRename",
                                         "textDocument/documentSymbol",
                                         "textDocument/completion",
                                         "textDocument/semanticTokens/full"])
                    params = {"textDocument": {"uri": uri}}
                    if method not in ("textDocument/documentSymbol",
                                      "textDocument/semanticTokens/full"):
                        params["position"] = position_of(text, rng.randint(0, len(text)))
                    if method == "textDocument/references":
                        params["context"] = {"includeDeclaration": True}
                    pending.append((method, c.request_async(method, params)))
                    requests += 1
            try:
                for method, rid in pending:
                    r = c.response(rid, timeout=60)
                    if "error" in r:
                        failures.append("%s: %s answered an error: %s" % (rel, method, r["error"]))
                    elif not well_formed(method, r.get("result")):
                        failures.append("%s: %s answered a malformed result: %s"
                                        % (rel, method, str(r.get("result"))[:300]))
                c.diagnostics(uri, version, timeout=60)
                # The server's copy equals ours: the same answers as the text opened afresh.
                fresh = uri_of(path + ".fresh.mlp")
                c.notify("textDocument/didOpen", {"textDocument": {
                    "uri": fresh, "languageId": "mlp", "version": 1, "text": text}})
                c.diagnostics(fresh, 1, timeout=60)
                s1 = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
                s2 = c.request("textDocument/documentSymbol", {"textDocument": {"uri": fresh}})
                if s1.get("result") != s2.get("result"):
                    failures.append(rel + ": the edited document differs from its text opened "
                                    "afresh (incremental sync lost track)")
                c.notify("textDocument/didClose", {"textDocument": {"uri": fresh}})
                c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            except Exception as e:  # a timeout or a dead server ends the test
                failures.append("%s: %s" % (rel, e))
                break
            print("ok   - %s: %d edits" % (rel, edits))
        code = c.close()
        if code != 0:
            failures.append("the server exited with %s after shutdown" % code)
        with open(stderr_path, encoding="utf-8", errors="replace") as f:
            err = f.read()
        if "what():" in err or "json.exception" in err:
            failures.append("internal exception text on stderr: " + err[:300])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL - " + f)
    print("%d files, %d requests (seed %d); %d failures" % (len(files), requests, seed,
                                                             len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
