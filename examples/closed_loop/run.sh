#!/usr/bin/env bash
# examples/closed_loop/run.sh — closed_loop.mlp end to end in a temporary directory: train and
# register iris v1, approve it, serve it (`mlpc up`), send requests like the training data (no
# alert), then shifted requests (the monitor alerts and starts a retraining run by itself), wait
# for v2, approve it, watch the endpoint roll it out, and ask which data — and which alert — made
# the version it serves. tests/e2e/monitor_test.sh checks each of these steps on the same program.
# Needs a built mlpc (MLPC=path/to/mlpc, default build/mlpc) and Debian's python3-sklearn.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
PY=/usr/bin/python3
export MLP_PATH=${MLP_PATH:-$ROOT/stdlib} NO_COLOR=${NO_COLOR:-1}
unset MLP_WORKSPACE
W=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-closed-loop.XXXXXX")
trap '"$MLPC" down --workspace "$W/.mlp" > /dev/null 2>&1 || true; rm -rf "$W"' EXIT
cp "$ROOT/examples/closed_loop/closed_loop.mlp" "$W/"
cd "$W"
say() { printf '\n== %s\n' "$*"; }
wait_until() { # SECONDS CMD...: retries CMD every half second
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || { echo "timed out waiting for: $*" >&2; exit 1; }
    sleep 0.5
  done
}
executions() { "$MLPC" monitors show iris_drift --json 2> /dev/null || echo '{"executions": []}'; }
any_execution() { # PYTHON-CONDITION over an execution `e`
  executions | "$PY" -c "import json, sys
sys.exit(0 if any(($1) for e in json.load(sys.stdin)['executions']) else 1)"
}
send() { # SHIFT: three requests of 100 iris rows, each feature moved by SHIFT
  "$PY" - "$URL" "$1" <<'PYEOF'
import json, random, sys, urllib.request
from sklearn.datasets import load_iris
url, shift = sys.argv[1], float(sys.argv[2])
X, rng = load_iris().data.tolist(), random.Random(7)
for _ in range(3):
    rows = [[round(v + shift, 2) for v in rng.choice(X)] for _ in range(100)]
    req = urllib.request.Request(url, json.dumps({"instances": rows}).encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
PYEOF
}

say "1. train and register iris v1, and approve it"
"$MLPC" run closed_loop.mlp
"$MLPC" models approve iris 1

say "2. serve it; the monitor starts with the agent"
"$MLPC" up closed_loop.mlp --detach --port 0
URL="http://127.0.0.1:$(cat .mlp/agent/agent.port)/endpoints/iris_api/invocations"

say "3. 300 requests like the training data: a monitoring execution without an alert"
send 0
wait_until 60 any_execution "e['rows'] >= 100 and not e['alert']"

say "4. 300 shifted requests: the monitor alerts and starts a retraining run"
send 3
wait_until 60 any_execution "e['alert'] and e['retrain_status'] == 'Succeeded'"
"$MLPC" monitors show iris_drift

say "5. the retraining run registered v2, pending approval; approve it"
"$MLPC" models show iris
"$MLPC" models approve iris 2

say "6. the endpoint rolls v2 out by its canary strategy"
serves_v2() {
  "$MLPC" endpoints --json | "$PY" -c 'import json, sys
e = json.load(sys.stdin)["endpoints"][0]
sys.exit(0 if e["state"] == "InService" and [v["version"] for v in e["versions"]] == [2] else 1)'
}
wait_until 60 serves_v2
"$MLPC" endpoints show iris_api

say "7. which data made the version iris_api serves, and which alert started its run"
"$MLPC" lineage endpoint:iris_api

say "8. stop the agent, its servers and its monitor"
"$MLPC" down
