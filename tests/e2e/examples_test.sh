#!/usr/bin/env bash
# examples_test.sh — `mlpc run` every example pipeline in examples/ (see examples/README.md),
# with small parameters (few trees, few rows), in one scratch workspace; then `mlpc show`,
# `mlpc lineage` and `mlpc models` on what they made; and examples/flagship.sh, which ends by
# serving the approved version (`mlpc up`, invoke, lineage from the endpoint, `mlpc down`).
#
# Every example with a pipeline runs: they need only Debian's /usr/bin/python3 with
# python3-sklearn/pandas (the sklearn steps) and python3-xgboost (regression/), and batch/ also
# binds local TCP ports for its model servers. Endpoints and schedules are served by the agent
# (`mlpc up`), which the deployment and schedule tests exercise (e2e_deploy_example runs
# examples/deploy/run.sh); here they are compiled by `mlpc run` only. Monitors are not run yet.
source "$(dirname "$0")/lib.sh" "$@"

if ! "$PY" -c 'import sklearn, pandas, xgboost' 2> /dev/null; then
  echo "# skipped: $PY cannot import sklearn, pandas and xgboost" \
    "(apt install python3-sklearn python3-pandas python3-xgboost)"
  echo "0 passed, 0 failed"
  exit 0
fi

WS=$T/ws
touch "$T/.start"
cd "$ROOT" || exit 2
# example | the run's arguments | what to look up with `mlpc lineage` (GROUP@N or a node)
EXAMPLES=(
  "churn|examples/churn/churn.mlp --param trees=5|churn@1"
  "sweep|examples/sweep/sweep.mlp --param depths=1,3 --param trees=5|wine_sweep@1"
  "regression|examples/regression/regression.mlp --param rounds=20|diabetes_progression@1"
  "imports|examples/imports/main.mlp --param trees=5|_report"
  "data|examples/data/data.mlp|_summary"
  "batch|examples/batch/batch.mlp --param trees=5 --param shards=2|check"
  "deploy|examples/deploy/deploy.mlp --param trees=5|iris@1"
  "monitor|examples/monitor/monitor.mlp --param trees=5|iris@2"
  "schedule|examples/schedule/schedule.mlp --param trees=5|daily@1"
  "step_options|examples/step_options/options.mlp|n"
  "multiline|examples/multiline/multiline.mlp|_summary"
  "slurm|examples/slurm/slurm.mlp --param trees=5|iris_slurm@1"
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
  "churn daily diabetes_progression iris iris_slurm wine_sweep" \
  "$(json_get - '[g["group"] for g in j]' <<< "$models" | xargs)"
check_eq "approval = auto groups have an approved version" "iris iris_slurm wine_sweep" \
  "$(json_get - '[g["group"] for g in j if g["approved"]]' <<< "$models" | xargs)"
out=$("$MLPC" models approve churn 1 --workspace "$WS" --comment "e2e" 2>&1)
check_eq "mlpc models approve churn 1" 0 "$?"
out=$("$MLPC" models show churn 1 --workspace "$WS" 2>&1)
check_contains "mlpc models show churn 1 has the approval" "PendingManualApproval -> Approved" "$out"
out=$("$MLPC" models resolve churn.approved --workspace "$WS" 2>&1)
check_contains "mlpc models resolve churn.approved" "churn version 1 (Approved)" "$out"
out=$("$MLPC" runs --workspace "$WS" -n 0 --json)
check_eq "mlpc runs lists the ${#EXAMPLES[@]} runs" "${#EXAMPLES[@]}" "$(json_get - 'len(j)' <<< "$out")"

# The regression example (SageMaker's abalone shape): what it registered, what the batch
# transform wrote, and the `fail` branch.
out=$("$MLPC" models show diabetes_progression 1 --workspace "$WS" --json)
check_eq "regression: the registered version has the regression metrics (the null classification ones left out)" \
  "True error_std mae mse r2 rmse rows" \
  "$(json_get - 'str(0 < j["metrics"]["mse"] <= 5000 and 0 < j["metrics"]["r2"] < 1) + " " + " ".join(sorted(j["metrics"]))' <<< "$out")"
out=$("$MLPC" models show wine_sweep 1 --workspace "$WS" --json)
check_eq "sweep: the best of the sweep has the macro-averaged classification metrics" \
  "True accuracy auc f1 precision recall rows" \
  "$(json_get - 'str(j["metrics"]["f1"] > 0.8) + " " + " ".join(sorted(j["metrics"]))' <<< "$out")"
check_contains "sweep: the best depth is a tag" '"max_depth"' "$out"
reg_run=$(run_id_of "$T/regression.json")
"$MLPC" cat "$reg_run:_predictions" --workspace "$WS" > "$T/reg_preds.csv" 2> "$T/reg_preds.err"
check_eq "regression: mlpc cat RUN:_predictions (the batch transform's output)" 0 "$?"
check_eq "regression: one numeric prediction per unlabelled batch row (67 of 442)" "prediction 67 True" \
  "$("$PY" -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); v=[float(x[0]) for x in r[1:]]
print(r[0][0], len(v), all(0 < x < 400 for x in v))' "$T/reg_preds.csv")"
"$MLPC" run examples/regression/regression.mlp --param rounds=20 --param mse_threshold=1 -j 2 \
  --workspace "$WS" > "$T/reg_fail.out" 2>&1
rc=$?
check "regression: an MSE above mse_threshold fails the run (exit $rc)" test "$rc" -ne 0
check_contains "regression: ... with the fail message" "Execution failed due to MSE" "$(cat "$T/reg_fail.out")"

# A condition reading a metric of the other task (the MSE of a classifier) is null: the run fails
# with a clear message when it decides the condition.
cat > "$T/null_metric.mlp" << 'EOF2'
import "std/sklearn"
import "std/data"
pipeline p() {
  raw = data.LoadExample(name = "iris")
  m   = sklearn.Train(data = raw, label = "target", trees = 3)
  s   = sklearn.Evaluate(model = m, data = raw, label = "target")
  if s.mse < 1.0 {
    fail "unreachable"
  }
}
EOF2
"$MLPC" run "$T/null_metric.mlp" -j 2 --workspace "$WS" > "$T/null_metric.out" 2>&1
rc=$?
check "a classifier's null mse in a condition fails the run (exit $rc)" test "$rc" -ne 0
check_contains "... saying the value is missing (null)" "missing (null)" "$(cat "$T/null_metric.out")"

# Nothing was written into the source tree (byte code, workspaces).
left=$(find "$ROOT/examples" "$ROOT/stdlib" \( -name __pycache__ -o -name .mlp \) -newer "$T/.start" 2>/dev/null)
check_eq "the runs left nothing in examples/ or stdlib/" "" "$left"

# The flagship walk-through.
MLPC="$MLPC" MLPC_EXAMPLE_DIR="$T/flagship" bash "$ROOT/examples/flagship.sh" > "$T/flagship.out" 2>&1
rc=$?
check_eq "examples/flagship.sh exits 0" 0 "$rc"
[ $rc = 0 ] || tail -20 "$T/flagship.out" | sed 's/^/    | /'
check_contains "flagship: the served version answers a row" "prediction,probability" \
  "$(cat "$T/flagship.out")"
check_contains "flagship: lineage from the endpoint reaches the version" \
  "endpoint churn_api (InService) serves churn version 1" "$(cat "$T/flagship.out")"
check_contains "flagship: the agent is stopped" "stopped the agent" "$(cat "$T/flagship.out")"
check_eq "flagship: no agent or server is left" 0 "$(pgrep -fc "$T/flagship/workspace")"

finish
