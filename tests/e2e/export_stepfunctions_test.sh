#!/usr/bin/env bash
# export_stepfunctions_test.sh — `mlpc export --to stepfunctions` (issue 10): every example with a
# pipeline and every golden plan case exports to Amazon States Language and passes the vendored
# validator strictly (tests/validators/asl: asl-validator + the SageMaker parameters of each
# sagemaker task against botocore's API model); what Step Functions cannot express, and each
# limit of docs/export/stepfunctions.md, is an error naming the construct at file:line:col, and
# nothing is written.
source "$(dirname "$0")/lib.sh" "$@"

V=$ROOT/tests/validators
if [ ! -x "$V/node_modules/.bin/asl-validator" ]; then
  not_ok "the ASL validator is not installed: run ./setup.sh --deps (npm ci in tests/validators)"
  finish
fi
if ! python3 -c 'import botocore' 2>/dev/null; then
  not_ok "botocore is not importable: the SageMaker parameter check of the ASL validator needs it"
  finish
fi
validate() { (cd "$V" && asl/validate.sh "$1" 2>&1 | grep -v '^(SageMaker API model'); }

# What Step Functions cannot express (docs/export/stepfunctions.md): the cases that must be
# refused, and the words their error must contain. None: every example and golden case exports.
declare -A REFUSED=()

cases=()
for f in "$ROOT"/examples/*/*.mlp "$ROOT"/examples/*.mlp "$ROOT"/tests/golden/plans/*.mlp; do
  [ -e "$f" ] || continue
  grep -q '^pipeline ' "$f" || continue
  cases+=("${f#"$ROOT"/}")
done
check "found the examples and golden plans (${#cases[@]})" test "${#cases[@]}" -ge 20

exported=0
for rel in "${cases[@]}"; do
  dir=$ROOT/$(dirname "$rel")
  base=$(basename "$rel")
  args=()
  [ -f "$dir/$base.args" ] && read -r -a args < <(tr '\n' ' ' <"$dir/$base.args")
  out=$T/${base%.mlp}-$(echo "$rel" | md5sum | cut -c1-6).asl.json
  err=$( (cd "$dir" && "$MLPC" export "$base" "${args[@]}" --to stepfunctions -o "$out") 2>&1)
  rc=$?
  if [ -n "${REFUSED[$rel]:-}" ]; then
    check_eq "$rel: refused (exit 2)" 2 "$rc"
    check_contains "$rel: the error names the construct" "${REFUSED[$rel]}" "$err"
    check "$rel: the error starts with $base:LINE:COL" \
      grep -qE "^$base:[0-9]+:[0-9]+: error: AWS Step Functions cannot express" <<<"$err"
    check "$rel: nothing written" test ! -e "$out"
    continue
  fi
  check_eq "$rel: exported (exit 0)" 0 "$rc"
  [ "$rc" = 0 ] || { printf '%s\n' "$err" | sed 's/^/       | /'; continue; }
  check_eq "$rel: the ASL validator accepts it" \
    "$(printf '✓ State machine definition "%s" is valid\n%s: sagemaker task parameters ok' "$out" "$out")" \
    "$(validate "$out")"
  exported=$((exported + 1))
done
check "at least 15 exports validated" test "$exported" -ge 15

cd "$T" || exit 2
cp -r "$ROOT/examples/churn" churn

# The validator is strict: a broken state machine is caught (the test would notice a no-op).
"$MLPC" export churn/churn.mlp --to stepfunctions -o good.asl.json 2>/dev/null
sed 's/"Next": "split"/"Next": "splitt"/' good.asl.json >bad.asl.json
res=$(validate "$T/bad.asl.json")
check_contains "the validator rejects a Next to a missing state" "Missing 'StartAt'|'Next'|'Default' target: splitt" "$res"
sed 's/"ProcessingResources"/"ProcessingResourcez"/' good.asl.json >bad2.asl.json
res=$(validate "$T/bad2.asl.json")
check_contains "the validator rejects bad SageMaker parameters" "ProcessingResourcez" "$res"

# A plan file exports the same as its source.
"$MLPC" compile churn/churn.mlp -o churn.plan.json 2>/dev/null
"$MLPC" export churn.plan.json --to stepfunctions -o from-plan.asl.json 2>/dev/null
check "a plan exports like its source" cmp -s good.asl.json from-plan.asl.json

# What the state machine holds.
j() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
check_eq "a call is a processing job run synchronously" "arn:aws:states:::sagemaker:createProcessingJob.sync" \
  "$(j good.asl.json 'd["States"]["m"]["Resource"]')"
check_eq "metrics are read back from S3 into the state" "States.StringToJson(\$.Body)" \
  "$(j good.asl.json 'd["States"]["scores_read_metrics"]["ResultSelector"]["value.$"]')"
check_contains "if is a Choice on the metrics" '"Variable": "$.metrics.scores_metrics.value.auc"' \
  "$(cat good.asl.json)"
check_eq "register is createModelPackage through the SDK integration" \
  "arn:aws:states:::aws-sdk:sagemaker:createModelPackage" \
  "$(j good.asl.json '[s["Resource"] for s in d["States"].values() if "ModelPackage" in s.get("Resource", "")][0]')"
check_eq "the manual approval of the model is PendingManualApproval" "PendingManualApproval" \
  "$(j good.asl.json '[s["Parameters"]["ModelApprovalStatus"] for s in d["States"].values() if "ModelPackage" in s.get("Resource", "")][0]')"
check_eq "job names are unique per execution and at most 63 characters" \
  "States.Format('split-{}', States.UUID())" \
  "$(j good.asl.json 'd["States"]["split"]["Parameters"]["ProcessingJobName.$"]')"

# --s3-prefix, --role-arn, --param, --image.
out=$("$MLPC" export churn/churn.mlp --to stepfunctions --s3-prefix s3://b/p/ \
  --role-arn arn:aws:iam::123456789012:role/R --param threshold=0.5 --image my/img:1 2>&1)
check_contains "outputs under --s3-prefix" "'s3://b/p/{}/split/train', \$\$.Execution.Name" "$out"
check_contains "metrics read from the --s3-prefix bucket" '"Bucket": "b"' "$out"
check_contains "--role-arn is MlpcRoleArn's default" '"MlpcRoleArn": "arn:aws:iam::123456789012:role/R"' "$out"
check_contains "--param sets the parameter's default" '"threshold": 0.5' "$out"
check_contains "--image is the image of steps without one" '"ImageUri": "my/img:1"' "$out"
out=$("$MLPC" export churn/churn.mlp --to stepfunctions --s3-prefix bucket/x 2>&1)
check_eq "a --s3-prefix that is not s3://: exit 2" 2 "$?"
check_contains "a --s3-prefix that is not s3://: said" "--s3-prefix must be an S3 URI" "$out"
out=$("$MLPC" export churn/churn.mlp --to stepfunctions --s3-prefix s3:// 2>&1)
check_eq "an empty --s3-prefix bucket: exit 2" 2 "$?"

# --help tells the truth: the target is listed, and the S3 and role options name it.
help=$("$MLPC" export --help 2>&1)
check_contains "--help lists stepfunctions" "argo, sagemaker, airflow, stepfunctions" "$help"
check_contains "--help: --s3-prefix applies to stepfunctions" "sagemaker, stepfunctions: the S3 URI" "$help"
out=$("$MLPC" export churn/churn.mlp --to nomad 2>&1)
check_contains "unknown --to: the known targets include stepfunctions" \
  "known: argo, sagemaker, airflow, stepfunctions" "$out"

# A for over a list parameter is a Map over it at run time; nested loops, metrics in a loop,
# register and fail in a loop; text with quotes, braces, backslashes and newlines.
cat >loop.mlp <<'EOF2'
step Prep() -> File {
  run = "echo x > ${out}"
}
step Train(data: File, depth: int, name: string) -> (m: Model<sklearn>, s: Metrics{auc: float, ok: bool}) {
  run = "train --data ${data} --depth ${depth} --name ${name} --model ${m} --scores ${s}"
  retry = { attempts: 3, backoff: 10s }
}
model churn_models {
  approval = auto
}
pipeline loops(depths: list<int> = [2, 4, 8], limit: float = 0.7, tag: string = "t") {
  p = Prep()
  for d in depths {
    for n in ["x", "y"] {
      t = Train(data = p, depth = d, name = "${n}-${tag}-q'{z}\\\n")
      if t.s.auc >= limit and not (t.s.ok == false) or 0.99 < t.s.auc {
        register t.m in churn_models with { metrics: t.s, tags: { depth: "${d}" } }
      } else {
        fail "depth ${d}: auc ${t.s.auc} is below ${limit}"
      }
    }
  }
}
EOF2
out=$("$MLPC" export loop.mlp --to stepfunctions -o loop.asl.json 2>&1)
check_eq "loops: exported" 0 "$?"
check_eq "loops: the ASL validator accepts it" \
  "$(printf '✓ State machine definition "%s" is valid\n%s: sagemaker task parameters ok' "$T/loop.asl.json" "$T/loop.asl.json")" \
  "$(validate "$T/loop.asl.json")"
check_eq "loops: a for over a list parameter is a Map over it" '$.params.depths' \
  "$(j loop.asl.json 'd["States"]["for_13_3"]["ItemsPath"]')"
check_contains "loops: outputs in a loop are per iteration" \
  "'s3://mlpc-artifacts/exports/{}/t/{}/{}/m', \$\$.Execution.Name, \$.index.d, \$.index.n" "$(cat loop.asl.json)"
check_contains "loops: a failed command is retried (States.TaskFailed)" '"States.TaskFailed"' "$(cat loop.asl.json)"
check_contains "loops: fail's message is built at run time" \
  "\"CausePath\": \"States.Format('depth {}: auc {} is below {}', \$.item.d, \$.metrics.t_s.value.auc, \$.params.limit)\"" \
  "$(cat loop.asl.json)"
check_contains "loops: backslash and newline reach States.Format as state values" \
  "\\\\'\\\\{z\\\\}{}{}', \$.item.n, \$.params.tag, \$.const._backslash, \$.const._newline)" "$(cat loop.asl.json)"
# The command of several lines comes back exactly from its pieces.
"$MLPC" export "$ROOT/examples/multiline/multiline.mlp" --to stepfunctions -o multi.asl.json 2>/dev/null
got=$(j multi.asl.json '__import__("subprocess").run(["sh", "-c", d["States"]["summary"]["Parameters"]["AppSpecification"]["ContainerEntrypoint"][2].replace("eval ", "printf %s ", 1), "x"] + d["States"]["summary"]["Parameters"]["AppSpecification"]["ContainerArguments"], capture_output=True, text=True).stdout')
check_contains "a multi-line command is rebuilt exactly by its entrypoint" $'\nfor value, n in sorted(counts.items()):\n' "$got"

# argmax/argmin over a loop's results: the Map keeps each iteration's index, item and metrics,
# and a loop of Pass/Choice states picks the first best, as `mlpc run` does.
"$MLPC" export "$ROOT/examples/sweep/sweep.mlp" --to stepfunctions -o sweep.asl.json 2>/dev/null
check_eq "argmax: the Map keeps its results" '$.loops.for_20_3' "$(j sweep.asl.json 'd["States"]["for_20_3"]["ResultPath"]')"
check_eq "argmax: the best model is the picked iteration's output" \
  "States.Format('s3://mlpc-artifacts/exports/{}/m/{}/model', \$\$.Execution.Name, \$.argmax.best.pick.index)" \
  "$(j sweep.asl.json '[s for s in d["States"].values() if "ModelPackage" in s.get("Resource", "")][0]["Parameters"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl.$"]')"
check_eq "argmax: a later strictly greater score replaces the best (the first best wins)" \
  '$.argmax_candidate.b.metrics.scores_metrics.value.f1' \
  "$(j sweep.asl.json 'd["States"]["best_compare"]["Choices"][0]["Or"][1]["And"][2]["NumericGreaterThanPath"]')"
check_eq "argmax over the loop's list: the picked item" "States.Format('{}', \$.argmax.best_depth.pick.item)" \
  "$(j sweep.asl.json '[s for s in d["States"].values() if "ModelPackage" in s.get("Resource", "")][0]["Parameters"]["CustomerMetadataProperties"]["max_depth.$"]')"

# Run the picking states on made-up scores (a small interpreter of the Pass/Choice states and
# the three intrinsics they use): the first best wins, non-numeric scores are skipped.
cat >simpick.py <<'EOF2'
# The argmax loop of states: runs the Pass/Choice states from `best` to the
# state after `best_pick` on a hand-made state, with the few intrinsics they use.
import json, re, sys, copy
d = json.load(open(sys.argv[1]))
S = d["States"]
def get(state, path):
    assert path.startswith("$")
    cur = state
    for k in path[2:].split(".") if path != "$" else []:
        cur = cur[k]
    return cur
def setp(state, path, val):
    ks = path[2:].split(".")
    cur = state
    for k in ks[:-1]:
        cur = cur.setdefault(k, {})
    cur[ks[-1]] = val
def ev(state, expr):
    m = re.fullmatch(r"States\.(\w+)\((.*)\)", expr)
    if not m:
        return get(state, expr)
    fn, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
    vals = [int(a) if re.fullmatch(r"-?\d+", a) else ev(state, a) for a in args]
    if fn == "ArrayLength": return len(vals[0])
    if fn == "ArrayGetItem": return vals[0][vals[1]]
    if fn == "MathAdd": return vals[0] + vals[1]
    raise Exception(fn)
def params(state, p):
    out = {}
    for k, v in p.items():
        if k.endswith(".$"): out[k[:-2]] = ev(state, v)
        elif isinstance(v, dict): out[k] = params(state, v)
        else: out[k] = v
    return out
def rule(state, r):
    if "And" in r: return all(rule(state, x) for x in r["And"])
    if "Or" in r: return any(rule(state, x) for x in r["Or"])
    if "Not" in r: return not rule(state, r["Not"])
    v = get(state, r["Variable"])
    if "IsNumeric" in r: return isinstance(v, (int, float)) and not isinstance(v, bool)
    if "NumericLessThanPath" in r: return v < get(state, r["NumericLessThanPath"])
    if "NumericGreaterThanPath" in r: return v > get(state, r["NumericGreaterThanPath"])
    raise Exception(r)
def run(scores):
    st = {"loops": {"for_20_3": [{"index": i, "item": [1, 2, 4, 0][i], "metrics": {"scores_metrics": {"value": {"f1": s}}}} for i, s in enumerate(scores)]}, "argmax": {}}
    name = "best"
    while name.startswith("best") and not name.startswith("best_score") and not name.startswith("best_depth"):
        s = S[name]
        if s["Type"] == "Pass":
            setp(st, s["ResultPath"], params(st, s["Parameters"]))
            name = s["Next"]
        else:
            name = next((c["Next"] for c in s["Choices"] if rule(st, c)), s["Default"])
    return st["argmax"]["best"]["pick"]["index"]
for scores, want in [([0.5, 0.9, 0.9, 0.1], 1), ([None, 0.2, None, 0.3], 3), ([0.7], 0), ([None, None], 0), ([0.9, 0.1, 0.95, 0.95], 2)]:
    got = run(scores)
    print(scores, "->", got, "ok" if got == want else "WRONG, want %d" % want)
EOF2
res=$("$PY" simpick.py sweep.asl.json 2>&1)
check_eq "argmax: the states pick like mlpc run on 5 score lists" 5 "$(grep -c ' ok$' <<<"$res")"
[ "$(grep -c ' ok$' <<<"$res")" = 5 ] || printf '%s\n' "$res" | sed 's/^/       | /'

# Errors name the construct at file:line:col; nothing is written, an existing file is untouched.
cat >t.mlp <<'EOF2'
step Score(x: int) -> (m: Metrics{auc: float}) {
  run = "echo '{\"auc\": 0.${x}}' > ${m}"
}

pipeline p(xs: list<int> = [1, 2]) {
  for x in xs {
    s = Score(x = x)
  }
  best = argmax(flatten([s, s]), flatten([s.auc, s.auc]))
  if best.auc > 0.1 {
    fail "too good"
  }
}
EOF2
echo old >t.asl.json
out=$("$MLPC" export t.mlp --to stepfunctions -o t.asl.json 2>&1)
check_eq "argmax: exit 2" 2 "$?"
check_contains "argmax: file:line:col and the construct" \
  "t.mlp:9:3: error: AWS Step Functions cannot express the computed binding \`best = argmax(" "$out"
check_contains "argmax: says nothing was written" "nothing written: pipeline \`p\` cannot be exported to AWS Step Functions" "$out"
check_eq "argmax: the existing output is untouched" old "$(cat t.asl.json)"
check "no temporary file is left" test ! -e t.asl.json.tmp

# Limits (docs/export/stepfunctions.md, Limits), each tripped by a generated program.
"$PY" - <<'EOF2'
items = ", ".join(str(i) for i in range(3000))
open("events.mlp", "w").write(f'''step A(x: int) -> File {{
  run = "echo ${{x}} > ${{out}}"
}}
pipeline many() {{
  for x in [{items}] {{
    a = A(x = x)
    b = A(x = x)
  }}
}}
''')
items = ", ".join('"' + "y" * 1000 + str(i) + '"' for i in range(300))
open("payload.mlp", "w").write(f'''step A(x: string) -> File {{
  run = "echo ${{x}} > ${{out}}"
}}
pipeline big() {{
  for x in [{items}] {{
    a = A(x = x)
  }}
}}
''')
cmd = " ".join(["w" * 250] * 90)
steps = "\n".join(f"  s{i} = Long()" for i in range(50))
open("defsize.mlp", "w").write(f'''step Long() -> File {{
  run = "echo {cmd} > ${{out}}"
}}
pipeline huge() {{
{steps}
}}
''')
EOF2
out=$("$MLPC" export events.mlp --to stepfunctions -o events.asl.json 2>&1)
check_eq "25,000 history events: exit 2" 2 "$?"
check_contains "25,000 history events: at the for, with the estimate and the limit" \
  "events.mlp:5:3: error: AWS Step Functions cannot express this \`for\`: an execution would have about 48012 history events, over the 25,000 of one Step Functions execution (docs/export/stepfunctions.md, Limits" "$out"
check "25,000 history events: nothing written" test ! -e events.asl.json
out=$("$MLPC" export payload.mlp --to stepfunctions -o payload.asl.json 2>&1)
check_eq "256 KiB payload: exit 2" 2 "$?"
check_contains "256 KiB payload: at the for whose list is too big" \
  "payload.mlp:5:3: error: AWS Step Functions cannot express the list of this \`for\`: it is 302593 bytes of JSON in the state, over the 262,144 bytes (256 KiB) a state's input or output may hold (docs/export/stepfunctions.md, Limits)" "$out"
out=$("$MLPC" export defsize.mlp --to stepfunctions -o defsize.asl.json 2>&1)
check_eq "1,048,576-character definition: exit 2" 2 "$?"
check_contains "1,048,576-character definition: at the pipeline" \
  "defsize.mlp:4:1: error: AWS Step Functions cannot express pipeline \`huge\`: its definition is 1262276 characters, over the 1,048,576 of a state machine (docs/export/stepfunctions.md, Limits)" "$out"
# Below the limits the same shapes export: 1,000 items, 40 calls.
sed -i 's/, 1[0-9][0-9][0-9]\b//g; s/, [2-9][0-9][0-9][0-9]\b//g' events.mlp
out=$("$MLPC" export events.mlp --to stepfunctions -o events.asl.json 2>&1)
check_eq "1,000 iterations of two calls: within the event limit" 0 "$?"
head -44 defsize.mlp >defsize40.mlp
echo "}" >>defsize40.mlp
out=$("$MLPC" export defsize40.mlp --to stepfunctions -o defsize40.asl.json 2>&1)
check_eq "40 long calls: within the definition limit" 0 "$?"
check "and the validator accepts it" grep -q "is valid" <<<"$(validate "$T/defsize40.asl.json")"
# The SageMaker job limits apply as for --to sagemaker, naming this target's page.
long=$(printf 'x%.0s' $(seq 300))
printf 'step Long() -> File {\n  run = "echo %s > ${out}"\n}\npipeline long() {\n  _l = Long()\n}\n' "$long" >long.mlp
out=$("$MLPC" export long.mlp --to stepfunctions 2>&1)
check_eq "a 300-character word: exit 2" 2 "$?"
check_contains "a 300-character word: the 256-character limit, at the call" \
  "long.mlp:5:3: error: AWS Step Functions cannot express the command of step \`Long\`: it has a word of 300 characters, and a SageMaker job argument holds at most 256 (docs/export/stepfunctions.md, Limits)" "$out"

# The shapes of what was once refused: batch inference, arithmetic on run-time values, a `for`
# over range(n), indexed loop results and argmax over nested loops (flatten).
G=$ROOT/tests/golden/plans
sf() { (cd "$G" && "$MLPC" export "$1" --to stepfunctions -o "$T/$2") 2>&1; }
sf batch_transform.mlp batch.asl.json >/dev/null
check_eq "transform: a processing job run synchronously" \
  "arn:aws:states:::sagemaker:createProcessingJob.sync" "$(j batch.asl.json 'd["States"]["predicted"]["Resource"]')"
check_contains "transform: the stdlib shard driver starts the server's command" \
  "/usr/bin/python3 /mlp/stdlib/std/sklearn/transform_shard.py --server-cmd" \
  "$(j batch.asl.json '" ".join(d["States"]["predicted"]["Parameters"]["AppSpecification"]["ContainerArguments"])')"
check_eq "transform: the model is an input from its training step" \
  "model States.Format('s3://mlpc-artifacts/exports/{}/m/model', \$\$.Execution.Name)" \
  "$(j batch.asl.json '" ".join([(i["InputName"], i["S3Input"]["S3Uri.$"]) for i in d["States"]["predicted"]["Parameters"]["ProcessingInputs"]][0])')"
check_eq "transform: the predictions are its output" "predictions" \
  "$(j batch.asl.json 'd["States"]["predicted"]["Parameters"]["ProcessingOutputConfig"]["Outputs"][0]["OutputName"]')"
check_eq "transform: a later step reads the predictions" \
  "States.Format('s3://mlpc-artifacts/exports/{}/predicted/predictions', \$\$.Execution.Name)" \
  "$(j batch.asl.json 'd["States"]["summary"]["Parameters"]["ProcessingInputs"][0]["S3Input"]["S3Uri.$"]')"
check_contains "transform: the step reads the predictions file" "/opt/ml/processing/input/predictions/predictions" \
  "$(j batch.asl.json '" ".join(d["States"]["summary"]["Parameters"]["AppSpecification"]["ContainerArguments"])')"

sf step_properties.mlp props.asl.json >/dev/null
check_eq "computed value: a job gets the metrics field and the parameter from the state" \
  "States.Format('{}', \$.metrics.t_metrics.value.auc) States.Format('{}', \$.params.limit)" \
  "$(j props.asl.json '" ".join(d["States"]["gap"]["Parameters"]["Environment"].values())')"
check_contains "computed value: the job subtracts them in Python" 'value = (v("MLP_V0") - v("MLP_V1"))' \
  "$(j props.asl.json '" ".join(d["States"]["gap"]["Parameters"]["AppSpecification"]["ContainerArguments"])')"
check_eq "computed value: read back into the state" '$.metrics.gap_value' \
  "$(j props.asl.json 'd["States"]["gap_read_value"]["ResultPath"]')"
check_contains "computed value: the if compares it" '"Variable": "$.metrics.gap_value.value"' "$(cat props.asl.json)"
check_contains "computed value: the fail message prints it" \
  "States.Format('suspiciously good: {}', \$.metrics.gap_value.value)" "$(cat props.asl.json)"
# The job's Python computes what mlpc run computes: run it on made-up values.
script=$(j props.asl.json '__import__("subprocess").run(["sh", "-c", d["States"]["gap"]["Parameters"]["AppSpecification"]["ContainerEntrypoint"][2].replace("eval ", "printf %s ", 1), "x"] + d["States"]["gap"]["Parameters"]["AppSpecification"]["ContainerArguments"], capture_output=True, text=True).stdout')
got=$(MLP_V0=0.875 MLP_V1=0.5 sh -c "${script//\/opt\/ml\/processing\/output/$T/gapjob}" && cat "$T/gapjob/value/value")
check_eq "computed value: the job writes auc - limit" "0.375" "$got"

sf sweep.mlp sweep-golden.asl.json >/dev/null
check_eq "range(n): the Map's items are made by States.ArrayRange" \
  'States.ArrayRange(0, States.MathAdd($.params.seeds, -1), 1)' \
  "$(j sweep-golden.asl.json '[s for s in d["States"].values() if (s.get("ResultPath") or "").startswith("$.ranges.")][0]["Parameters"]["items.$"]')"
check_eq "range(n): the Map iterates over them" '$.ranges.for_13_3.items' \
  "$(j sweep-golden.asl.json 'd["States"]["for_13_3"]["ItemsPath"]')"
check_eq "range(n): n < 1 skips the loop" 1 \
  "$(j sweep-golden.asl.json 'd["States"]["for_13_3_range"]["Choices"][0]["NumericGreaterThanEquals"]')"
check_eq "len of loop results: the job reads the range's n and the list's length" \
  "States.Format('{}', \$.params.seeds) States.Format('{}', States.ArrayLength(\$.params.depths))" \
  "$(j sweep-golden.asl.json '" ".join(d["States"]["total"]["Parameters"]["Environment"].values())')"
check_contains "xs[0].f: a field of the first iteration's kept metrics" \
  '"Variable": "$.loops.for_8_3[0].metrics.s_metrics.value.auc"' "$(cat sweep-golden.asl.json)"
check_contains "xs[0]: the first iteration's output" \
  "States.Format('s3://mlpc-artifacts/exports/{}/s/0/metrics', \$\$.Execution.Name)" "$(cat sweep-golden.asl.json)"

sf flatten.mlp flatten.asl.json >/dev/null
check_eq "argmax over nested loops: the inner loop keeps every loop's index" '$.index' \
  "$(j flatten.asl.json 'd["States"]["for_7_3"]["ItemProcessor"]["States"]["for_8_5"]["ItemProcessor"]["States"]["for_8_5_done"]["Parameters"]["index.$"]')"
check_eq "argmax over nested loops: the outer loop keeps the inner loop's results" '$.loops.for_8_5' \
  "$(j flatten.asl.json 'd["States"]["for_7_3"]["ItemProcessor"]["States"]["for_7_3_done"]["Parameters"]["results.$"]')"
check_eq "argmax over nested loops: one list in flatten's order" '$.loops.for_7_3[*].results[*]' \
  "$(j flatten.asl.json 'd["States"]["best_flatten"]["Parameters"]["all.$"]')"
finish
