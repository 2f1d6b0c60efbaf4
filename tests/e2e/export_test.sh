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

# Constructs Argo Workflows cannot express (docs/export/argo.md): the cases that must fail, and
# the words their error must contain.
declare -A ARGO_UNSUPPORTED=(
  [examples/batch/batch.mlp]='batch inference (`transform`)'
  [examples/regression/regression.mlp]='batch inference (`transform`)'
  [examples/sweep/sweep.mlp]='the computed binding `best = argmax(m, scores.f1)`'
  [tests/golden/plans/batch_transform.mlp]='batch inference (`transform`)'
  [tests/golden/plans/flatten.mlp]='argmax'
  [tests/golden/plans/select_pipeline.mlp]='the list argument `names = names`'
  [tests/golden/plans/sweep.mlp]='argmax'
)

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
  out=$T/argo-${base%.mlp}-$(echo "$rel" | md5sum | cut -c1-6).yaml
  err=$( (cd "$dir" && "$MLPC" export "$base" "${args[@]}" --to argo -o "$out") 2>&1)
  rc=$?
  if [ -n "${ARGO_UNSUPPORTED[$rel]:-}" ]; then
    check_eq "$rel: argo: refused (exit 2)" 2 "$rc"
    check_contains "$rel: argo: the error names the construct" "${ARGO_UNSUPPORTED[$rel]}" "$err"
    check "$rel: argo: the error starts with $base:LINE:COL" \
      grep -qE "^$base:[0-9]+:[0-9]+: error: Argo Workflows cannot express" <<<"$err"
    check "$rel: argo: nothing written" test ! -e "$out"
    continue
  fi
  check_eq "$rel: argo: exported (exit 0)" 0 "$rc"
  [ "$rc" = 0 ] || { printf '%s\n' "$err" | sed 's/^/       | /'; continue; }
  res=$(cd "$V" && node argo/validate.js --no-unknown-fields "$out" 2>&1)
  check_eq "$rel: argo: the validator accepts it (--no-unknown-fields)" "$out: valid" "$res"
  exported=$((exported + 1))
done
check "at least 15 exports validated" test "$exported" -ge 15

# A plan file exports the same as its source.
cd "$T" || exit 2
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
check_contains "unknown --to: named, with the known targets" "unknown export target \`nomad\`; known: argo" "$out"
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
  for x in xs {
    s = Score(x = x)
  }
  best = argmax(s, s.auc)
  if best.auc > 0.1 {
    fail "too good"
  }
}
EOF2
echo old > t.yaml
out=$("$MLPC" export t.mlp --to argo -o t.yaml 2>&1)
check_eq "argmax: exit 2" 2 "$?"
check_contains "argmax: file:line:col and the construct" \
  "t.mlp:9:3: error: Argo Workflows cannot express the computed binding \`best = argmax(s, s.auc)\`" "$out"
check_contains "argmax: says nothing was written" "nothing written" "$out"
check_eq "argmax: the existing output is untouched" old "$(cat t.yaml)"
check "no temporary file is left" test ! -e t.yaml.tmp
finish
