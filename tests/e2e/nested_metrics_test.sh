#!/usr/bin/env bash
# nested_metrics_test.sh — nested Metrics records (issue 7 item 6): a step declares
# `Metrics{regression: {mse: {value: float, …}}}`, a condition reads `e.regression.mse.value`
# at run time, the written JSON is checked against the nested type (missing, wrong shape, wrong
# type), and nested values are metrics under their dotted path in `runs --sort`, `show` and the
# registry.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > n.mlp <<'EOF'
step Evaluate(mse: float, json: string = "") -> (report: Metrics{regression: {mse: {value: float, standard_deviation: float}}}) {
  run = "J=${json}; if [ -n \"$J\" ]; then printf '%s' \"$J\"; else echo '{\"regression\": {\"mse\": {\"value\": ${mse}, \"standard_deviation\": 0.125}}}'; fi > ${report}"
}

step Fit() -> Model<pickle> {
  run = "echo model > ${out}"
}

model reg { approval = auto }

pipeline gate(mse: float = 0.5, json: string = "") {
  m = Fit()
  e = Evaluate(mse = mse, json = json)
  if e.regression.mse.value < 1.0 {
    register m in reg with { metrics: e }
  } else {
    fail "mse too high: ${e.regression.mse.value}"
  }
}
EOF
"$MLPC" check --deny-warnings n.mlp > /dev/null 2>&1
check_eq "nested metrics check" 0 "$?"

out=$("$MLPC" run n.mlp --workspace ws 2>&1)
check_eq "a nested value under the threshold takes the then branch" 0 "$?"
check_contains "and registers" "registered reg version 1" "$out"
check_contains "the registry shows nested metrics by dotted path" \
  "regression.mse.value=0.5" "$("$MLPC" models show reg --workspace ws 2>&1)"

out=$("$MLPC" run n.mlp --workspace ws --param mse=2.5 2>&1)
check_eq "a nested value over the threshold takes the else branch" 1 "$?"
check_contains "the fail message reads the nested value" "mse too high: 2.5" "$out"

out=$("$MLPC" runs --workspace ws --sort regression.mse.value --json 2>&1)
check_eq "runs --sort takes a dotted nested metric" 0 "$?"
check_contains "with the nested value of each run" '2.5' "$out"

run=$("$MLPC" runs --workspace ws --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check_contains "show lists the nested metric" "regression.mse.standard_deviation" \
  "$("$MLPC" show "$run" --workspace ws 2>&1)"

# The JSON a step writes is checked against the nested type, level by level.
bad() { # NAME JSON EXPECTED
  local out
  out=$("$MLPC" run n.mlp --workspace ws --param "json=$2" 2>&1)
  check_eq "$1: the step fails" 1 "$?"
  check_contains "$1: named precisely" "$3" "$out"
  check_not_contains "$1: no internal text" "json.exception" "$out"
}
bad "a missing nested field" '{"regression": {"mse": {"value": 0.5}}}' \
  'has no field `regression.mse.standard_deviation` (declared float)'
bad "a scalar where a record is declared" '{"regression": {"mse": 0.5}}' \
  'field `regression.mse` should be an object with `value`, found 0.5'
bad "a wrong type at depth" '{"regression": {"mse": {"value": "low", "standard_deviation": 1}}}' \
  'field `regression.mse.value` should be float, found "low"'
bad "a missing top-level record" '{"classification": {}}' 'has no field `regression`'
finish
