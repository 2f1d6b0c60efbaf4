#!/usr/bin/env bash
# deploy_serve_test.sh — `mlpc up` serves a registered stdlib model on loopback through the
# SageMaker-style router: invoke and curl, `endpoints --json`, a crashed server restarted,
# `down`, no orphan server after `down`, SIGTERM or `kill -9` of the agent, and the error cases
# (unknown endpoint, no agent, a second agent, port in use, bad --port).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"
need curl

P=$T/proj
WS=$P/.mlp
deploy_project "$P"
check_eq "the pipeline registers iris version 1" 0 "$?"
cd "$P" || exit 2

# ---- no agent yet
out=$("$MLPC" invoke iris_api --data x 2>&1)
check_eq "invoke without an agent: exit 1" 1 "$?"
check_contains "invoke without an agent: says so" "no agent is running in this workspace" "$out"
out=$("$MLPC" down 2>&1)
check_eq "down without an agent: exit 1" 1 "$?"
check_contains "down without an agent: says so" "no agent is running" "$out"

# ---- bad --port
out=$("$MLPC" up serve.mlp --port 70000 2>&1)
check_eq "--port 70000: exit 2" 2 "$?"
check_contains "--port 70000: names the option" "--port" "$out"
out=$("$MLPC" up serve.mlp --port abc 2>&1)
check_eq "--port abc: exit 2" 2 "$?"

# ---- up --detach
out=$("$MLPC" up serve.mlp --detach --port 0 2>&1)
check_eq "up --detach: exit 0" 0 "$?"
check_contains "up: iris_api in service" "InService" "$out"
check_contains "up: prints the endpoint URL" "/endpoints/iris_api/invocations" "$out"
check_contains "up: the unresolvable endpoint is Failed with its reason" \
  "iris_pinned: model iris.version(7): \`iris\` has versions 1 to 1 only" "$out"
check "up: pid file" test -s "$WS/agent/agent.pid"
check "up: port file" test -s "$WS/agent/agent.port"
PORT=$(cat "$WS/agent/agent.port")
AGENT=$(cut -d' ' -f1 "$WS/agent/agent.pid")
check_eq "up: 2 server processes" 2 "$(pgrep -f "$WS/objects" | wc -l)"

out=$("$MLPC" up serve.mlp --detach --port 0 2>&1)
check_eq "a second up: exit 1" 1 "$?"
check_contains "a second up: refuses clearly" "an agent is already running in this workspace (pid $AGENT" "$out"

# ---- invoke
out=$("$MLPC" invoke iris_api --data "$IRIS_CSV" 2>&1)
check_eq "invoke CSV: exit 0" 0 "$?"
check_eq "invoke CSV: a prediction per row" $'prediction,probability\n0,1\n2,1' "$(tr -d '\r' <<< "$out" | sed 's/,1\.0*$/,1/')"
printf '%s\n' "$IRIS_CSV" > rows.csv
out=$("$MLPC" invoke iris_api --file rows.csv 2>&1)
check_contains "invoke --file" "prediction,probability" "$out"
out=$("$MLPC" invoke iris_api --content-type application/json \
  --data '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' 2>&1)
check_contains "invoke JSON" '"predictions"' "$out"
out=$("$MLPC" invoke iris_api --data 'a,b\n1,2' 2>&1)
check_eq "a request the model rejects: exit 1" 1 "$?"
check_contains "a request the model rejects: its message" "answered 400" "$out"
out=$("$MLPC" invoke nope --data x 2>&1)
check_eq "invoke an unknown endpoint: exit 1" 1 "$?"
check_contains "invoke an unknown endpoint: 404" "nope answered 404: Endpoint nope not found." "$out"
out=$("$MLPC" invoke iris_pinned --data x 2>&1)
check_contains "invoke a Failed endpoint: 503 with the reason" "answered 503" "$out"

# ---- curl, as any HTTP client
curl -s -D headers.txt -o body.txt -X POST -H 'Content-Type: text/csv' -H 'Accept: text/csv' \
  --data-binary "$IRIS_CSV" "http://127.0.0.1:$PORT/endpoints/iris_api/invocations"
check_contains "curl: 200" "200 OK" "$(cat headers.txt)"
check_contains "curl: the version that answered" "X-Amzn-Invoked-Production-Variant: v1" "$(cat headers.txt)"
check_contains "curl: the Content-Type passed back" "Content-Type: text/csv" "$(cat headers.txt)"
check_contains "curl: predictions" "prediction,probability" "$(cat body.txt)"
code=$(curl -s -o body.txt -w '%{http_code}' -X POST --data x \
  "http://127.0.0.1:$PORT/endpoints/nope/invocations")
check_eq "curl an unknown endpoint: 404" 404 "$code"
check_eq "curl an unknown endpoint: a JSON error" "Endpoint nope not found." \
  "$(json_get body.txt 'j["message"]')"
head -c 7000000 /dev/zero | tr '\0' 'x' > big.bin
code=$(curl -s -o body.txt -w '%{http_code}' -X POST -H 'Content-Type: text/csv' \
  --data-binary @big.bin "http://127.0.0.1:$PORT/endpoints/iris_api/invocations")
check_eq "a body over 6 MB: 413" 413 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ping")
check_eq "GET /ping" 200 "$code"

# ---- capture = 100%: SageMaker's data-capture records, hourly files
CAP=$(find "$WS/capture/iris_api/v1" -name capture.jsonl 2> /dev/null | head -1)
check "capture: an hourly file under capture/iris_api/v1/YYYY/MM/DD/HH" \
  test -n "$CAP" -a -s "${CAP:-/nonexistent}"
check_eq "capture: the CSV request and its answer" \
  "INPUT CSV text/csv True OUTPUT CSV 0 True" "$("$PY" -c '
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = recs[0]
i, o = r["captureData"]["endpointInput"], r["captureData"]["endpointOutput"]
ok = bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", r["eventMetadata"]["eventId"]))
ok = ok and r["eventVersion"] == "0" and r["eventMetadata"]["inferenceTime"].endswith("Z")
print(i["mode"], i["encoding"], i["observedContentType"], i["data"] == sys.argv[2], o["mode"], o["encoding"], o["data"].splitlines()[1][0], ok)
' "$CAP" "$IRIS_CSV")"
check_contains "capture: the JSON request is JSON-encoded" "JSON" "$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    i = json.loads(l)["captureData"]["endpointInput"]
    if i["observedContentType"] == "application/json": print(i["encoding"])
' "$CAP")"
check "capture: iris_pinned (no capture) has none" test ! -e "$WS/capture/iris_pinned"

# ---- malformed, truncated and abandoned requests never wedge or crash the router
check_eq "300 bad requests sent" 300 "$("$PY" "$E2E_DIR/deploy_badhttp.py" "$PORT" 2>&1)"
out=$("$MLPC" invoke iris_api --data "$IRIS_CSV" 2>&1)
check_contains "the router still serves after them" "prediction,probability" "$out"
check "the agent is still running" kill -0 "$AGENT"

# ---- endpoints
"$MLPC" endpoints --json > eps.json
check_eq "endpoints --json: exit 0" 0 "$?"
check_eq "endpoints: iris_api InService" InService \
  "$(json_get eps.json '[e["state"] for e in j["endpoints"] if e["name"] == "iris_api"][0]')"
check_eq "endpoints: v1 takes 100% on 2 instances" "1 100.0 2" \
  "$(json_get eps.json '" ".join(str(x) for v in j["endpoints"][0]["versions"] for x in (v["version"], v["traffic"], v["instances"]))')"
check_eq "endpoints: iris_pinned Failed" Failed \
  "$(json_get eps.json '[e["state"] for e in j["endpoints"] if e["name"] == "iris_pinned"][0]')"
check_eq "endpoints: the mode" realtime "$(json_get eps.json 'j["endpoints"][0]["mode"]')"
out=$("$MLPC" endpoints 2>&1)
check_contains "endpoints: a table" "v1 100% (2 inst)" "$out"

# ---- lineage endpoint:NAME: which data, code and params made the model serving here now
out=$("$MLPC" lineage endpoint:iris_api 2>&1)
check_eq "lineage endpoint:NAME: exit 0" 0 "$?"
check_contains "lineage endpoint: the version it serves" \
  "endpoint iris_api (InService) serves iris version 1 with 100% of its traffic" "$out"
check_contains "lineage endpoint: the training step" "sklearn.Train" "$out"
check_contains "lineage endpoint: down to the data" "std/data.LoadExample" "$out"
out=$("$MLPC" lineage endpoint:iris_apj 2>&1)
check_eq "lineage of an unknown endpoint: exit 2" 2 "$?"
check_contains "lineage of an unknown endpoint: did you mean" \
  "has never been served in this workspace (did you mean \`iris_api\`?)" "$out"
out=$("$MLPC" lineage endpoint:iris_pinned 2>&1)
check_eq "lineage of a Failed endpoint: exit 2" 2 "$?"
check_contains "lineage of a Failed endpoint: says why" "serves no model version (Failed" "$out"

# ---- a server dies: restarted, counted
victim=$(json_get eps.json 'j["endpoints"][0]["versions"][0]["processes"][0]["pid"]')
kill -9 "$victim"
restarted() {
  "$MLPC" endpoints --json > eps2.json 2> /dev/null &&
    [ "$(json_get eps2.json 'j["endpoints"][0]["versions"][0]["crashes"]')" = 1 ] &&
    [ "$(json_get eps2.json 'j["endpoints"][0]["versions"][0]["instances"]')" = 2 ]
}
check "a killed server is restarted and its crash counted" wait_for restarted
check_not_contains "the restarted server has a new pid" "$victim" \
  "$(json_get eps2.json '[p["pid"] for p in j["endpoints"][0]["versions"][0]["processes"]]')"
out=$("$MLPC" invoke iris_api --data "$IRIS_CSV" 2>&1)
check_contains "invoke after the restart" "prediction,probability" "$out"

# ---- port in use (another workspace, same port)
out=$("$MLPC" up serve.mlp --workspace "$T/ws2" --port "$PORT" 2>&1)
check_eq "port in use: exit 1" 1 "$?"
check_contains "port in use: says so" "127.0.0.1:$PORT: the port is in use" "$out"

# ---- recorded in the metadata
check_eq "recorded: deployments of iris_api" "1 Succeeded" "$("$PY" -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(*d.execute("select version, status from deployments where endpoint = ?", ("iris_api",)).fetchone())
' "$WS/meta.db")"
check_eq "recorded: the crash" 1 "$("$PY" -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(d.execute("select count(*) from deployment_events where kind = ?", ("crash",)).fetchone()[0])
' "$WS/meta.db")"

# ---- down
out=$("$MLPC" down 2>&1)
check_eq "down: exit 0" 0 "$?"
check_contains "down: says so" "stopped the agent (pid $AGENT)" "$out"
check_eq "down: no server left" 0 "$(pgrep -f "$WS" | wc -l)"
check "down: the pid file is removed" test ! -e "$WS/agent/agent.pid"
out=$("$MLPC" lineage endpoint:iris_api 2>&1)
check_contains "lineage endpoint: after down, the version it served last" \
  "endpoint iris_api (Stopped) last served iris version 1" "$out"
check_eq "down: endpoints recorded Stopped" "Stopped Stopped" "$("$PY" -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(*[r[0] for r in d.execute("select state from endpoint_state order by endpoint")])
' "$WS/meta.db")"

# ---- kill -9 of the agent leaves no orphan server
"$MLPC" up serve.mlp --detach --port 0 > /dev/null 2>&1
check_eq "up again: 2 servers" 2 "$(pgrep -f "$WS/objects" | wc -l)"
kill -9 "$(cut -d' ' -f1 "$WS/agent/agent.pid")"
none_left() { [ "$(pgrep -f "$WS" | wc -l)" = 0 ]; }
check "kill -9 of the agent: no orphan server" wait_for none_left
out=$("$MLPC" endpoints 2>&1)
check_eq "after kill -9: endpoints exit 1" 1 "$?"
check_contains "after kill -9: the stale pid file is detected" "removed a stale pid file" "$out"

# ---- foreground: SIGTERM drains and stops, exit 0
"$MLPC" up serve.mlp --port 0 > fg.out 2>&1 &
FG=$!
check "foreground up: listening" wait_for test -s "$WS/agent/agent.port"
serving() { "$MLPC" invoke iris_api --data "$IRIS_CSV" > /dev/null 2>&1; }
check "foreground up: serving" wait_for serving
kill -TERM "$FG"
wait "$FG"
check_eq "foreground up: SIGTERM exits 0" 0 "$?"
check_contains "foreground up: stopped" "stopped" "$(cat fg.out)"
check_eq "foreground up: no server left" 0 "$(pgrep -f "$WS" | wc -l)"

finish
