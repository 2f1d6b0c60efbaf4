#!/usr/bin/env bash
# examples_test.sh — `mlpc run` every example pipeline in examples/ (see examples/README.md),
# with small parameters (few trees, few rows), in one scratch workspace; then `mlpc show`,
# `mlpc lineage` and `mlpc models` on what they made; and examples/flagship.sh.
#
# Every example with a pipeline runs: they need only Debian's /usr/bin/python3 with
# python3-sklearn/pandas (the sklearn steps), and batch/ also binds local TCP ports for its model
# servers. Endpoints, monitors and schedules are declarations for later backends: the local
# runtime runs the pipelines only, so those parts are compiled (by `mlpc run`) but not exercised.
source "$(dirname "$0")/lib.sh" "$@"

if ! "$PY" -c 'import sklearn, pandas' 2> /dev/null; then
  echo "# skipped: $PY cannot import sklearn and pandas (apt install python3-sklearn python3-pandas)"
  echo "0 passed, 0 failed"
  exit 0
fi

WS=$T/ws
touch "$T/.start"
cd "$ROOT" || exit 2
# example | the run's arguments | what to look up with `mlpc lineage` (GROUP@N or a node)
EXAMPLES=(
  "churn|examples/churn/churn.mlp --param trees=5|churn@1"
  "sweep|examples/sweep/sweep.mlp --param tree_counts=5,10 --param rows=100|churn_sweep@1"
  "imports|examples/imports/main.mlp --param trees=5|_report"
  "data|examples/data/data.mlp|_summary"
  "batch|examples/batch/batch.mlp --param trees=5 --param shards=2|check"
  "deploy|examples/deploy/deploy.mlp --param trees=5|iris@1"
  "monitor|examples/monitor/monitor.mlp --param trees=5|iris@2"
  "schedule|examples/schedule/schedule.mlp --param trees=5|daily@1"
  "step_options|examples/step_options/options.mlp|n"
  "multiline|examples/multiline/multiline.mlp|_summary"
)

for e in "${EXAMPLES[@]}"; do
  IFS='|' read -r name args ref <<< "$e"
  start=$(date +%s)
  # shellcheck disable=SC2086
  "$MLPC" run $args -j 2 --workspace "$WS" --json > "$T/$name.json" 2> "$T/$name.err"
  rc=$?
  check_eq "$name: mlpc run $args" 0 "$rc"
  if [ $rc != 0 ]; then
    sed 's/^/    | /' "$T/$name.err" "$T/$name.json" | tail -30
    continue
  fi
  run=$(run_id_of "$T/$name.json")
  echo "#   $name: run $run in $(($(date +%s) - start)) s"
  "$MLPC" show "$run" --workspace "$WS" --json > "$T/$name.show.json"
  check_eq "$name: mlpc show says succeeded" succeeded "$(json_get "$T/$name.show.json" 'j["status"]')"
  failed=$(json_get "$T/$name.show.json" '[s["node"] for s in j["steps"] if s["status"] not in ("succeeded", "cached")]')
  check_eq "$name: every step succeeded or was cached" "" "$failed"
  "$MLPC" show "$run" --workspace "$WS" > "$T/$name.show.txt"
  check_eq "$name: mlpc show (text) exits 0" 0 "$?"
  if [[ "$ref" == *@* ]]; then
    lin=$("$MLPC" lineage "$ref" --workspace "$WS" 2>&1)
  else
    lin=$("$MLPC" lineage "$run:$ref" --workspace "$WS" 2>&1)
  fi
  rc=$?
  check_eq "$name: mlpc lineage $ref exits 0" 0 "$rc"
  check_contains "$name: the lineage shows what made it" "made by" "$lin"
done

models=$("$MLPC" models --workspace "$WS" --json)
check_eq "mlpc models lists the groups the examples registered into" \
  "churn churn_sweep daily iris" "$(json_get - '[g["group"] for g in j]' <<< "$models" | xargs)"
check_eq "approval = auto groups have an approved version" "churn_sweep iris" \
  "$(json_get - '[g["group"] for g in j if g["approved"]]' <<< "$models" | xargs)"
out=$("$MLPC" models approve churn 1 --workspace "$WS" --comment "e2e" 2>&1)
check_eq "mlpc models approve churn 1" 0 "$?"
out=$("$MLPC" models show churn 1 --workspace "$WS" 2>&1)
check_contains "mlpc models show churn 1 has the approval" "PendingManualApproval -> Approved" "$out"
out=$("$MLPC" models resolve churn.approved --workspace "$WS" 2>&1)
check_contains "mlpc models resolve churn.approved" "churn version 1 (Approved)" "$out"
out=$("$MLPC" runs --workspace "$WS" -n 0 --json)
check_eq "mlpc runs lists the ${#EXAMPLES[@]} runs" "${#EXAMPLES[@]}" "$(json_get - 'len(j)' <<< "$out")"

# Nothing was written into the source tree (byte code, workspaces).
left=$(find "$ROOT/examples" "$ROOT/stdlib" \( -name __pycache__ -o -name .mlp \) -newer "$T/.start" 2>/dev/null)
check_eq "the runs left nothing in examples/ or stdlib/" "" "$left"

# The flagship walk-through.
MLPC="$MLPC" MLPC_EXAMPLE_DIR="$T/flagship" bash "$ROOT/examples/flagship.sh" > "$T/flagship.out" 2>&1
rc=$?
check_eq "examples/flagship.sh exits 0" 0 "$rc"
[ $rc = 0 ] || tail -20 "$T/flagship.out" | sed 's/^/    | /'

finish
