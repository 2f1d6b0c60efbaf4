#!/usr/bin/env bash
# frontend_large_test.sh — a program large enough to be parsed in pieces on several threads
# (compiler/syntax/parse_pieces.h: from 256 KiB) is checked and compiled as a small one is, and
# an error anywhere in it is reported once, at its place, by the careful parse. Also: mlpc
# allocates through jemalloc with transparent huge pages asked for (tools/mlpc/heap.cpp), except
# in a sanitizer build (MLPC_SANITIZED=1), whose allocator replaces it.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
"$PY" "$ROOT/bench/gen_program.py" 12000 big.mlp || exit 2
size=$(stat -c %s big.mlp)
check "the generated program is over 256 KiB ($size bytes)" test "$size" -gt 262144

out=$("$MLPC" check big.mlp 2>&1)
check_eq "check: a large valid program has no diagnostics" \
  "big.mlp: ok (4 steps, 1 pipeline); 1 module loaded" "$out"
"$MLPC" parse --dump-ast big.mlp > ast.txt 2>&1
check_eq "parse --dump-ast: every statement is in the tree, in order" "12000 _b11999" \
  "$(grep -c '^      Assign ' ast.txt) $(grep '^      Assign ' ast.txt | tail -1 | awk '{print $2}')"
"$MLPC" compile big.mlp -o plan.json > /dev/null 2>&1
check_eq "compile: a plan with every step call" "12000" \
  "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["nodes"]))' plan.json 2>&1)"

# The same program with an error three quarters of the way into the pipeline: each piece's
# parse fails or cannot join, and the careful parse reports the error with its exact place.
lines=$(wc -l < big.mlp)
at=$((lines * 3 / 4))
awk -v at="$at" 'NR == at { print "  broken = Join(b1,"; print "  ) )" } { print }' big.mlp > bad.mlp
out=$("$MLPC" check bad.mlp 2>&1)
check_contains "a syntax error late in a large file: reported at its place" \
  "bad.mlp:$((at + 1)):5: error[E001]: unexpected \`)\`" "$out"
check_eq "… once" "1" "$(grep -c 'error\[' <<< "$out")"

awk -v at="$at" 'NR == at { print "  weird = Source(seed = 10min)" } { print }' big.mlp > unit.mlp
out=$("$MLPC" check unit.mlp 2>&1)
check_contains "a bad unit late in a large file: reported at its place, with the lexer's message" \
  "unit.mlp:$at:25: error[E025]: unknown unit \`min\` in \`10min\`" "$out"

awk -v at="$at" 'NR == at { print "  s = Source(seed = 1)"; print "  t = Clean(s, fraction = \"${1 +}\")" } { print }' big.mlp > interp.mlp
out=$("$MLPC" check interp.mlp 2>&1)
check_eq "a bad \${…} late in a large file: reported once" "1" \
  "$(grep -c 'interp.mlp:'"$((at + 1))"':' <<< "$out")"

if [ "${MLPC_SANITIZED:-0}" = 1 ]; then
  ok "allocator: a sanitizer build keeps the sanitizer's (skipped)"
else
  stats=$(MALLOC_CONF=stats_print:true "$MLPC" parse big.mlp 2>&1 > /dev/null)
  check_contains "allocator: jemalloc" "jemalloc statistics" "$stats"
  check_contains "allocator: transparent huge pages asked for" 'opt.thp: "always"' "$stats"
fi

finish
