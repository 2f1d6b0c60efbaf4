#!/usr/bin/env bash
# examples/deploy/run.sh — deploy.mlp end to end in a temporary directory: train and register
# iris version 1, serve every endpoint (`mlpc up`), send real-time, serverless and async
# requests, ask which data made the model an endpoint serves, register version 2 and watch
# iris_simple (iris.latest) roll it out by itself, then stop everything (`mlpc down`).
# Needs a built mlpc (MLPC=path/to/mlpc, default build/mlpc) and Debian's python3-sklearn.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
export MLP_PATH=${MLP_PATH:-$ROOT/stdlib} NO_COLOR=${NO_COLOR:-1}
unset MLP_WORKSPACE
W=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-deploy-example.XXXXXX")
trap '"$MLPC" down --workspace "$W/.mlp" > /dev/null 2>&1 || true; rm -rf "$W"' EXIT
cp "$ROOT/examples/deploy/deploy.mlp" "$W/"
cd "$W"
ROW=$'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2'
say() { printf '\n== %s\n' "$*"; }

say "1. train and register iris version 1"
"$MLPC" run deploy.mlp --param trees=5

say "2. serve every endpoint of deploy.mlp"
"$MLPC" up deploy.mlp --detach --port 0 # prints the endpoints: URL, mode, live version

say "3. a real-time request (iris_simple)"
"$MLPC" invoke iris_simple --data "$ROW"

say "4. a serverless request: the first one waits for a cold start (iris_serverless)"
"$MLPC" invoke iris_serverless --data "$ROW"

say "5. an async request: queued, then fetched by its inference id (iris_async)"
id=$("$MLPC" invoke iris_async --data "$ROW")
echo "inference id: $id"
for _ in $(seq 1 300); do
  rc=0
  "$MLPC" invoke --result "$id" > result.txt 2> /dev/null || rc=$?
  [ "$rc" = 3 ] || break # 3: still pending
  sleep 0.1
done
cat result.txt

say "6. which data, code and parameters made the model iris_simple serves"
"$MLPC" lineage endpoint:iris_simple

say "7. register version 2: iris_simple follows iris.latest and rolls it out by itself"
"$MLPC" run deploy.mlp --param trees=10
serves_v2() {
  "$MLPC" endpoints --json | /usr/bin/python3 -c 'import json, sys
e = [e for e in json.load(sys.stdin)["endpoints"] if e["name"] == "iris_simple"][0]
sys.exit(0 if e["state"] == "InService" and [v["version"] for v in e["versions"]] == [2] else 1)'
}
for _ in $(seq 1 600); do serves_v2 && break; sleep 0.1; done
"$MLPC" endpoints show iris_simple

say "8. stop the agent and every server"
"$MLPC" down
