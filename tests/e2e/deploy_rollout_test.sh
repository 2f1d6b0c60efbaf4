#!/usr/bin/env bash
# deploy_rollout_test.sh — `mlpc deploy`: blue/green updates under steady traffic, one endpoint
# per strategy (canary, linear, all_at_once), each with a good new version (green takes 100%)
# and a bad one whose server answers 500 (the `rollback` alarm trips, all traffic goes back to
# blue, green is stopped, exit 1). The history is checked in `mlpc endpoints show`, the metadata
# and the router's answers (X-Amzn-Invoked-Production-Variant). Waits are seconds.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"
need curl

P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
# A toy model: a file saying what share of requests its server fails; the server answers
# `ok,vTAG` or 500.
cat > toy_serve.py <<'EOF2'
import http.server, json, random, sys
model, port = sys.argv[1], int(sys.argv[2])
fail, tag = open(model).read().split()
fail = int(fail)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def answer(self, code, body, ctype):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.answer(200 if self.path == "/health" else 404, '{"status": "ok"}', "application/json")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if random.random() * 100 < fail:
            self.answer(500, '{"error": "boom"}', "application/json")
        else:
            self.answer(200, "ok,%s\n" % tag, "text/csv")
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF2
cat > toy.mlp <<'EOF2'
step Make(bad: int, tag: string) -> (model: Model<sklearn>) {
  run = "echo ${bad} ${tag} > ${model}"
}

server ToyServe(model: Model<sklearn>) {
  code   = ["toy_serve.py"]
  run    = "/usr/bin/python3 toy_serve.py ${model} ${port}"
  health = "/health"
  invoke = "/invocations"
}

model toy {
  approval = auto
  serve    = ToyServe
}

pipeline make(bad: int = 0, tag: string = "a") {
  m = Make(bad = bad, tag = tag)
  register m in toy
}

endpoint toy_canary {
  model    = toy.version(1)
  strategy = canary(50%, wait = 2s)
  rollback = error_rate > 20%
  bake     = 2s
}

endpoint toy_linear {
  model    = toy.version(1)
  strategy = linear(50%, wait = 1s)
  rollback = error_rate > 20% or latency_p99 > 5s
  bake     = 1s
}

// Follows the registry: every registered version is rolled out by itself.
endpoint toy_follow {
  model    = toy.latest
  strategy = all_at_once()
  bake     = 1s
}

endpoint toy_all {
  model    = toy.version(1)
  strategy = all_at_once()
  rollback = requests > 3 and error_rate > 20%
  bake     = 3s
}
EOF2
register() { "$MLPC" run toy.mlp --param "bad=$1" --param "tag=$2" > /dev/null 2>&1; }
register 0 one
check_eq "version 1 registered" 0 "$?"
out=$("$MLPC" up toy.mlp --detach --port 0 2>&1)
check_eq "up: exit 0" 0 "$?"
PORT=$(cat "$WS/agent/agent.port")
register 0 two
follows() {
  "$MLPC" endpoints --json > follow.json 2> /dev/null &&
    [ "$(json_get follow.json '[e["state"] + " " + str([v["version"] for v in e["versions"]]) for e in j["endpoints"] if e["name"] == "toy_follow"][0]')" = "InService [$1]" ]
}
check "toy_follow (toy.latest) moves to version 2 by itself" wait_for follows 2
register 100 three
check "toy_follow moves to version 3 by itself" wait_for follows 3
check_contains "toy_follow: the automatic update is recorded with its reason" \
  "automatic: toy.latest is now version 3" "$("$MLPC" endpoints show toy_follow 2>&1)"

# Steady traffic on every endpoint while they are updated; every answer is logged.
load() { # ENDPOINT
  while :; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: text/csv' --data 1 \
      "http://127.0.0.1:$PORT/endpoints/$1/invocations" >> "load-$1.txt"
    sleep 0.02
  done
}
LOADERS=()
for e in toy_canary toy_linear toy_all; do
  load "$e" &
  LOADERS+=($!)
done

for e in toy_canary toy_linear toy_all; do
  out=$("$MLPC" deploy "$e" --version 2 2>&1)
  check_eq "$e: a good version deploys (exit 0)" 0 "$?"
  check_contains "$e: succeeded" "Succeeded" "$out"
  check_contains "$e: green takes 100%" "traffic v2 100%" "$out"
  ans=$(curl -s -X POST --data 1 "http://127.0.0.1:$PORT/endpoints/$e/invocations")
  check_eq "$e: version 2 answers" "ok,two" "$ans"
done
out=$("$MLPC" deploy toy_canary --version 2 2>&1)
check_eq "deploying the version already served: exit 1" 1 "$?"
check_contains "deploying the version already served: says so" "already serves toy version 2" "$out"
check_contains "canary: the 50% step was recorded" "v1 50%, v2 50%" \
  "$("$MLPC" endpoints show toy_canary 2>&1)"
check_contains "linear: 50% then 100%" "v1 50%, v2 50%" "$("$MLPC" endpoints show toy_linear 2>&1)"

for e in toy_canary toy_linear toy_all; do
  out=$("$MLPC" deploy "$e" --version 3 2>&1)
  check_eq "$e: a failing version rolls back (exit 1)" 1 "$?"
  check_contains "$e: RolledBack" "RolledBack: alarm" "$out"
  check_contains "$e: the alarm reading" "ALARM " "$out"
  check_contains "$e: all traffic back to blue" "traffic v2 100%  (rollback" "$out"
  ans=$(curl -s -X POST --data 1 "http://127.0.0.1:$PORT/endpoints/$e/invocations")
  check_eq "$e: version 2 answers again" "ok,two" "$ans"
done
"$MLPC" endpoints --json > eps.json
check_eq "after the rollbacks every endpoint serves v2 only, InService" \
  "InService [2] InService [2] InService [2]" \
  "$(json_get eps.json '" ".join(e["state"] + " " + str([v["version"] for v in e["versions"]]) for e in j["endpoints"] if e["name"] != "toy_follow")')"
check_eq "only the three version-2 servers and toy_follow's are left" 4 \
  "$(pgrep -f "toy_serve.py $WS" | wc -l)"

out=$("$MLPC" endpoints show toy_all 2>&1)
check_contains "show: the rolled-back deployment" "toy v3 from v2, all_at_once: RolledBack" "$out"
check_contains "show: the successful one" "toy v2 from v1, all_at_once: Succeeded" "$out"
check_contains "show: the alarm reading" "ALARM error_rate" "$out"
"$MLPC" endpoints show toy_canary --json > show.json
check_eq "show --json: statuses in order" "Succeeded Succeeded RolledBack" \
  "$(json_get show.json '" ".join(d["status"] for d in j["deployments"])')"
check_eq "show --json: the rollback event" "rollback" \
  "$(json_get show.json '[e["kind"] for e in j["deployments"][2]["events"] if e["kind"] == "rollback"][0]')"

out=$("$MLPC" deploy toy_canary --version 9 2>&1)
check_eq "an unknown version: exit 1" 1 "$?"
check_contains "an unknown version: says so" "has versions 1 to 3 only" "$out"
out=$("$MLPC" deploy nope 2>&1)
check_contains "an unknown endpoint: says so" "no endpoint \`nope\`" "$out"

# Stop the traffic, then count: outside the alarmed windows every request succeeded.
kill "${LOADERS[@]}" 2> /dev/null
wait "${LOADERS[@]}" 2> /dev/null
for e in toy_canary toy_linear toy_all; do
  total=$(wc -l < "load-$e.txt")
  bad=$(grep -vc '^200$' "load-$e.txt")
  check "$e: steady traffic was served ($total requests)" test "$total" -gt 20
  # Only requests sent to the failing green fleet before the alarm tripped may fail.
  check "$e: failures only while the bad version was watched ($bad of $total)" test "$bad" -lt "$((total / 4))"
done

# ---- kill -9 of the agent in the middle of a rollout
"$MLPC" deploy toy_canary --version 3 > mid.out 2>&1 &
MID=$!
updating() {
  "$MLPC" endpoints --json > mid.json 2> /dev/null &&
    [ "$(json_get mid.json '[e["state"] for e in j["endpoints"] if e["name"] == "toy_canary"][0]')" = Updating ]
}
check "a rollout is under way" wait_for updating
kill -9 "$(cut -d' ' -f1 "$WS/agent/agent.pid")"
none_left() { [ "$(pgrep -f "toy_serve.py $WS" | wc -l)" = 0 ]; }
check "kill -9 mid-rollout: no orphan server (blue or green)" wait_for none_left
wait "$MID"
check_eq "kill -9 mid-rollout: mlpc deploy fails" 1 "$?"
out=$("$MLPC" up toy.mlp --detach --port 0 2>&1)
check_eq "up after kill -9: exit 0" 0 "$?"
"$MLPC" endpoints show toy_canary --json > mid-show.json
check_eq "the interrupted deployment is recorded Stopped" \
  "Stopped the agent stopped during the deployment" \
  "$(json_get mid-show.json '[d["status"] + " " + d["reason"] for d in j["deployments"] if d["version"] == 3][-1]')"
# Reconciled: the last version fully deployed (2) serves, not what the program pins (1) nor the
# interrupted one (3).
"$MLPC" endpoints --json > after.json
check_eq "up after kill -9: toy_canary serves v2, the last fully deployed, alone" "InService [2] [100]" \
  "$(json_get after.json '[e["state"] + " " + str([v["version"] for v in e["versions"]]) + " " + str([round(v["traffic"]) for v in e["versions"]]) for e in j["endpoints"] if e["name"] == "toy_canary"][0]')"
check_eq "up after kill -9: version 2 answers" "ok,two" \
  "$(curl -s -X POST --data 1 "http://127.0.0.1:$(cat "$WS/agent/agent.port")/endpoints/toy_canary/invocations")"
check_contains "the reconciliation is recorded with its reason" \
  "reconciled: deployment $(json_get mid-show.json '[d["id"] for d in j["deployments"] if d["version"] == 3][-1]') to version 3 ended Stopped" \
  "$("$MLPC" endpoints show toy_canary 2>&1)"
check_eq "after a rollback, a restart keeps the last version fully deployed too (toy_linear)" "[2]" \
  "$(json_get after.json 'str([v["version"] for v in [e for e in j["endpoints"] if e["name"] == "toy_linear"][0]["versions"]])')"

"$MLPC" down > /dev/null 2>&1
# Servers that were still starting when the agent stopped die with it (PR_SET_PDEATHSIG); under
# the sanitizers that can take a moment after `down` returns, so allow a few seconds.
for _ in $(seq 1 100); do
  [ "$(pgrep -f "$WS" | wc -l)" = 0 ] && break
  sleep 0.2
done
check_eq "down: no server left" 0 "$(pgrep -f "$WS" | wc -l)"
finish
