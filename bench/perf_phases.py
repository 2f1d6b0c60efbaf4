#!/usr/bin/env python3
"""Attribute the samples of `perf script` (recorded with --call-graph dwarf) to front-end phases.

    perf script -i perf.data | bench/perf_phases.py

A sample counts for teardown when any frame is a destructor run at exit; otherwise for the
first phase whose pattern matches a frame, innermost frame first. Standard library only.
"""
import collections
import re
import sys

phases = [  # (phase, regex); the first one is checked against every frame
    ("teardown (destructors at exit)", r"~Frontend|~Program\b|Program::~Program|exit|__run_exit_handlers"),
    ("lex (ANTLR lexer)", r"BufferedTokenStream::fill|Lexer::nextToken|CheckedTokenSource"),
    ("cutting into pieces", r"pipelineCuts"),
    ("lexical-error scan", r"reportLexicalErrors"),
    ("parse (ANTLR parser, SLL)", r"MlpParser::(file|topLevel|statement|pipelineHead)|parseTwoStage|parseUnits|parseWhole"),
    ("AST (Transformer)", r"Transformer::"),
    ("parse-tree + token teardown", r"ParseTreeTracker::reset|~Parser|~CommonTokenStream|UnbufferedTokenStream::release|~UnbufferedTokenStream|~ParserRuleContext|~MlpLexer|~ANTLRInputStream|ParseTree::~"),
    ("sema (names, types, dataflow)", r"Checker::|sema::analyze"),
    ("lower (plan)", r"plan::lower|Lowerer::"),
    ("plan JSON dump", r"plan::dump|basic_json.*dump|serializer"),
    ("diagnostics", r"emitDiagnostics|renderAllText|DiagnosticSink::sort"),
]
counts = collections.Counter(); total = 0
stack = []
def flush():
    global total
    if not stack: return
    total += 1
    frames = list(reversed(stack))  # outermost first
    for ph, rx in phases[:1]:
        if any(re.search(rx, f) for f in frames): counts[ph] += 1; return
    for f in stack:  # innermost first
        for ph, rx in phases[1:]:
            if re.search(rx, f):
                counts[ph] += 1; return
    counts["other"] += 1
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        flush(); stack = []; continue
    if line.startswith("\t") or line.startswith(" "):
        parts = line.strip().split(None, 1)
        if len(parts) == 2: stack.append(parts[1])
    else:
        stack = []
flush()
for ph, n in counts.most_common():
    print("%-34s %5.1f%%" % (ph, 100.0 * n / total))
print("samples", total)
