#!/usr/bin/env bash
# bench/runtime/alternate.sh — compares mlpc binaries (or wrappers around them) with ninja on the
# same DAG of trivial steps, alternating the tools round by round.
#
#   bench/runtime/alternate.sh N ROUNDS BIN...
#   e.g. bench/runtime/alternate.sh 1000 5 build/mlpc /tmp/mlpc-without-fsync
#
# Why alternate: on this kind of machine (a VM whose speed drifts by 10-30% over minutes) two
# tools measured one after the other in separate blocks compare the host's moods, not the tools.
# Each round runs every BIN once and ninja once, back to back, so drift shows as spread across
# rounds and not as a difference between tools. Nothing is deleted until the end: on ext4
# without a journal, deleting thousands of files slows file creation for minutes after (see
# bench/runtime.sh), which would charge the next tool for the previous one's files.
#
# Each BIN is run as `BIN run plan.json -j 2 --workspace <fresh>`; a BIN may be a script that
# sets an environment and execs a binary (bench/runtime/without-safety.patch uses that). The
# label is the BIN's file name. Prints one line per run (label, wall s, CPU s incl. children),
# then per label the median wall and CPU and the median wall's ratio to ninja's. Exits 0 unless
# it cannot run: a benchmark, never a test.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: bench/runtime/alternate.sh N ROUNDS BIN... (see the comment at its top)" >&2
  exit 2
fi
N=$1 ROUNDS=$2
shift 2
for v in "$N" "$ROUNDS"; do
  if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
    echo "alternate.sh: N and ROUNDS must be positive whole numbers, got '$v'" >&2
    exit 2
  fi
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export NO_COLOR=1 MLP_PATH=${MLP_PATH:-$ROOT/stdlib}
unset MLP_WORKSPACE
BINS=()
declare -A LABELS
for b in "$@"; do
  case "$b" in /*) ;; *) b=$PWD/$b ;; esac
  [ -x "$b" ] || { echo "alternate.sh: $b is not executable" >&2; exit 2; }
  # The file name labels the runs and names their workspaces: two alike would share both.
  l=$(basename "$b")
  if [ "$l" = ninja ] || [ -n "${LABELS[$l]:-}" ]; then
    echo "alternate.sh: two tools would be labelled '$l'; give each BIN its own file name" >&2
    exit 2
  fi
  LABELS[$l]=1
  BINS+=("$b")
done
for tool in ninja /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "alternate.sh: missing $tool" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-bench-alternate-XXXXXX")
trap 'rm -rf "$W"' EXIT
"$PY" "$ROOT/bench/runtime/gen_dag.py" "$N" "$W"
cd "$W"
if ! "${BINS[0]}" compile dag.mlp -o plan.json > /dev/null 2> compile.err; then
  echo "alternate.sh: \`${BINS[0]} compile dag.mlp\` failed:" >&2
  cat compile.err >&2
  exit 2
fi
echo "# $N steps, $ROUNDS rounds; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# timed LABEL CMD...: one line "LABEL WALL CPU" (CPU = user + sys, the process and its children).
timed() {
  local label=$1 tf
  shift
  tf=$(mktemp "$W/time-XXXXXX")
  /usr/bin/time -o "$tf" -f '%e %U %S %x' "$@" > /dev/null 2>&1 || true
  read -r wall user sys code < <(tail -1 "$tf")
  [ "$code" = 0 ] || echo "# $label exited $code" >&2
  awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "%s %s %.2f\n", l, w, u + s }'
}

for r in $(seq "$ROUNDS"); do
  for b in "${BINS[@]}"; do
    timed "$(basename "$b")" "$b" run plan.json -j 2 --workspace "ws-$r-$(basename "$b")"
  done
  mkdir "out-$r"
  sed "s#out/#out-$r/#g" build.ninja > "build-$r.ninja"
  timed ninja ninja -f "build-$r.ninja" -j2
done | tee "$W/runs.txt"

# Medians per label, and each label's median wall against ninja's.
awk '
  { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    nw = median(wall["ninja"])
    printf "# %-28s %10s %10s %10s\n", "median of " NR / n " runs", "wall s", "cpu s", "vs ninja"
    for (i = 1; i <= n; i++) {
      l = order[i]; w = median(wall[l])
      printf "# %-28s %10.2f %10.2f %9.2fx\n", l, w, median(cpu[l]), w / nw
    }
  }' "$W/runs.txt"
