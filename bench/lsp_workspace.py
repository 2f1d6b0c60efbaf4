#!/usr/bin/python3
"""References across a workspace in `mlpc lsp`: the first request (the index is built: every
file listed and parsed for its imports, each importer checked) and the next ones (imports cached).

    bench/lsp_workspace.py [FILES]         default FILES: 200
    MLPC=build/mlpc REPEAT=5 bench/lsp_workspace.py 200

Writes FILES .mlp files to bench/out/lsp_workspace/: `shared.mlp` declares a step; half of the
others import it (in subdirectories of 20 files) and call it 20 times, the other half are programs
of 20 step calls that import nothing. With `shared.mlp` open, times `textDocument/references` on
the step's name: the first request, then the median of REPEAT more. Benchmarks never fail the
build.
"""
import os
import shutil
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lsp"))
from lsp_client import Client, position_of_str, uri_of  # noqa: E402

SHARED = 'step Work(n: int) -> Dataset<csv> {\n  run = "work --n ${n} --out ${out}"\n}\n'
CALLS = 20


def importer(i):
    calls = "".join("  r%d = shared.Work(n = %d)\n" % (k, k) for k in range(CALLS))
    return 'import "../shared.mlp"\n\npipeline p%d() {\n%s}\n' % (i, calls)


def alone(i):
    calls = "".join("  r%d = Local(n = %d)\n" % (k, k) for k in range(CALLS))
    return ('step Local(n: int) -> Dataset<csv> {\n  run = "local --n ${n} --out ${out}"\n}\n\n'
            'pipeline q%d() {\n%s}\n' % (i, calls))


def main():
    mlpc = os.environ.get("MLPC", os.path.join(ROOT, "build", "mlpc"))
    repeat = int(os.environ.get("REPEAT", "5"))
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    root = os.path.join(ROOT, "bench", "out", "lsp_workspace")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    with open(os.path.join(root, "shared.mlp"), "w", encoding="utf-8") as f:
        f.write(SHARED)
    for i in range(files - 1):
        d = os.path.join(root, "dir%02d" % (i // 20))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%03d.mlp" % i), "w", encoding="utf-8") as f:
            f.write(importer(i) if i % 2 == 0 else alone(i))
    uri = uri_of(os.path.join(root, "shared.mlp"))
    c = Client(mlpc)
    c.initialize(root)
    c.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "mlp", "version": 1, "text": SHARED}})
    c.diagnostics(uri, 1, timeout=300)
    params = {"textDocument": {"uri": uri}, "position": position_of_str(SHARED, "Work"),
              "context": {"includeDeclaration": True}}
    times = []
    for _ in range(repeat + 1):
        start = time.time()
        found = c.request("textDocument/references", params, timeout=300).get("result") or []
        times.append(time.time() - start)
    files_found = len({loc["uri"] for loc in found})
    print("| files | importers | references | first request | next (median of %d) |" % repeat)
    print("|---|---|---|---|---|")
    print("| %d | %d | %d in %d files | %.0f ms | %.0f ms |" % (
        files, (files - 1 + 1) // 2, len(found), files_found, times[0] * 1000,
        statistics.median(times[1:]) * 1000))
    c.close()


if __name__ == "__main__":
    main()
