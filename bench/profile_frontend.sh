#!/usr/bin/env bash
# bench/profile_frontend.sh — where the front end's time goes, by phase (needs `perf`).
#
#   bench/profile_frontend.sh [N] [check|compile]     default: 10000 check
#
# Records `mlpc check` (or `compile -o -`) on the generated N-step program with DWARF call
# graphs and prints the share of samples per phase (lex, parse, AST, sema, lower, teardown).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
N=${1:-10000}
WHAT=${2:-check}
PY=/usr/bin/python3
command -v perf >/dev/null || { echo "profile_frontend.sh: needs perf (Debian: linux-perf)" >&2; exit 2; }
mkdir -p "$ROOT/bench/out"
prog=$ROOT/bench/out/prog_$N.mlp
[ -f "$prog" ] || "$PY" "$ROOT/bench/gen_program.py" "$N" "$prog"
data=$(mktemp "${TMPDIR:-/tmp}/mlpc-perf.XXXXXX")
trap 'rm -f "$data"' EXIT
args=("$WHAT" "$prog")
[ "$WHAT" = compile ] && args+=(-o -)
perf record -q --call-graph dwarf,16384 -F 1000 -o "$data" "$MLPC" "${args[@]}" >/dev/null 2>&1
echo "mlpc $WHAT, $N steps:"
perf script -i "$data" 2>/dev/null | "$PY" "$ROOT/bench/perf_phases.py"
