#!/usr/bin/env bash
# monitor_test.sh — the closed loop of issue 9 with real processes and a real stdlib model:
# train and register iris v1 -> approve -> `mlpc up` serves it with every request captured ->
# the monitor's first windows have no traffic (NoData) -> requests drawn from the training data
# (no alert) -> requests from a shifted distribution (alert: psi over the threshold, SageMaker's
# baseline_drift_check in constraint_violations.json) -> `on_alert` starts a retraining run by
# itself -> v2 is registered pending approval -> `mlpc models approve` -> the endpoint rolls v2
# out by its canary strategy -> v2 answers -> `mlpc lineage endpoint:NAME` shows v2 and the alert
# that caused it. Also: a garbage capture line is skipped and counted; a second alert while the
# first retraining is going or cooling down starts no run; the baseline's data gone from the
# store fails the execution with the version and data named; `down` leaves no process behind;
# examples/closed_loop/run.sh (the same program) runs the loop end to end. The baseline is kept
# in the store with lineage to its data; `mlpc report monitor:NAME` draws the drift over time.
# Polls have deadlines (sanitizer builds).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"

PYS=/usr/bin/python3
P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
cp "$ROOT/examples/closed_loop/closed_loop.mlp" loop.mlp

"$MLPC" run loop.mlp > run.out 2>&1
check_eq "the pipeline registers iris v1" 0 "$?"
"$MLPC" models approve iris 1 > /dev/null 2>&1
check_eq "v1 approved" 0 "$?"
out=$("$MLPC" up loop.mlp --detach --port 0 2>&1)
check_eq "up: serves the endpoint and starts the monitor" 0 "$?"
URL="http://127.0.0.1:$(cat "$WS/agent/agent.port")/endpoints/iris_api/invocations"

jtrue() { json_get - "$1" 2> /dev/null | grep -qx true; }        # COND over stdin's JSON
jfile_true() { json_get "$1" "$2" 2> /dev/null | grep -qx true; } # FILE COND
execs() { "$MLPC" monitors show iris_drift --json 2> /dev/null; }
has_exec() { # PYTHON-CONDITION over an execution `e`: some execution satisfies it
  execs | json_get - "any(($1) for e in j['executions'])" 2> /dev/null | grep -q true
}
check "no traffic yet: an execution records NoData" wait_for has_exec "e['status'] == 'NoData'"

# Requests: JSON bodies of 100 instances (positional lists, named by the server's features),
# drawn from iris itself or shifted by SHIFT on every feature.
send() { # SHIFT [COUNT]
  "$PYS" - "$URL" "$1" "${2:-3}" <<'EOF2'
import json, random, sys, urllib.request
from sklearn.datasets import load_iris
url, shift, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
X = load_iris().data.tolist()
rng = random.Random(7)
for _ in range(count):
    rows = [[round(v + shift, 2) for v in rng.choice(X)] for _ in range(100)]
    req = urllib.request.Request(url, json.dumps({"instances": rows}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200, r.status
EOF2
}
send 0
check_eq "300 in-distribution requests answered" 0 "$?"
check "in-distribution traffic: Completed, no alert" wait_for_long has_exec \
  "e['rows'] >= 100 and not e['alert'] and e['status'] in ('Completed', 'CompletedWithViolations')"
calm=$(execs | json_get - "json.dumps([e for e in j['executions'] if e['rows'] >= 100][0])")
check "its worst psi is under the threshold" jtrue "j['psi'] < 1.0" <<<"$calm"
check_contains "it read the training data of v1 through lineage" "training data of iris v1" "$calm"

# A line that is not a capture record is skipped and counted, never fatal.
cap=$(find "$WS/capture/iris_api" -name capture.jsonl | head -1)
echo 'not json {' >> "$cap"

send 3
check_eq "300 shifted requests answered" 0 "$?"
check "shifted traffic: the alert fires" wait_for_long has_exec "e['alert']"
alert=$(execs | json_get - "json.dumps([e for e in j['executions'] if e['alert']][0])")
check "the alert's worst psi is over 1.0" jtrue "j['psi'] > 1.0" <<<"$alert"
check_eq "the alert started a retraining run" true \
  "$(json_get - "j['retrain_status'] in ('Running', 'Succeeded')" <<<"$alert")"
report=$(json_get - "j['report_dir']" <<<"$alert")
check "constraint_violations.json in SageMaker's format" jfile_true "$report/constraint_violations.json" \
  "all(set(v) == {'feature_name', 'constraint_check_type', 'description'} for v in j['violations']) and len(j['violations']) > 0"
check_contains "a baseline_drift_check violation" "baseline_drift_check" "$(cat "$report/constraint_violations.json")"
check "statistics.json of the window" jfile_true "$report/statistics.json" "j['dataset']['item_count'] >= 100"
check "the garbage capture line was skipped and counted" has_exec "e['skipped'] >= 1"

retrained() { execs | json_get - "[e['retrain_status'] for e in j['executions'] if e['alert']][0]" 2> /dev/null | grep -q Succeeded; }
check "the retraining run succeeds" wait_for_long retrained
run=$(execs | json_get - "[e['run_id'] for e in j['executions'] if e['alert']][0]")
check_contains "the execution names its run" "r-" "$run"
check_eq "v2 is registered, pending approval" PendingManualApproval \
  "$("$MLPC" models show iris --json | json_get - "[v['status'] for v in j if v['version'] == 2][0]")"
check_eq "v2 was made by the retraining run" "$run" \
  "$("$MLPC" models show iris --json | json_get - "[v['run'] for v in j if v['version'] == 2][0]")"

# A second alert while the first run goes or cools down starts no run.
send 3
check "a second alert is recorded without a new run (Busy or CoolingDown)" wait_for_long has_exec \
  "e['alert'] and e['retrain_status'] in ('Busy', 'CoolingDown')"
check_eq "exactly one retraining run was started" 1 \
  "$(execs | json_get - "len([e for e in j['executions'] if e['run_id']])")"

out=$("$MLPC" monitors 2>&1)
check_contains "monitors: the table" "iris_drift" "$out"
check_contains "monitors: its endpoint and period" "iris_api" "$out"
out=$("$MLPC" monitors show iris_drift 2>&1)
check_contains "monitors show: per-feature values" "petal_length_cm" "$out"
check_contains "monitors show: the retraining run" "$run" "$out"

# The baseline is kept in the store: one directory object per data file and content, recorded
# with the data it describes, and followed by lineage.
bobj=$(execs | json_get - "[e['baseline_object'] for e in j['executions'] if e['baseline_object']][0]")
check_eq "executions name the stored baseline object" 64 "${#bobj}"
check_contains "monitors show prints it" "stored as baseline:${bobj:0:12}" "$out"
check "the object holds statistics.json and constraints.json" test -s \
  "$WS/trees/${bobj:0:2}/$bobj/root/statistics.json" -a -s "$WS/trees/${bobj:0:2}/$bobj/root/constraints.json"
check "its statistics describe v1's training data" jfile_true \
  "$WS/trees/${bobj:0:2}/$bobj/root/statistics.json" \
  "j['dataset']['item_count'] >= 100 and 'petal_length_cm' in [f['name'] for f in j['features']]"
out=$("$MLPC" lineage "baseline:${bobj:0:10}" 2>&1)
check_eq "lineage baseline:HASH: exit 0" 0 "$?"
check_contains "lineage baseline:HASH: what it describes" "describes training data of iris v1" "$out"
check_contains "lineage baseline:HASH: down to the data's source" "std/data.LoadExample" "$out"
out=$("$MLPC" lineage "baseline:0000000000" 2>&1)
check_eq "lineage of an unknown baseline: exit 2" 2 "$?"
check_contains "which says so" "no stored baseline starts with 0000000000" "$out"
out=$("$MLPC" verify --workspace "$WS" --json 2>&1)
check "verify: the workspace is intact with baselines in it" jtrue "j['ok']" <<<"$out"
check "verify: the baseline object is not garbage" jtrue \
  "not any('${bobj:0:12}' in json.dumps(g) for g in j['garbage'])" <<<"$out"

# The monitor's page in the HTML report: every execution, and each feature's drift over time.
n=$(execs | json_get - "len(j['executions'])") # the agent goes on: the page has at least these
out=$("$MLPC" report monitor:iris_drift -o "$T/monitor.html" 2>&1)
check_eq "report monitor:NAME: exit 0" 0 "$?"
check_contains "it says what it wrote" "wrote $T/monitor.html (monitor iris_drift" "$out"
html=$(cat "$T/monitor.html" 2> /dev/null)
check_eq "one table row per execution (at least $n)" 1 \
  "$(("$(grep -o 'data-testid="execution"' <<<"$html" | wc -l)" >= n))"
check_contains "an execution row marks the alert" 'data-alert="true"' "$html"
for f in sepal_length_cm petal_length_cm; do
  check_contains "a drift section for $f" "data-testid=\"feature\" data-name=\"$f\"" "$html"
done
check_contains "psi over time" 'data-measure="psi"' "$html"
check_contains "ks over time" 'data-measure="ks"' "$html"
check_contains "the baseline is named with its stored object" "baseline:${bobj:0:12}" "$html"
check "no script in the page" bash -c '! grep -qi "<script" "$1"' _ "$T/monitor.html"
if [ -x /usr/bin/chromium ]; then
  timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$T/chrome" --dump-dom "file://$T/monitor.html" > "$T/monitor.dom" 2> /dev/null
  check "chromium renders the monitor page with its charts" grep -q 'data-testid="drift-chart"' "$T/monitor.dom"
fi
out=$("$MLPC" report monitor:nosuch -o "$T/none.html" 2>&1)
check_eq "report of a monitor with no executions: exit 2" 2 "$?"
check_contains "which names it" "monitor \`nosuch\` has no monitoring execution" "$out"
check "and writes nothing" test ! -e "$T/none.html"
out=$("$MLPC" report monitor: 2>&1)
check_eq "report monitor: without a name: exit 2" 2 "$?"

# Approve v2: the endpoint (iris.approved) rolls it out by its canary strategy.
"$MLPC" models approve iris 2 > /dev/null 2>&1
check_eq "v2 approved" 0 "$?"
serves_v2() {
  "$MLPC" endpoints --json 2> /dev/null |
    json_get - "[v['version'] for v in j['endpoints'][0]['versions'] if v['traffic'] == 100] == [2]" |
    grep -q true
}
check "the endpoint rolls v2 out" wait_for_long serves_v2
variant=$(curl --noproxy '*' -s -D - -o /dev/null -H 'Content-Type: text/csv' --data-binary \
  $'5.1,3.5,1.4,0.2' "$URL" | tr -d '\r' | grep -i '^X-Amzn-Invoked-Production-Variant' | cut -d' ' -f2)
check_eq "v2 answers" v2 "$variant"
out=$("$MLPC" lineage endpoint:iris_api 2>&1)
check_contains "lineage: the endpoint serves v2" "serves iris version 2" "$out"
check_contains "lineage: the alert that caused it" "started by an alert: monitor iris_drift" "$out"
check_contains "lineage: the retraining run" "$run" "$out"
check_contains "lineage: down to the data" "std/data.LoadExample" "$out"

# The baseline's data gone from the store: a Failed execution naming the version and the data,
# and the monitor keeps running.
check "after the rollout the baseline is v2's training data" wait_for has_exec "'iris v2' in e['baseline']"
hash=$(execs | json_get - "[e['baseline'] for e in j['executions'] if 'iris v2' in e['baseline']][-1]" |
  sed -E 's/.*, ([0-9a-f]{12})\)$/\1/')
check_eq "the baseline of v2 names its artifact" 12 "${#hash}"
[ "${#hash}" = 12 ] && find "$WS/objects" -name "$hash*" -exec rm -rf {} + 2> /dev/null
check "baseline gone: a Failed execution says which version and data" wait_for_long has_exec \
  "e['status'] == 'Failed' and 'training data of iris v2' in e['detail'] and '$hash' in e['detail']"

"$MLPC" down --workspace "$WS" > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
none_left() { [ "$(pgrep -f "$WS" | wc -l)" = 0 ]; }
check "no server or run left" wait_for none_left
# The example's walk-through, on its own workspace and port.
out=$(MLPC="$MLPC" bash "$ROOT/examples/closed_loop/run.sh" 2>&1)
check_eq "examples/closed_loop/run.sh: exit 0" 0 "$?"
check_contains "run.sh: v2 rolled out after the alert" \
  "endpoint iris_api (InService) serves iris version 2" "$out"
check_contains "run.sh: lineage names the alert" "started by an alert: monitor iris_drift" "$out"
finish
