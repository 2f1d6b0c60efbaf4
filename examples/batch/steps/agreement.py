#!/usr/bin/python3
"""Compare the first column of two prediction CSVs (examples/batch). Standard library only.

usage: agreement.py A.csv B.csv --out METRICS.json   ->  {"agreement": float, "rows": int}
"""
import argparse
import csv
import json
import sys


def first_column(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [r[0] for r in rows[1:] if r]


def main():
    p = argparse.ArgumentParser(prog="agreement.py")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    a, b = first_column(args.a), first_column(args.b)
    if len(a) != len(b):
        sys.exit("agreement.py: error: %d rows vs %d rows" % (len(a), len(b)))
    same = sum(1 for x, y in zip(a, b) if float(x) == float(y))
    m = {"agreement": round(same / len(a), 6) if a else 1.0, "rows": len(a)}
    with open(args.out, "w") as f:
        json.dump(m, f, sort_keys=True)
    print(json.dumps(m, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
