#!/usr/bin/python3
"""Concatenate the CSV files of a directory (sorted by name, same header) into one CSV.

usage: concat.py --dir DIR --out CSV      (standard library only)
Exit status: 0 ok, 2 bad input.
"""
import argparse
import os
import sys


def main():
    p = argparse.ArgumentParser(prog="concat.py")
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if not os.path.isdir(a.dir):
        sys.exit("concat.py: error: --dir: not a directory: %s" % a.dir)
    names = sorted(n for n in os.listdir(a.dir) if n.endswith(".csv"))
    if not names:
        sys.exit("concat.py: error: no .csv files in %s" % a.dir)
    header, rows = None, 0
    with open(a.out, "w") as out:
        for n in names:
            with open(os.path.join(a.dir, n)) as f:
                first = f.readline()
                if header is None:
                    header = first
                    out.write(first)
                elif first != header:
                    sys.exit("concat.py: error: %s has a different header" % n)
                for line in f:
                    out.write(line)
                    rows += 1
    print("concatenated %d file(s), %d rows -> %s" % (len(names), rows, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
