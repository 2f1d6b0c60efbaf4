#!/usr/bin/env bash
# bench/frontend.sh — front-end speed and memory on generated programs.
#
#   bench/frontend.sh [N ...]          default N: 1000 10000 100000
#   MLPC=build/mlpc bench/frontend.sh
#
# For each N, bench/gen_program.py writes a program with N step calls (a DAG, one line per
# call) to bench/out/, and the table gives the wall time and peak RSS (/usr/bin/time) of
#   mlpc parse   (lex + parse + build the AST of one file: no imports, no checking)
#   mlpc check   (parse + load + type-check)
#   mlpc compile (check + lower to a plan + write it; the plan goes to stdout, sent to /dev/null)
# Each figure is the best wall time of $REPEAT runs (default 3), with its CPU time (user + sys:
# less disturbed by other load on the machine) and peak RSS. The goal: 100k steps checked in <= 1 s
# with < 1 GiB. Benchmarks never fail the build: this script exits 0 unless it cannot run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
REPEAT=${REPEAT:-3}
OUT=$ROOT/bench/out
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ ! -x "$MLPC" ]; then
  echo "frontend.sh: no mlpc at $MLPC (run ./setup.sh, or set MLPC=...)" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "frontend.sh: needs GNU time (/usr/bin/time; Debian package 'time')" >&2
  exit 2
fi
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 100000)
mkdir -p "$OUT"

# best_of CMD...: prints "WALL KB EXIT USER SYS" for the fastest of $REPEAT runs.
best_of() {
  local best="" line tf
  tf=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -o "$tf" -f '%e %M %x %U %S' "$@" >/dev/null 2>&1 || true
    line=$(tail -1 "$tf")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$line
    fi
  done
  rm -f "$tf"
  echo "$best"
}

fmt() { # "WALL KB EXIT USER SYS" -> "0.42 s (cpu 0.41) | 123 MiB" (flags a failed run)
  local s kb rc u sy cpu mib
  read -r s kb rc u sy <<<"$1"
  mib=$(( (kb + 512) / 1024 ))
  cpu=$(awk -v a="$u" -v b="$sy" 'BEGIN { printf "%.2f", a + b }')
  if [ "$rc" != 0 ]; then
    printf '%s s (exit %s) | %s MiB' "$s" "$rc" "$mib"
  else
    printf '%s s (cpu %s) | %s MiB' "$s" "$cpu" "$mib"
  fi
}

echo "mlpc front end: $("$MLPC" --version), $(nproc) core(s), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), best of $REPEAT, load average $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| steps | file | parse: time | parse: peak RSS | check: time | check: peak RSS | compile: time | compile: peak RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  prog=$OUT/prog_$n.mlp
  [ -f "$prog" ] || "$PY" "$ROOT/bench/gen_program.py" "$n" "$prog"
  size=$(stat -c %s "$prog" | awk '{ if ($1 < 1048576) printf "%.0f KB", $1/1024; else printf "%.1f MB", $1/1048576 }')
  p=$(best_of "$MLPC" parse "$prog")
  c=$(best_of "$MLPC" check "$prog")
  k=$(best_of "$MLPC" compile "$prog" -o -)
  printf '| %s | %s | %s | %s | %s |\n' "$n" "$size" "$(fmt "$p")" "$(fmt "$c")" "$(fmt "$k")"
done
echo
echo "Goal: 100000 steps checked in <= 1 s with < 1 GiB peak RSS."
