#!/usr/bin/python3
"""Render a metrics JSON object as a Markdown table (examples/imports). Standard library only.

usage: report.py --metrics JSON --title TEXT --out FILE
"""
import argparse
import json
import sys


def main():
    p = argparse.ArgumentParser(prog="report.py")
    p.add_argument("--metrics", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with open(a.metrics) as f:
        m = json.load(f)
    lines = ["# %s" % a.title, "", "| metric | value |", "|---|---|"]
    lines += ["| %s | %s |" % (k, m[k]) for k in sorted(m)]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
