#!/usr/bin/env bash
# examples/slurm/run.sh — runs slurm.mlp on a private single-node Slurm cluster: starts the
# cluster (tests/slurm/cluster.sh, under a short temporary directory), runs the pipeline with
# --executor slurm in a temporary workspace, shows the jobs Slurm ran, and stops the cluster.
# Needs Debian's slurm-wlm and munge (./setup.sh installs them) and a built mlpc
# (MLPC=path/to/mlpc, default build/mlpc).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
export MLP_PATH=${MLP_PATH:-$ROOT/stdlib}
C=$(mktemp -d /tmp/mlpc-slurm.XXXXXX)
trap '"$ROOT/tests/slurm/cluster.sh" stop "$C" > /dev/null 2>&1; rm -rf "$C"' EXIT
eval "$("$ROOT/tests/slurm/cluster.sh" start "$C")"
echo "a one-node Slurm cluster is up (SLURM_CONF=$SLURM_CONF)"
"$MLPC" run "$ROOT/examples/slurm/slurm.mlp" --executor slurm --workspace "$C/ws" "$@"
echo
echo "the jobs Slurm ran:"
squeue -h -t all -o '%.6i %.12j %.10T %.4C %.8m %.10l'
