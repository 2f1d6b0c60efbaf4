#!/usr/bin/env bash
# registry_test.sh — the model registry and the commands that look back at runs:
#   * the approval state machine: registered (manual) -> PendingManualApproval; approve;
#     approving again is refused; reject (a recall) is allowed; approving a rejected version is
#     allowed; unknown groups/versions are errors that change nothing; `approval = auto`
#     registers as Approved;
#   * `models show` prints the history with who, when and the comment;
#   * `lineage GROUP@N` names the data hash, the code, the params and the command;
#   * `reproduce` of a deterministic pipeline reports all same (exit 0), of a non-deterministic
#     one DIFFERENT (exit 1);
#   * `runs --sort METRIC` orders by the metric; `compare` marks the rows that differ.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
printf 'x,y\n1,0\n2,1\n3,0\n' > data.csv
printf '#!/bin/sh\n# train.sh DATA SEED OUT\n{ cat "$1"; echo "seed $2"; } > "$3"\n' > train.sh
cat > r.mlp <<'EOF'
data raw: Dataset<csv> = file("data.csv")

model churn {
  approval = manual
}

model fast {
  approval = auto
}

step Train(data: Dataset<csv>, seed: int) -> (model: Model<sklearn>) {
  code = ["train.sh"]
  run  = "sh train.sh ${data} ${seed} ${model}"
}

step Eval(_model: Model<sklearn>, auc: float) -> (scores: Metrics{auc: float}) {
  run = "printf '{\"auc\": %s, \"rows\": 3}' ${auc} > ${scores}"
}

// Not deterministic: the model holds the time it was made.
step Noisy(data: Dataset<csv>) -> (model: Model<sklearn>) {
  run = "{ cat ${data}; date +%s%N; } > ${model}"
}

pipeline train(seed: int = 1, auc: float = 0.8) {
  m = Train(raw, seed)
  s = Eval(m, auc)
  register m in churn with { metrics: s, tags: { seed: "${seed}" } }
}

pipeline autotrain(seed: int = 1) {
  m = Train(raw, seed)
  register m in fast
}

pipeline noisy() {
  m = Noisy(raw)
  register m in churn
}
EOF

run_ok() { # NAME ARGS...: an `mlpc run` that must succeed; sets RUN
  local name=$1
  shift
  "$MLPC" run r.mlp "$@" > "$T/$name.out" 2>&1
  local rc=$?
  check_eq "$name: the run succeeds" 0 "$rc"
  [ $rc = 0 ] || sed 's/^/    | /' "$T/$name.out"
  RUN=$(sed -n 's/^details: mlpc show //p' "$T/$name.out")
}
status_of() { "$MLPC" models show "$1" "$2" --json | json_get - 'j["status"]'; }
events_of() { "$MLPC" models show "$1" "$2" --json | json_get - 'len(j["history"])'; }
# decide VERB GROUP VERSION EXPECTED_RC [args]: runs `mlpc models VERB` and checks its exit code.
decide() {
  local verb=$1 group=$2 version=$3 rc=$4
  shift 4
  OUT=$("$MLPC" models "$verb" "$group" "$version" "$@" 2>&1)
  check_eq "models $verb $group $version exits $rc" "$rc" "$?"
}

# --- the state machine
run_ok "train seed=1" --pipeline train --param seed=1 --param auc=0.8
RUN1=$RUN
check_eq "a manual group registers as PendingManualApproval" PendingManualApproval "$(status_of churn 1)"
decide approve churn 1 0 --actor alice --comment "looks good"
check_eq "approve: Approved" Approved "$(status_of churn 1)"
decide approve churn 1 1 --actor alice --comment "again"
check_contains "approving an Approved version is refused, saying why" \
  "churn version 1 is Approved: it cannot become Approved" "$OUT"
check_eq "... and changes nothing" 2 "$(events_of churn 1)"
decide reject churn 1 0 --actor bob --comment "recall: drift in March"
check_eq "reject (recall) of an Approved version: Rejected" Rejected "$(status_of churn 1)"
decide reject churn 1 1 --actor bob
check_contains "rejecting a Rejected version is refused" "is Rejected: it cannot become Rejected" "$OUT"
decide approve churn 1 0 --actor carol --comment "second look"
check_eq "approving a Rejected version is allowed" Approved "$(status_of churn 1)"
check_eq "four events: registered, approved, rejected, approved" 4 "$(events_of churn 1)"

decide approve nosuch 1 2
check_contains "an unknown group is an error naming it" "no model group \`nosuch\`" "$OUT"
decide approve chur 1 2
check_contains "a misspelt group gets a suggestion" "did you mean \`churn\`" "$OUT"
decide approve churn 9 2
check_contains "an unknown version is an error naming the range" "churn has no version 9 (versions 1 to 1)" "$OUT"
decide reject churn abc 2
check_contains "a version that is not a number is an error" "not a version number" "$OUT"
check_eq "the errors changed nothing (events)" 4 "$(events_of churn 1)"
check_eq "the errors changed nothing (status)" Approved "$(status_of churn 1)"

run_ok "autotrain" --pipeline autotrain
check_eq "approval = auto registers as Approved" Approved "$(status_of fast 1)"
check_eq "... with one event" 1 "$(events_of fast 1)"

run_ok "train again, unchanged" --pipeline train --param seed=1 --param auc=0.8
check_contains "re-running an unchanged pipeline does not register a copy" \
  "already churn version 1" "$(cat "$T/train again, unchanged.out")"

# --- models show: the history with who, when and why
show=$("$MLPC" models show churn 1)
check_contains "models show: the registration" "registered as PendingManualApproval" "$show"
check_contains "models show: who approved" "alice" "$show"
check_contains "models show: the approval comment" "looks good" "$show"
check_contains "models show: the recall" "Approved -> Rejected" "$show"
check_contains "models show: who recalled, and why" "recall: drift in March" "$show"
check_contains "models show: the second approval" "carol" "$show"
check "models show: when (a UTC date on each event)" \
  test "$(printf '%s\n' "$show" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}')" -ge 4
resolved=$("$MLPC" models resolve churn.approved)
check_contains "models resolve churn.approved" "churn version 1 (Approved)" "$resolved"

# --- lineage: data hash, code, params, command
lin=$("$MLPC" lineage churn@1)
check_eq "lineage churn@1 exits 0" 0 "$?"
DATA_HASH=$(sha data.csv)
check_contains "lineage names the data by hash" "${DATA_HASH:0:12}" "$lin"
check_contains "lineage names the code file" "train.sh" "$lin"
check_contains "lineage names the code file's hash" "$(sha train.sh | cut -c1-12)" "$lin"
check_contains "lineage names the params" "seed" "$lin"
check_contains "lineage names the command" "sh train.sh" "$lin"
lj=$("$MLPC" lineage churn@1 --format json)
check_contains "lineage --format json has the data hash in full" "$DATA_HASH" "$lj"
"$MLPC" lineage churn@1 --format openlineage > /dev/null
check_eq "lineage --format openlineage exits 0" 0 "$?"
down=$("$MLPC" lineage "$DATA_HASH" --downstream)
check_contains "lineage --downstream of the data reaches Train" "Train" "$down"

# Text that would break the history table or reach the reader's terminal is refused.
"$MLPC" models approve churn 1 --comment $'two\nlines' > /dev/null 2> "$T/ctl.err"
check_eq "a comment with a newline is refused (exit 2)" 2 "$?"
"$MLPC" models approve churn 1 --comment $'\e[31mred' > /dev/null 2>&1
check_eq "a comment with an escape sequence is refused (exit 2)" 2 "$?"
R1=$("$MLPC" models show churn --json | json_get - '[v["run"] for v in j if v["version"] == 1][0]')
out=$("$MLPC" models approve churn 99999999999999999999 2>&1)
check_eq "approve of a version number past 64 bits is a usage error" 2 "$?"
check_contains "and says it is not a version number" "is not a version number" "$out"
"$MLPC" models resolve 'churn.version(x)' > /dev/null 2>&1
check_eq "resolve of version(x) is a usage error" 2 "$?"
out=$("$MLPC" lineage "$R1:" 2>&1)
check_contains "lineage RUN: without a step says how to write it" "write RUN:STEP" "$out"
out=$("$MLPC" lineage "$R1:train." 2>&1)
check_contains "lineage RUN:STEP. without an output says how to write it" "write RUN:STEP" "$out"
"$MLPC" lineage churn@99999999999999999999 > /dev/null 2> "$T/big.err"
check_contains "a version number past 64 bits is not a version" "GROUP@N" "$(cat "$T/big.err")"

# --- reproduce
rep=$("$MLPC" reproduce churn@1 2>&1)
rc=$?
check_eq "reproduce of a deterministic pipeline exits 0" 0 "$rc"
check_contains "reproduce says the model matches" "matches" "$rep"
check_not_contains "reproduce finds nothing DIFFERENT" "DIFFERENT" "$rep"
check_eq "runs --json marks the reproduction run" "churn@1" \
  "$("$MLPC" runs -n 1 --json | json_get - 'j[0]["reproduction_of"]')"
check_contains "runs marks it in the table" "train (reproduces churn@1)" "$("$MLPC" runs -n 1)"
check_eq "an ordinary run has no reproduction_of" "None" \
  "$("$MLPC" runs -n 0 --json | json_get - 'str(j[-1]["reproduction_of"])')"
REPRO=$("$MLPC" runs -n 1 --json | json_get - 'j[0]["id"]')
"$MLPC" report "$RUN1" -o "$T/r1.html" > /dev/null 2>&1
check_eq "the report's charts leave the reproduction run out" 0 \
  "$(grep -o "data-testid=\"metric-point\" data-run=\"$REPRO\"" "$T/r1.html" | wc -l)"
check "and still chart the run itself" grep -q "data-testid=\"metric-point\" data-run=\"$RUN1\"" "$T/r1.html"
# Without its recorded input bytes a reproduction refuses, rather than read today's files.
IN=.mlp/runs/$R1/inputs.json
cp "$IN" "$T/inputs.saved"
for damage in 'garbage' '[]' '{}' '{"raw": 5}' '{"raw": {"$artifact": "abc"}}'; do
  printf '%s' "$damage" > "$IN"
  rep=$("$MLPC" reproduce churn@1 2>&1)
  rc=$?
  check_eq "reproduce with inputs.json = $damage exits 2" 2 "$rc"
  check_contains "and says the recorded inputs are damaged" "are missing or damaged" "$rep"
done
rm "$IN"
"$MLPC" reproduce churn@1 > /dev/null 2>&1
check_eq "reproduce without inputs.json exits 2" 2 "$?"
cp "$T/inputs.saved" "$IN"

run_ok "noisy" --pipeline noisy
check_eq "the noisy model is churn version 2" PendingManualApproval "$(status_of churn 2)"
rep=$("$MLPC" reproduce churn@2 2>&1)
rc=$?
check_eq "reproduce of a non-deterministic pipeline exits 1" 1 "$rc"
check_contains "reproduce marks the model DIFFERENT" "DIFFERENT" "$rep"
check_contains "reproduce says the model does not match" "DOES NOT match" "$rep"
check_contains "reproduce explains what differences mean" "not deterministic" "$rep"
check_eq "reproduce registered nothing" 2 "$("$MLPC" models show churn --json | json_get - 'len(j)')"

# reproduce when the workspace is not beside the .mlp file (--workspace): the steps must still
# run in their own directories (train.sh is found beside r.mlp).
"$MLPC" run r.mlp --pipeline autotrain --param seed=5 --workspace "$T/elsewhere" > "$T/else.out" 2>&1
check_eq "a run with --workspace elsewhere succeeds" 0 "$?"
if rep=$("$MLPC" reproduce fast@1 --workspace "$T/elsewhere" 2>&1); then
  ok "reproduce with --workspace elsewhere finds the steps' files"
else
  not_ok "reproduce with --workspace elsewhere runs the steps in the workspace's parent" \
    "(tools/mlpc/cmd_experiments.cpp: lp.baseDir = parent of the workspace):" \
    "$(printf '%s\n' "$rep" | grep -m1 'code file')"
fi

# --- runs --sort and compare
run_ok "train seed=2" --pipeline train --param seed=2 --param auc=0.95
RUN2=$RUN
run_ok "train seed=3" --pipeline train --param seed=3 --param auc=0.7
RUN3=$RUN
"$MLPC" runs --pipeline train --sort auc --json > "$T/sorted.json"
# Runs of `train`: seed 1 (0.8), its unchanged re-run (0.8, cached), the reproduction of
# churn@1 (0.8), seed 2 (0.95), seed 3 (0.7).
check_eq "runs --sort auc: best first, by auc" "0.95 0.8 0.8 0.8 0.7" \
  "$(json_get "$T/sorted.json" '" ".join(str(r["metrics"]["auc"]) for r in j)')"
check_eq "runs --sort auc: the best run first, the worst last" "$RUN2 $RUN3" \
  "$(json_get "$T/sorted.json" 'j[0]["id"] + " " + j[-1]["id"]')"
asc=$("$MLPC" runs --pipeline train --sort auc --ascending --json | json_get - 'j[0]["id"]')
check_eq "runs --sort auc --ascending: worst first" "$RUN3" "$asc"
table=$("$MLPC" runs --pipeline train --sort auc)
check_contains "runs --sort shows the metric column" "auc" "$table"
bad=$("$MLPC" runs --sort aucc 2>&1)
check_contains "runs --sort with an unknown metric suggests one" "did you mean \`auc\`" "$bad"
cmp_out=$("$MLPC" compare "$RUN1" "$RUN2")
check_eq "compare exits 0" 0 "$?"
check "compare marks the differing param (seed)" grep -qE '^\* +param +seed' <<< "$cmp_out"
check "compare marks the differing metric (auc)" grep -qE '^\* +metric +auc' <<< "$cmp_out"
check "compare leaves equal rows unmarked (rows)" grep -qE '^  +metric +rows' <<< "$cmp_out"
cj=$("$MLPC" compare "$RUN1" "$RUN2" --json)
check_eq "compare --json: auc differs" true "$(json_get - 'j["metrics"]["auc"]["differs"]' <<< "$cj")"
check_eq "compare --json: rows does not" false "$(json_get - 'j["metrics"]["rows"]["differs"]' <<< "$cj")"

# --- a version registered by a run that then failed is flagged wherever it is listed
mkdir -p "$T/failproj"
cd "$T/failproj" || exit 2
cat > f.mlp <<'EOF'
model late {
  approval = manual
}

step Make(n: int) -> (model: Model<sklearn>) {
  run = "echo model ${n} > ${model}"
}

step Boom(_m: Model<sklearn>) -> File {
  run = "exit 4"
}

pipeline p(n: int = 1) {
  m = Make(n)
  register m in late
  _b = Boom(m)
}

pipeline ok(n: int = 2) {
  m = Make(n)
  register m in late
}
EOF
"$MLPC" run f.mlp --pipeline p > "$T/f.out" 2>&1
check_eq "the run that registers then fails exits 1" 1 "$?"
"$MLPC" run f.mlp --pipeline ok > "$T/f.out" 2>&1
check_eq "a clean run registers version 2" 0 "$?"
t=$("$MLPC" models show late)
check "models show flags version 1 (run failed)" grep -qE '^1 +PendingManualApproval \(run failed\)' <<< "$t"
check "models show does not flag version 2" grep -qE '^2 +PendingManualApproval +[0-9]' <<< "$t"
j=$("$MLPC" models show late --json)
check_eq "models show --json: run_failed per version" "True False" \
  "$(json_get - '" ".join(str(v["run_failed"]) for v in j)' <<< "$j")"
check_eq "models show --json: run_status" "failed" "$(json_get - 'j[0]["run_status"]' <<< "$j")"
one=$("$MLPC" models show late 1)
check_contains "models show late 1 says the run failed after registering" \
  "failed after registering this version" "$one"
"$MLPC" run f.mlp --pipeline p --param n=3 > "$T/f.out" 2>&1
t=$("$MLPC" models)
check_contains "models flags a latest version whose run failed" "3 (PendingManualApproval (run failed))" "$t"
w=$("$MLPC" models approve late 1 2>&1)
check_contains "approving it warns" "warning: run " "$w"
check_contains "and still approves" "late version 1 is now Approved" "$w"

finish
