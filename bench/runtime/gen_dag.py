#!/usr/bin/env python3
"""Writes one DAG of N trivial steps in four forms, for bench/runtime.sh:

    dag.mlp      an mlpc pipeline `dag` (one binding per step)
    build.ninja  the same graph for ninja
    Makefile     the same graph for make
    Snakefile    the same graph for snakemake

Step i (0 <= i < N) writes its number to its output; it reads the output of step (i - 1) // 2
(a binary tree rooted at step 0, which reads seed.txt), so the graph is deep (log2 N) and wide
(N / 2 leaves): -j 2 always has work for both slots. The commands are the same everywhere:
`echo I > OUT` run by /bin/sh.

    gen_dag.py N OUTDIR
"""
import os
import sys


def parent(i):
    return (i - 1) // 2


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(os.path.join(out, "out"), exist_ok=True)
    with open(os.path.join(out, "seed.txt"), "w") as f:
        f.write("seed\n")

    with open(os.path.join(out, "dag.mlp"), "w") as f:
        f.write("// %d trivial steps in a binary tree (bench/runtime/gen_dag.py)\n" % n)
        f.write('data seed: File = file("seed.txt")\n\n')
        f.write("step Work(_x: File, i: int) -> File {\n")
        f.write('  run = "echo ${i} > ${out}"\n}\n\n')
        f.write("pipeline dag() {\n")
        for i in range(n):
            src = "seed" if i == 0 else "_s%d" % parent(i)
            f.write("  _s%d = Work(%s, %d)\n" % (i, src, i))
        f.write("}\n")

    with open(os.path.join(out, "build.ninja"), "w") as f:
        f.write("rule work\n  command = echo $i > $out\n\n")
        for i in range(n):
            src = "seed.txt" if i == 0 else "out/s%d" % parent(i)
            f.write("build out/s%d: work %s\n  i = %d\n" % (i, src, i))

    with open(os.path.join(out, "Makefile"), "w") as f:
        f.write("all:")
        for i in range(n):
            f.write(" out/s%d" % i)
        f.write("\n.PHONY: all\n\n")
        for i in range(n):
            src = "seed.txt" if i == 0 else "out/s%d" % parent(i)
            f.write("out/s%d: %s\n\techo %d > $@\n" % (i, src, i))

    with open(os.path.join(out, "Snakefile"), "w") as f:
        f.write("N = %d\n\n" % n)
        f.write("def parent(wc):\n")
        f.write("    i = int(wc.i)\n")
        f.write('    return "seed.txt" if i == 0 else "out/s%d" % ((i - 1) // 2)\n\n')
        f.write("rule all:\n")
        f.write('    input: expand("out/s{i}", i=range(N))\n\n')
        f.write("rule work:\n")
        f.write("    input: parent\n")
        f.write('    output: "out/s{i}"\n')
        f.write('    wildcard_constraints: i="\\d+"\n')
        f.write('    shell: "echo {wildcards.i} > {output}"\n')


if __name__ == "__main__":
    main()
