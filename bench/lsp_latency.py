#!/usr/bin/python3
"""Time from a `didChange` to the `publishDiagnostics` for that version, in `mlpc lsp`.

    bench/lsp_latency.py [N ...]           default N: 1000 100000 (step calls, one line each)
    MLPC=build/mlpc bench/lsp_latency.py

For each N, bench/gen_program.py writes a program of N step calls (about N lines) to bench/out/;
the server opens it, then gets REPEAT (default 10) edits, each one incremental `didChange` that
changes an argument on a line in the middle (and so the whole program is checked again). Each
edit waits for its diagnostics before the next, so the figure is the latency of one check as an
editor sees it (JSON-RPC framing and conversion included). Prints the median and the worst, and
the server's CPU time per edit (less disturbed by other load), its peak RSS, and its RSS after
10, 100 and 1000 edits (REPEAT=1000 to see whether memory grows). Benchmarks never fail the
build.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lsp"))
from lsp_client import Client, position_of, uri_of  # noqa: E402


def rss_mib(pid, field="VmHWM:"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mlpc, n, repeat):
    out = os.path.join(ROOT, "bench", "out")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "lsp_%d.mlp" % n)
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "gen_program.py"), str(n),
                    path], check=True)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    uri = uri_of(path)
    c = Client(mlpc)
    c.initialize(out)
    t0 = time.monotonic()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "mlp",
                                                       "version": 1, "text": text}})
    first = c.diagnostics(uri, 1, timeout=600)
    open_s = time.monotonic() - t0
    # An edit in the middle: a Clean call's fraction changes (the program stays correct).
    i = text.index("fraction = ", len(text) // 2) + len("fraction = ")
    times = []
    cpu = []
    rss_at = {}
    for v in range(2, repeat + 2):
        p = position_of(text, i)
        new = "0.%d" % (v % 10)
        end = text.index(")", i)
        q = position_of(text, end)
        t0 = time.monotonic()
        c0 = cpu_seconds(c.proc.pid)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": v},
                                            "contentChanges": [{"range": {"start": p, "end": q},
                                                                "text": new}]})
        diags = c.diagnostics(uri, v, timeout=600)
        times.append(time.monotonic() - t0)
        cpu.append(cpu_seconds(c.proc.pid) - c0)
        text = text[:i] + new + text[end:]
        if v - 1 in (10, 100, 1000, 10000):
            rss_at[v - 1] = rss_mib(c.proc.pid, "VmRSS:")
    rss = rss_mib(c.proc.pid)
    c.close()
    lines = text.count("\n")
    return (lines, open_s, statistics.median(times), max(times), statistics.median(cpu), rss,
            rss_at, len(diags))


def main():
    mlpc = os.environ.get("MLPC", os.path.join(ROOT, "build", "mlpc"))
    repeat = int(os.environ.get("REPEAT", "10"))
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 100000]
    print("| steps | lines | open -> diagnostics | didChange -> diagnostics (median / worst of %d) "
          "| server CPU per edit (median) | peak RSS | RSS after 10 / 100 / 1000 edits "
          "| diagnostics |" % repeat)
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        lines, open_s, med, worst, cpu, rss, rss_at, d2 = measure(mlpc, n, repeat)
        at = " / ".join("%.0f" % rss_at[k] if k in rss_at else "-" for k in (10, 100, 1000))
        print("| %d | %d | %.0f ms | %.1f ms / %.1f ms | %.1f ms | %.0f MiB | %s MiB | %d |" % (
            n, lines, open_s * 1000, med * 1000, worst * 1000, cpu * 1000, rss, at, d2))


if __name__ == "__main__":
    main()
