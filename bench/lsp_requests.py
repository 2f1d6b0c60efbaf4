#!/usr/bin/python3
"""Round trip of `textDocument/completion` and `textDocument/semanticTokens/full` in `mlpc lsp`.

    bench/lsp_requests.py [N ...]          default N: 1000 10000 (step calls, one line each)
    MLPC=build/mlpc bench/lsp_requests.py

For each N, bench/gen_program.py writes a program of N step calls to bench/out/; the server opens
and checks it, then answers a completion at the start of a line in the middle of the pipeline
(every binding is a candidate) and the file's semantic tokens, each REPEAT (default 5) times.
Prints the median round trip and the size of the answer. Benchmarks never fail the build.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lsp"))
from lsp_client import Client, position_of, uri_of  # noqa: E402


def timed(c, method, params, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.time()
        result = c.request(method, params, timeout=300).get("result")
        times.append(time.time() - start)
    return statistics.median(times), result


def main():
    mlpc = os.environ.get("MLPC", os.path.join(ROOT, "build", "mlpc"))
    repeat = int(os.environ.get("REPEAT", "5"))
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    out = os.path.join(ROOT, "bench", "out")
    os.makedirs(out, exist_ok=True)
    print("| step calls | completion (median) | items | semanticTokens/full (median) | tokens |")
    print("|---|---|---|---|---|")
    for n in sizes:
        path = os.path.join(out, "lsp_requests_%d.mlp" % n)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_program.py"), str(n),
                        path], check=True)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        c = Client(mlpc)
        c.initialize(out)
        uri = uri_of(path)
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "mlp", "version": 1, "text": text}})
        c.diagnostics(uri, 1, timeout=300)
        middle = text.index("\n", len(text) // 2) + 1
        comp, items = timed(c, "textDocument/completion", {
            "textDocument": {"uri": uri}, "position": position_of(text, middle)}, repeat)
        toks, data = timed(c, "textDocument/semanticTokens/full",
                           {"textDocument": {"uri": uri}}, repeat)
        print("| %d | %.0f ms | %d | %.0f ms | %d |" % (
            n, comp * 1000, len(items["items"]), toks * 1000, len(data["data"]) // 5))
        c.close()


if __name__ == "__main__":
    main()
