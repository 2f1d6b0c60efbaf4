#!/usr/bin/env bash
# bench/runtime.sh — the runtime's speed against the goals, as one markdown table:
#
#   (a) N trivial steps (`echo I > OUT`, a binary-tree DAG: bench/runtime/gen_dag.py) run with
#       -j 2 by `mlpc run`, by ninja -j2 and make -j2 on the same graph, and (for SNAKE_N steps)
#       by snakemake --cores 2. Goal: mlpc's per-step overhead within 1.2x of ninja's.
#   (b) a no-op re-run of the fully cached NOOP_N-step pipeline. Goal: at most 0.2 s.
#   (c) hashing a 1 GiB file: store::sha256File against `openssl dgst -sha256`
#       (runtime/store's mlpc_hash_bench). Goal: at least 95% of openssl's speed.
#
#   bench/runtime.sh [BUILD_DIR]          default BUILD_DIR: build (needs mlpc, mlpc_hash_bench)
#   SIZES="1000 10000" SNAKE_N=1000 NOOP_N=10000 HASH_MIB=1024 REPEAT=1 bench/runtime.sh build-rt
#
# Each time is the best wall time of $REPEAT runs (CPU = user + sys of that run: less disturbed
# by other load on the machine than the wall time). Work happens in a temporary directory
# (kept with KEEP=1). Benchmarks never fail the build: this script exits 0 unless it cannot run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
MLPC=${MLPC:-$BUILD/mlpc}
HASH_BENCH=${HASH_BENCH:-$BUILD/runtime/store/mlpc_hash_bench}
read -r -a SIZES <<< "${SIZES:-1000 10000}"
SNAKE_N=${SNAKE_N:-1000}
NOOP_N=${NOOP_N:-10000}
HASH_MIB=${HASH_MIB:-1024}
REPEAT=${REPEAT:-1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export NO_COLOR=1 MLP_PATH=${MLP_PATH:-$ROOT/stdlib}
unset MLP_WORKSPACE

for tool in "$MLPC" /usr/bin/time; do
  [ -x "$tool" ] || { echo "runtime.sh: missing $tool" >&2; exit 2; }
done
have() { command -v "$1" > /dev/null 2>&1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-bench-runtime-XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "(kept $W)" >&2; else rm -rf "$W"; fi; }
trap cleanup EXIT

# Resets move the previous run's files aside instead of deleting them. On this machine's ext4
# (no journal), deleting thousands of files slows every file created in the minutes after: the
# inode allocator looks at each recently freed inode in turn (`recently_deleted` was 7% of a
# 1,000-step run's samples right after `rm -rf` of the workspace before it), which charged each
# tool for the files the run before it had deleted. The EXIT trap deletes them all at the end.
aside() {
  local p
  mkdir -p "$W/aside"
  for p in "$@"; do
    if [ -e "$p" ]; then mv "$p" "$(mktemp -d "$W/aside/XXXXXX")/"; fi
  done
}

# measure PREP CMD...: runs PREP (a shell snippet that resets the state) then CMD, $REPEAT
# times; prints "WALL CPU EXIT" of the fastest.
measure() {
  local prep=$1 best="" line tf
  shift
  tf=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    eval "$prep"
    /usr/bin/time -o "$tf" -f '%e %U %S %x' "$@" > /dev/null 2>&1 || true
    line=$(tail -1 "$tf" | awk '{ printf "%s %.2f %s", $1, $2 + $3, $4 }')
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$line
    fi
  done
  rm -f "$tf"
  echo "$best"
}

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }
ms_per_step() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f ms", 1000 * s / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
status() { if [ "$1" = 0 ]; then echo ""; else echo " (exit $1)"; fi; }
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

echo "# machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$MLPC" --version)" >&2

declare -A NOOP_PLAN
for n in "${SIZES[@]}"; do
  d=$W/dag$n
  "$PY" "$ROOT/bench/runtime/gen_dag.py" "$n" "$d"
  cd "$d"
  t0=$(date +%s.%N)
  "$MLPC" compile dag.mlp -o plan.json > /dev/null 2> "$W/compile.err" || { cat "$W/compile.err" >&2; exit 2; }
  compile_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  echo "# $n steps: compiled in ${compile_s} s; running mlpc, ninja, make$([ "$n" = "$SNAKE_N" ] && echo ", snakemake") ..." >&2
  NOOP_PLAN[$n]=$d

  read -r mw mc mx <<< "$(measure 'aside ws' "$MLPC" run plan.json -j 2 --workspace ws)"
  read -r nw nc nx <<< "$(measure 'aside out .ninja_log .ninja_deps; mkdir out' ninja -j2)"
  read -r kw kc kx <<< "$(measure 'aside out; mkdir out' make -s -j2)"
  label="$(commas "$n") steps, -j 2"
  row "$label" "mlpc run$(status "$mx")" "$mw s" "$mc s" "$(ms_per_step "$mw" "$n")" \
    "$(ratio "$mw" "$nw") (cpu $(ratio "$mc" "$nc"))" "≤ 1.2x ninja"
  row "" "ninja -j2$(status "$nx")" "$nw s" "$nc s" "$(ms_per_step "$nw" "$n")" "1.00x" ""
  row "" "make -j2$(status "$kx")" "$kw s" "$kc s" "$(ms_per_step "$kw" "$n")" \
    "$(ratio "$kw" "$nw") (cpu $(ratio "$kc" "$nc"))" ""
  if [ "$n" = "$SNAKE_N" ]; then
    if have snakemake; then
      read -r sw sc sx <<< "$(measure 'aside out .snakemake; mkdir out' snakemake --cores 2 --quiet -s Snakefile)"
      row "" "snakemake --cores 2$(status "$sx")" "$sw s" "$sc s" "$(ms_per_step "$sw" "$n")" \
        "$(ratio "$sw" "$nw") (cpu $(ratio "$sc" "$nc"))" ""
    else
      row "" "snakemake" "not installed (apt install snakemake)" "" "" "" ""
    fi
  fi
  row "" "(mlpc compile)" "$compile_s s" "" "" "" ""
  cd "$W"
done

# (b) the no-op re-run: the workspace of the last full mlpc run above, everything cached.
if [ -n "${NOOP_PLAN[$NOOP_N]:-}" ]; then
  cd "${NOOP_PLAN[$NOOP_N]}"
  REPEAT_SAVE=$REPEAT
  REPEAT=3
  read -r ow oc ox <<< "$(measure ':' "$MLPC" run plan.json -j 2 --workspace ws)"
  read -r jw jc jx <<< "$(measure ':' ninja -j2)"
  REPEAT=$REPEAT_SAVE
  goal=$(awk -v s="$ow" 'BEGIN { print (s <= 0.2) ? "≤ 0.2 s: met" : "≤ 0.2 s: NOT met" }')
  row "no-op re-run, $(commas "$NOOP_N") cached steps" "mlpc run$(status "$ox")" "$ow s" "$oc s" \
    "$(ms_per_step "$ow" "$NOOP_N")" "$(ratio "$ow" "$jw") of ninja's no-op" "$goal"
  row "" "ninja -j2 (no-op)$(status "$jx")" "$jw s" "$jc s" "" "" ""
  cd "$W"
else
  row "no-op re-run" "skipped: NOOP_N=$NOOP_N is not in SIZES" "" "" "" "" ""
fi

# (c) hashing: the warm row (page cache) is the one the goal is about; cold for reference.
if [ -x "$HASH_BENCH" ]; then
  echo "# hashing a $HASH_MIB MiB file ..." >&2
  out=$("$HASH_BENCH" "$W/hash.bin" "$HASH_MIB" 3 2> /dev/null || true)
  while IFS='|' read -r _ cache size ours theirs pct _; do
    cache=$(echo "$cache" | xargs)
    [ "$cache" = warm ] || [ "$cache" = cold ] || continue
    p=$(echo "$pct" | tr -d ' %')
    goal=$(awk -v p="$p" 'BEGIN { print (p >= 95) ? "≥ 95%: met" : "≥ 95%: NOT met" }')
    row "hash $(echo "$size" | xargs) ($cache)" "store::sha256File" "$(echo "$ours" | xargs)" "" "" \
      "$(echo "$pct" | xargs) of openssl ($(echo "$theirs" | xargs))" "$goal"
  done <<< "$out"
  rm -f "$W/hash.bin"
else
  row "hash" "skipped: no $HASH_BENCH (ninja -C BUILD mlpc_hash_bench)" "" "" "" "" ""
fi

echo
echo "| benchmark | tool | wall | cpu | per step | ratio | goal |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
