#!/usr/bin/env bash
# injection_test.sh — values reach commands as data, never as shell code. Hostile strings given
# as a pipeline parameter, a list element, an env value, a data file's name and a string field
# of a step's Metrics output are written back by the step (printf '%s'); the bytes must match
# exactly, and no file named PWNED_* may appear anywhere.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
M=PWNED_$$ # the marker the hostile strings try to create
NASTY=(
  "x; touch ${M}_semi"
  "\$(touch ${M}_dollar)"
  "\`touch ${M}_backtick\`"
  "it's \"double\" and 'single' quoted; touch ${M}_quote"
  $'line one\nline two; touch '"${M}_newline"
  "\\\\ backslash \\\$HOME \$HOME * ? [a] ~ & | > ${M}_redirect"
  "-n"
  "' ; touch ${M}_closequote ; '"
  "\${IFS}touch\${IFS}${M}_ifs"
)
DATA_NAME="d; touch ${M}_data \$(touch ${M}_data2) 'q' \`x\`.txt"
printf 'data bytes\n' > "$DATA_NAME"

"$PY" - "$DATA_NAME" > p.mlp <<'PYEOF'
import json, sys
name = json.dumps(sys.argv[1])  # a valid .mlp string literal: \" and \\ escapes, no ${
print('data hostile: File = file(%s)' % name)
print('data labels: File = file("labels.json")')
print(r'''
step Echo(s: string) -> File {
  run = "printf '%s' ${s} > ${out}"
}

step Env(s: string) -> File {
  env = { V: "${s}" }
  run = "printf '%s' \"$V\" > ${out}"
}

step Words(xs: list<string>) -> File {
  run = "printf '%s\\n' ${xs} > ${out}"
}

step Copy(x: File) -> File {
  run = "cat ${x} > ${out}"
}

// Writes {"label": <the i-th string of a JSON list>} as its Metrics.
step Produce(x: File, i: int) -> (m: Metrics{label: string}) {
  run = "/usr/bin/python3 -c 'import json, sys; json.dump({\"label\": json.load(open(sys.argv[1]))[int(sys.argv[2])]}, open(sys.argv[3], \"w\"))' ${x} ${i} ${m}"
}

step Rec(s: string) -> File {
  run = "printf '%s' ${ {k: s} } > ${out}"
}

pipeline p(s: string = "x", xs: list<string> = ["a"]) {
  _param = Echo(s)
  for i in range(len(xs)) {
    _echo  = Echo(xs[i])
    _env   = Env(xs[i])
    m      = Produce(labels, i)
    _label = Echo(m.label)
  }
  _words = Words(xs)
  _copy  = Copy(hostile)
}

pipeline rec(s: string = "x") {
  _rec = Rec(s)
}
''')
PYEOF

# output_of NODE: the path of the node's (single) output in the store, in run $R.
output_of() {
  local h
  h=$(json_get "$T/show.json" "[list(s['outputs'].values())[0] for s in j['steps'] if s['node'] == '$1'][0]")
  echo ".mlp/objects/${h:0:2}/$h"
}

# All the strings in one list: as list elements, loop values, env values and Metrics fields;
# and all of them joined (newlines included) as one string parameter.
"$PY" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${NASTY[@]}" > labels.json
ALL=$(printf '%s|' "${NASTY[@]}")
"$MLPC" run p.mlp --pipeline p --param "s=$ALL" --param "xs=$(cat labels.json)" -j 2 \
  --json > "$T/run.json" 2> "$T/run.err"
rc=$?
check_eq "the run succeeds" 0 "$rc"
[ $rc = 0 ] || sed 's/^/    | /' "$T/run.err" "$T/run.json"
R=$(run_id_of "$T/run.json")
"$MLPC" show "$R" --json > "$T/show.json"
printf '%s' "$ALL" > "$T/expect"
check "all of them in one string parameter arrive byte for byte" \
  cmp -s "$T/expect" "$(output_of _param)"
printf '%s\n' "${NASTY[@]}" > "$T/expect"
check "a list<string> parameter is one word per element" cmp -s "$T/expect" "$(output_of _words)"
for ((i = 0; i < ${#NASTY[@]}; i++)); do
  printf '%s' "${NASTY[$i]}" > "$T/expect"
  check "value $i as a loop value arrives byte for byte" cmp -s "$T/expect" "$(output_of "_echo[$i]")"
  check "value $i in an env value arrives byte for byte" cmp -s "$T/expect" "$(output_of "_env[$i]")"
  check "value $i from a Metrics string field arrives byte for byte" \
    cmp -s "$T/expect" "$(output_of "_label[$i]")"
done
check "a data file with a hostile name is read as data" cmp -s "$DATA_NAME" "$(output_of _copy)"

# A record interpolated in `run` becomes its JSON, as one word.
if "$MLPC" run p.mlp --pipeline rec --param "s=${NASTY[0]}" --json > "$T/rec.json" 2> "$T/rec.err"; then
  "$MLPC" show "$(run_id_of "$T/rec.json")" --json > "$T/show.json"
  "$PY" -c 'import json, sys; sys.stdout.write(json.dumps({"k": sys.argv[1]}, separators=(",", ":")))' \
    "${NASTY[0]}" > "$T/expect_rec"
  check "a record value arrives as its JSON" cmp -s "$T/expect_rec" "$(output_of _rec)"
else
  not_ok "a record in a run template fails at run time:" \
    "$(json_get "$T/rec.json" '[e["message"] for e in j if e.get("event") == "run_finished"][0]')" \
    "(runtime/sched/step_command.cpp renderTemplate handles arg/out/port/field/op/lit only)"
fi

found=$( (find "$T" "$ROOT/stdlib" "${TMPDIR:-/tmp}" -maxdepth 3 -name "${M}*"
  find / "$HOME" -maxdepth 1 -name "${M}*") 2>/dev/null)
check_eq "no PWNED file anywhere" "" "$found"

finish
