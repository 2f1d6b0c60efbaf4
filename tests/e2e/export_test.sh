#!/usr/bin/env bash
# export_test.sh — `mlpc export`: every example with a pipeline and every golden plan case
# exports to each finished target and passes that target's own validator with its strict
# options (tests/validators, installed by setup.sh: a missing install is a failure, not a skip);
# what a target cannot express is an error naming the construct at file:line:col, and nothing
# is written; the command's usage errors are reported in user terms.
source "$(dirname "$0")/lib.sh" "$@"

V=$ROOT/tests/validators
if [ ! -d "$V/node_modules/ajv" ] || [ ! -d "$V/node_modules/js-yaml" ]; then
  not_ok "the export validators are not installed: run ./setup.sh --deps (npm ci in tests/validators)"
  finish
fi

# Constructs each target cannot express (docs/export/TARGET.md): the cases that must fail, and
# the words their error must contain. Every example and golden plan exports today (issue 10); a
# case added here must say in the target's docs why it cannot be expressed.
declare -A UNSUPPORTED=()
declare -A TITLE=([argo]='Argo Workflows' [sagemaker]='SageMaker Pipelines' [airflow]='Airflow')
declare -A EXT=([argo]=yaml [sagemaker]=json [airflow]=py)
validate() { # TARGET FILE: the validator's verdict line(s)
  case $1 in
  argo) (cd "$V" && node argo/validate.js --no-unknown-fields "$2" 2>&1) ;;
  sagemaker) (cd "$V" && sagemaker/validate.sh "$2" 2>&1 | grep -v '^(SageMaker API model') ;;
  airflow) (cd "$V" && airflow/validate.sh "$2" 2>&1 | grep -v '^(ruff' | sed 's/: ok: .*/: ok: DAG/') ;;
  esac
}
declare -A VERDICT=([argo]=': valid' [sagemaker]=$': valid\n%s: step arguments ok'
  [airflow]=$': ok: DAG\n%s: clean')

cases=()
for f in "$ROOT"/examples/*/*.mlp "$ROOT"/examples/*.mlp "$ROOT"/tests/golden/plans/*.mlp; do
  [ -e "$f" ] || continue
  grep -q '^pipeline ' "$f" || continue
  cases+=("${f#"$ROOT"/}")
done
check "found the examples and golden plans (${#cases[@]})" test "${#cases[@]}" -ge 20

exported=0
for target in argo sagemaker airflow; do
  for rel in "${cases[@]}"; do
    dir=$ROOT/$(dirname "$rel")
    base=$(basename "$rel")
    args=()
    [ -f "$dir/$base.args" ] && read -r -a args < <(tr '\n' ' ' <"$dir/$base.args")
    out=$T/$target-${base%.mlp}-$(echo "$rel" | md5sum | cut -c1-6).${EXT[$target]}
    err=$( (cd "$dir" && "$MLPC" export "$base" "${args[@]}" --to "$target" -o "$out") 2>&1)
    rc=$?
    if [ -n "${UNSUPPORTED[$target:$rel]:-}" ]; then
      check_eq "$rel: $target: refused (exit 2)" 2 "$rc"
      check_contains "$rel: $target: the error names the construct" "${UNSUPPORTED[$target:$rel]}" "$err"
      check "$rel: $target: the error starts with $base:LINE:COL" \
        grep -qE "^$base:[0-9]+:[0-9]+: error: ${TITLE[$target]} cannot express" <<<"$err"
      check "$rel: $target: nothing written" test ! -e "$out"
      continue
    fi
    check_eq "$rel: $target: exported (exit 0)" 0 "$rc"
    [ "$rc" = 0 ] || { printf '%s\n' "$err" | sed 's/^/       | /'; continue; }
    # shellcheck disable=SC2059
    check_eq "$rel: $target: the validator accepts it" "$(printf "$out${VERDICT[$target]}" "$out")" \
      "$(validate "$target" "$out")"
    exported=$((exported + 1))
  done
done
check "at least 45 exports validated" test "$exported" -ge 45

# argmax/argmin and transform (docs/export/*.md): the selection task waits for every
# iteration and later steps read its result; batch inference runs the stdlib's shard driver.
cd "$T" || exit 2
cp -r "$ROOT/examples/sweep" sweep
cp -r "$ROOT/examples/batch" batch
(cd sweep && "$MLPC" export sweep.mlp --to airflow -o "$T/sweep.py") >/dev/null 2>&1
af=$(cat sweep.py 2>/dev/null)
check_contains "airflow: argmax is a PythonOperator" \
  'best = PythonOperator(task_id="best", python_callable=_best)' "$af"
for i in 0 1 2 3; do
  check_contains "airflow: the selection waits for iteration $i" "scores_$i >> best" "$af"
  check_contains "airflow: and reads its metrics" "_metric(ti, \"scores_$i\", \"metrics\", \"f1\")" "$af"
done
check_contains "airflow: the registration copies the winner's model" \
  "{{ ti.xcom_pull(task_ids=\\\"best\\\")[\\\"task\\\"] }}/model" "$af"
check_contains "airflow: the condition reads the selected metrics" \
  '_metric(ti, "best_score", "value", "f1")' "$af"
check_contains "airflow: the tag reads the selected depth" \
  "{{ ti.xcom_pull(task_ids='best_depth')['value'] }}" "$af"
(cd batch && "$MLPC" export batch.mlp --to airflow -o "$T/batch.py") >/dev/null 2>&1
af=$(cat batch.py 2>/dev/null)
check_contains "airflow: transform runs the shard driver" \
  "/usr/bin/python3 /mlp/stdlib/std/sklearn/transform_shard.py --server-cmd" "$af"
check_contains "airflow: with the server's command on the job's port" \
  "steps/lite_serve.py --model '\\\\''/mlp/work/{{ run_id }}/m/model'\\\\'' --port 8080' --port 8080" "$af"
check_contains "airflow: after the model" "m >> lite_preds" "$af"
check_contains "airflow: and before its reader" "lite_preds >> check" "$af"
(cd sweep && "$MLPC" export sweep.mlp --to sagemaker -o "$T/sweep.json") >/dev/null 2>&1
sm=$("$PY" - "$T/sweep.json" <<'PY' 2>&1
import json, shlex, sys
d = json.load(open(sys.argv[1]))
steps = {s["Name"]: s for s in d["Steps"]}
best = steps["best"]
print("depends:", " ".join(best["DependsOn"]))
print("outputs:", " ".join(o["OutputName"] for o in best["Arguments"]["ProcessingOutputConfig"]["Outputs"]))
print("property file:", best["PropertyFiles"][0]["PropertyFileName"])
src = shlex.split(" ".join(best["Arguments"]["AppSpecification"]["ContainerArguments"]))
compile(src[2], "best", "exec")
print("script:", src[0], src[1], "compiles")
cond = [s for s in d["Steps"] if s["Type"] == "Condition"][0]
print("condition:", json.dumps(cond["Arguments"]["Conditions"][0]["LeftValue"]))
reg = cond["Arguments"]["IfSteps"][0]["Arguments"]
print("model:", reg["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]["Get"])
print("metrics:", reg["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]["Get"])
PY
)
check_contains "sagemaker: the selection waits for every iteration" \
  "depends: m-0 m-1 m-2 m-3 scores-0 scores-1 scores-2 scores-3" "$sm"
check_contains "sagemaker: it writes the winner's model and its selection" "outputs: model selection" "$sm"
check_contains "sagemaker: a python script that compiles" "script: /usr/bin/python3 -c compiles" "$sm"
check_contains "sagemaker: the condition reads the selection's property file" \
  '{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.best-score.PropertyFiles.best-score-selection"}, "Path": "value.f1"}}' "$sm"
check_contains "sagemaker: the registration takes the winner's model" \
  "model: Steps.best.ProcessingOutputConfig.Outputs['model'].S3Output.S3Uri" "$sm"
check_contains "sagemaker: and the winner's metrics" \
  "metrics: Steps.best-score.ProcessingOutputConfig.Outputs['metrics'].S3Output.S3Uri" "$sm"
# A nested metric (issue 7 item 6) is read by SageMaker's JsonGet with its dotted path.
sm=$(cd "$ROOT/tests/golden/plans" && "$MLPC" export nested_metrics.mlp --to sagemaker --json 2>&1 |
  "$PY" -c 'import json, sys
d = json.load(sys.stdin)
cond = [s for s in d["Steps"] if s["Type"] == "Condition"][0]
print(json.dumps(cond["Arguments"]["Conditions"][0]["LeftValue"]))')
check_eq "sagemaker: a nested metric is read by its dotted path" \
  '{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.e.PropertyFiles.e-report"}, "Path": "regression.mse.value"}}' "$sm"
sm=$(cd batch && "$MLPC" export batch.mlp --to sagemaker 2>&1)
check_contains "sagemaker: transform runs the shard driver" \
  '/usr/bin/python3 /mlp/stdlib/std/sklearn/transform_shard.py --server-cmd' "$sm"
check_contains "sagemaker: the reader takes the predictions" \
  "\"Steps.lite-preds.ProcessingOutputConfig.Outputs['predictions'].S3Output.S3Uri\"" "$sm"
(cd sweep && "$MLPC" export sweep.mlp --to argo --json -o "$T/sweep-argo.json") >/dev/null 2>&1
ar=$("$PY" - "$T/sweep-argo.json" <<'PY' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in d["spec"]["templates"]}
tasks = {x["name"]: x for x in t["main"]["dag"]["tasks"]}
best = tasks["best"]
print("best depends:", best["depends"])
print("best reads:", " ".join(p["value"] for p in best["arguments"]["parameters"]))
print("loop passes out:", " ".join(p["name"] + "=" + p["valueFrom"]["parameter"] for p in t["for-20-3"]["outputs"]["parameters"]))
print("model key:", json.dumps(t["m"]["outputs"]["artifacts"][0]))
print("script:", t["best"]["script"]["command"][0])
compile(t["best"]["script"]["source"], "best", "exec")
reg = tasks["register-31-5"]
print("register model:", json.dumps(reg["arguments"]["artifacts"][0]))
print("register when:", reg["when"])
PY
)
check_contains "argo: the selection waits for the loop" "best depends: for-20-3" "$ar"
check_contains "argo: and reads every iteration's outputs" \
  "best reads: {{tasks.for-20-3.outputs.parameters.m_model_key}} {{tasks.for-20-3.outputs.parameters.scores_metrics}}" "$ar"
check_contains "argo: the loop passes its iterations' outputs out" \
  "loop passes out: m_model_key={{tasks.m.outputs.parameters.model_key}} scores_metrics={{tasks.scores.outputs.parameters.metrics}}" "$ar"
check_contains "argo: each candidate model is stored under its own key" \
  '{"name": "model", "path": "/mlp/out/model", "s3": {"key": "mlpc/{{workflow.name}}/{{pod.name}}/model"}}' "$ar"
check_contains "argo: the selection is a python script" "script: /usr/bin/python3" "$ar"
check_contains "argo: the registration takes the winner's key" \
  'register model: {"name": "model", "s3": {"key": "{{tasks.best.outputs.parameters.value}}"}}' "$ar"
check_contains "argo: the condition reads the selected metrics" \
  "register when: {{=(jsonpath(tasks['best-score'].outputs.parameters['value'], '$.f1') > 0.8)}}" "$ar"
ar=$(cd batch && "$MLPC" export batch.mlp --to argo 2>&1)
check_contains "argo: transform runs the shard driver" \
  "/usr/bin/python3 /mlp/stdlib/std/sklearn/transform_shard.py --server-cmd" "$ar"
check_contains "argo: the reader takes the predictions" \
  '"{{tasks.lite-preds.outputs.artifacts.predictions}}"' "$ar"

# A list parameter in a command: a shell-quoted word per element, from the run's value.
sel=$ROOT/tests/golden/plans
read -r -a selargs < <(tr '\n' ' ' <"$sel/select_pipeline.mlp.args")
out=$(cd "$sel" && "$MLPC" export select_pipeline.mlp "${selargs[@]}" --to argo 2>&1)
check_contains "argo: a list parameter's words come from the workflow parameter" \
  "{{=join(map(jsonpath(workflow.parameters['names'], '\$'), {\\\"'\\\" + replace(string(#), \\\"'\\\", \\\"'\\\\\\\\''\\\") + \\\"'\\\"}), ' ')}}" "$out"
out=$(cd "$sel" && "$MLPC" export select_pipeline.mlp "${selargs[@]}" --to airflow 2>&1)
check_contains "airflow: a list parameter's words come from the DAG params" \
  "{% for x in params.names %}" "$out"
out=$(cd "$sel" && "$MLPC" export select_pipeline.mlp "${selargs[@]}" --to sagemaker 2>&1)
check_contains "sagemaker: a list parameter is its value at export" \
  "show /mlp/src/data/table.csv a b c" "$out"

# SageMaker: arithmetic on run-time values is computed by a step of its own.
out=$(cd "$sel" && "$MLPC" export step_properties.mlp --to sagemaker 2>&1)
check_contains "sagemaker: a computed binding is a step computing it" \
  '"PropertyFileName": "gap-value"' "$out"
check_contains "sagemaker: conditions read its value" \
  '"Get": "Steps.gap.PropertyFiles.gap-value"' "$out"
check_contains "sagemaker: it reads the parameter" '"MLP_P_limit": {' "$out"

# A plan file exports the same as its source.
cp -r "$ROOT/examples/churn" churn
"$MLPC" compile churn/churn.mlp -o churn.plan.json 2>/dev/null
"$MLPC" export churn/churn.mlp --to argo -o from-source.yaml 2>/dev/null
"$MLPC" export churn.plan.json --to argo -o from-plan.yaml 2>/dev/null
check "a plan exports like its source" cmp -s from-source.yaml from-plan.yaml
"$MLPC" export churn/churn.mlp --to argo --json -o churn.json 2>/dev/null
check "--json writes JSON" "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' churn.json
res=$(cd "$V" && node argo/validate.js --no-unknown-fields "$T/churn.json" 2>&1)
check_eq "and the JSON form validates" "$T/churn.json: valid" "$res"
out=$("$MLPC" export churn/churn.mlp --to argo --param threshold=0.5 --image my/img:1 2>&1)
check_contains "--param sets the workflow parameter's default" 'value: "0.5"' "$out"
check_contains "--image is the image of steps without one" 'image: "my/img:1"' "$out"

# Usage errors.
out=$("$MLPC" export churn/churn.mlp --to nomad 2>&1)
check_eq "unknown --to: exit 2" 2 "$?"
check_contains "unknown --to: named, with the known targets" "unknown export target \`nomad\`; known: argo, sagemaker, airflow" "$out"
out=$("$MLPC" export missing.mlp --to argo 2>&1)
check_eq "a missing file: exit 2" 2 "$?"
check_contains "a missing file: named" "missing.mlp" "$out"
out=$("$MLPC" export churn/churn.mlp 2>&1)
check_eq "no --to: exit 2" 2 "$?"
check_contains "no --to: said" "--to is required" "$out"
out=$("$MLPC" export churn/churn.mlp --to argo --param nope=1 2>&1)
check_eq "an unknown --param: exit 2" 2 "$?"
check_contains "an unknown --param: named" "no parameter \`nope\`" "$out"

# An inexpressible construct: the error points at the .mlp line and column, nothing is written.
cat > t.mlp <<'EOF2'
step Score(x: int) -> (m: Metrics{auc: float}) {
  run = "echo '{\"auc\": 0.${x}}' > ${m}"
}

pipeline p(xs: list<int> = [1, 2]) {
  for a in xs {
    for x in xs {
      s = Score(x = x)
    }
  }
  best = flatten(s)[0].auc
  if best > 0.1 {
    fail "too good"
  }
}
EOF2
echo old > t.yaml
out=$("$MLPC" export t.mlp --to argo -o t.yaml 2>&1)
check_eq "an index into a loop's results: exit 2" 2 "$?"
check_contains "an index into a loop's results: file:line:col and the construct" \
  "t.mlp:11:3: error: Argo Workflows cannot express the computed binding \`best = flatten(s)[0].auc\`" "$out"
check_contains "an index into a loop's results: says nothing was written" "nothing written" "$out"
check_eq "an index into a loop's results: the existing output is untouched" old "$(cat t.yaml)"
check "no temporary file is left" test ! -e t.yaml.tmp
out=$("$MLPC" export churn/churn.mlp --to sagemaker --s3-prefix bucket/x 2>&1)
check_eq "sagemaker: a --s3-prefix that is not s3://: exit 2" 2 "$?"
check_contains "sagemaker: said" "--s3-prefix must be an S3 URI" "$out"
out=$("$MLPC" export churn/churn.mlp --to sagemaker --s3-prefix s3://b/p/ --role-arn arn:aws:iam::123456789012:role/R 2>&1)
check_contains "sagemaker: outputs under --s3-prefix" '"s3://b/p",' "$out"
check_contains "sagemaker: --role-arn is MlpcRoleArn's default" '"DefaultValue": "arn:aws:iam::123456789012:role/R"' "$out"

# SageMaker's limits: a word over 256 characters in a command, more than 10 inputs.
long=$(printf 'x%.0s' $(seq 300))
cat > big.mlp <<EOF2
step Long() -> File {
  run = "echo $long > \${out}"
}
step Many(a: File, b: File, c: File, d: File, e: File, f: File, g: File, h: File, i: File,
    j: File, k: File) -> File {
  run = "cat \${a} \${b} \${c} \${d} \${e} \${f} \${g} \${h} \${i} \${j} \${k} > \${out}"
}
pipeline long() {
  _l = Long()
}
step Short() -> File {
  run = "echo x > \${out}"
}
pipeline many() {
  x = Short()
  _m = Many(x, x, x, x, x, x, x, x, x, x, x)
}
EOF2
out=$("$MLPC" export big.mlp --pipeline long --to sagemaker 2>&1)
check_eq "sagemaker: a 300-character word: exit 2" 2 "$?"
check_contains "sagemaker: the 256-character limit, at the call" \
  "big.mlp:9:3: error: SageMaker Pipelines cannot express the command of step \`Long\`: it has a word of 300 characters, and a SageMaker job argument holds at most 256" "$out"
out=$("$MLPC" export big.mlp --pipeline many --to sagemaker 2>&1)
check_eq "sagemaker: 11 inputs: exit 2" 2 "$?"
check_contains "sagemaker: the 10-input limit, at the call" \
  "big.mlp:16:3: error: SageMaker Pipelines cannot express step \`Many\` with 11 inputs from other steps: a processing job takes at most 10 ProcessingInputs" "$out"
out=$("$MLPC" export big.mlp --pipeline many --to argo 2>&1)
check_eq "argo has no such limit" 0 "$?"
finish
