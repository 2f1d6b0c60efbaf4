#!/usr/bin/env bash
# Regenerates every expected file under tests/golden from the current mlpc, then
# docs/diagnostics.md (whose examples are golden cases).
#
#   scripts/update-golden.sh [MLPC_BINARY] [FILTER]
#
# MLPC_BINARY defaults to the first of build-golden/mlpc, build/mlpc that exists. Review the
# result with `git diff tests/golden` before committing: the expected files are the contract.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPC=${1:-}
if [ -z "$MLPC" ]; then
  for cand in "$REPO/build-golden/mlpc" "$REPO/build/mlpc"; do
    if [ -x "$cand" ]; then
      MLPC=$cand
      break
    fi
  done
fi
if [ -z "$MLPC" ] || [ ! -x "$MLPC" ]; then
  echo "usage: $0 [MLPC_BINARY] [FILTER]   (no mlpc binary found; build it first)" >&2
  exit 2
fi
shift || true

export MLP_PATH=${MLP_PATH:-$REPO/stdlib}
"$REPO/tests/golden/run_golden.sh" "$MLPC" --update "$@"
"$REPO/tests/golden/check_coverage.sh"
# docs/diagnostics.md shows golden examples and their output: regenerate it from them.
python3 "$REPO/tests/golden/make_diagnostics_doc.py"
