#!/usr/bin/python3
"""Add a ratio column NUM_per_DEN to a CSV (examples/imports). Standard library only.

usage: features.py --in CSV --num COL --den COL --out CSV
"""
import argparse
import csv
import sys


def main():
    p = argparse.ArgumentParser(prog="features.py")
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--num", required=True)
    p.add_argument("--den", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with open(a.inp, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        sys.exit("features.py: error: empty input")
    header = rows[0]
    for col in (a.num, a.den):
        if col not in header:
            sys.exit("features.py: error: no column %r (columns: %s)" % (col, ", ".join(header)))
    i, j = header.index(a.num), header.index(a.den)
    name = "%s_per_%s" % (a.num, a.den)
    # Keep the label (the last column) last.
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header[:-1] + [name, header[-1]])
        for r in rows[1:]:
            den = float(r[j])
            ratio = float(r[i]) / den if den else 0.0
            w.writerow(r[:-1] + ["%.10g" % ratio, r[-1]])
    print("added %s to %d rows -> %s" % (name, len(rows) - 1, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
