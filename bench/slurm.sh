#!/usr/bin/env bash
# bench/slurm.sh — the Slurm executor's cost on a private single-node cluster
# (tests/slurm/cluster.sh), as one markdown table:
#
#   (a) the cluster's start time (until the node takes jobs);
#   (b) N trivial steps (bench/runtime/gen_dag.py: `echo I > OUT`, a binary tree) run by
#       `mlpc run --executor slurm` against the local executor (-j 2), each in a fresh workspace;
#       and a `for` of N trivial iterations under Slurm (ready at once: submitted as job arrays);
#   (c) submissions per second: SUBMIT_N held jobs (`sbatch --hold --wrap true`: submitted, never
#       run) one `sbatch` at a time, four at a time (as the runner's four submitting threads), and
#       as one job array (`--array=0-(SUBMIT_N-1)`); then they are cancelled.
#
#   bench/slurm.sh [BUILD_DIR]       default BUILD_DIR: build (needs mlpc)
#   N=100 SUBMIT_N=200 bench/slurm.sh
#
# Needs Debian's slurm-wlm and munge (./setup.sh installs them). Benchmarks never fail the build:
# this script exits 0 unless it cannot run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
MLPC=${MLPC:-$BUILD/mlpc}
N=${N:-100}
SUBMIT_N=${SUBMIT_N:-200}
PY=/usr/bin/python3
[ -x "$MLPC" ] || { echo "bench/slurm.sh: no mlpc at $MLPC" >&2; exit 2; }
command -v sbatch > /dev/null || { echo "bench/slurm.sh: no sbatch (./setup.sh installs slurm-wlm)" >&2; exit 2; }

# Short: munge's and slurmstepd's socket paths must stay under 108 bytes.
C=$(mktemp -d /tmp/mlpc-bs.XXXXXX)
trap '"$ROOT/tests/slurm/cluster.sh" stop "$C" > /dev/null 2>&1; rm -rf "$C"' EXIT

now() { date +%s.%N; }
since() { "$PY" -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
rate() { "$PY" -c "import sys; print('%.0f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

t0=$(now)
eval "$("$ROOT/tests/slurm/cluster.sh" start "$C")"
start_s=$(since "$t0")

"$PY" "$ROOT/bench/runtime/gen_dag.py" "$N" "$C/dag" > /dev/null
cd "$C/dag"
# run WORKSPACE ARGS…: mlpc run, its output kept in a log shown only when it fails.
run() {
  local ws=$1
  shift
  "$MLPC" run dag.mlp --workspace "$ws" "$@" > "$ws.log" 2>&1 || {
    tail -5 "$ws.log" >&2
    echo "bench/slurm.sh: mlpc run $* failed" >&2
    exit 1
  }
}
t0=$(now)
run "$C/ws-local" -j 2
local_s=$(since "$t0")
t0=$(now)
run "$C/ws-slurm" --executor slurm
slurm_s=$(since "$t0")
# A wide `for`: its iterations are ready at once, so they are submitted as job arrays.
cat > wide.mlp << WIDE
step W(i: int) -> File {
  run = "echo \${i} > \${out}"
}
pipeline wide() {
  for i in range($N) {
    w = W(i = i)
  }
}
WIDE
t0=$(now)
"$MLPC" run wide.mlp --workspace "$C/ws-wide" --executor slurm > "$C/ws-wide.log" 2>&1 || {
  tail -5 "$C/ws-wide.log" >&2
  exit 1
}
wide_s=$(since "$t0")
arrays=$(squeue -h -r -t all -o '%i %j' | awk '$2 ~ /^mlpc:w\[/ && $1 ~ /_/' | wc -l)
cd "$C"

submit() { sbatch --parsable --hold --job-name bench --output /dev/null --wrap true > /dev/null; }
export -f submit
t0=$(now)
for _ in $(seq "$SUBMIT_N"); do submit; done
serial_s=$(since "$t0")
t0=$(now)
seq "$SUBMIT_N" | xargs -P 4 -I{} bash -c submit
four_s=$(since "$t0")
t0=$(now)
sbatch --parsable --hold --job-name bench --output /dev/null --array="0-$((SUBMIT_N - 1))" \
  --wrap true > /dev/null
array_s=$(since "$t0")
scancel --name bench 2> /dev/null || true

cat << TABLE
| measure (Slurm $(sbatch --version | awk '{print $2}'), one node, $(nproc) cores) | value |
|---|---|
| cluster start (until the node takes jobs) | ${start_s} s |
| $N trivial steps, local executor -j 2 | ${local_s} s |
| $N trivial steps, --executor slurm | ${slurm_s} s ($("$PY" -c "print('%.0f' % (($slurm_s - $local_s) * 1000 / $N))") ms a step more) |
| a \`for\` of $N trivial iterations, --executor slurm | ${wide_s} s (${arrays} of the $N ran as job array tasks) |
| $SUBMIT_N sbatch, one at a time | ${serial_s} s ($(rate "$SUBMIT_N" "$serial_s") submissions/s) |
| $SUBMIT_N sbatch, four at a time | ${four_s} s ($(rate "$SUBMIT_N" "$four_s") submissions/s) |
| one job array of $SUBMIT_N tasks | ${array_s} s ($(rate "$SUBMIT_N" "$array_s") tasks/s) |
TABLE
