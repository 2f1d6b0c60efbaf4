#!/usr/bin/env bash
# deploy_autoscale_test.sh — `autoscale = { min, max, target, … }` on a realtime endpoint, with a
# real stdlib sklearn iris model: under a steady load the agent starts instances (each
# health-checked before it takes traffic) up to `max`; when the load stops it stops them down to
# `min` after the scale-in cooldown, draining each first. Not one request fails meanwhile. Every
# action is an event that `mlpc endpoints show` lists. Polls have deadlines (sanitizer builds).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"

P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
cat > serve.mlp <<'EOF2'
import "std/sklearn"
import "std/data"

model iris {
  approval = auto
  serve    = sklearn.Serve
}

pipeline train_iris(trees: int = 5) {
  raw   = data.LoadExample(name = "iris", label = "species")
  split = data.Split(raw, test_fraction = 0.3, stratify = "species")
  m     = sklearn.Train(data = split.train, label = "species", trees = trees)
  register m in iris
}

// One request per second per instance is the target: a load of ~8/s calls for the maximum.
endpoint iris_auto {
  model     = iris.latest
  autoscale = { min: 1, max: 3, target: 60, scale_out_cooldown: 1s, scale_in_cooldown: 3s }
}
EOF2
"$MLPC" run serve.mlp > run.out 2>&1
check_eq "the pipeline registers iris version 1" 0 "$?"

# load.py URL STOPFILE THREADS PAUSE: THREADS clients, each pausing PAUSE s between requests,
# until STOPFILE appears; then prints "ok N failed M" (a failure: any answer but 200, or none).
cat > load.py <<'EOF2'
import os, sys, threading, time, urllib.request
url, stop, threads, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
row = b"sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2\n"
counts = {"ok": 0, "failed": 0}
lock = threading.Lock()
def worker():
    while not os.path.exists(stop):
        try:
            req = urllib.request.Request(url, data=row, headers={"Content-Type": "text/csv"})
            good = urllib.request.urlopen(req, timeout=30).status == 200
        except Exception as e:
            good = False
            sys.stderr.write("failed: %s\n" % e)
        with lock:
            counts["ok" if good else "failed"] += 1
        time.sleep(pause)
workers = [threading.Thread(target=worker) for _ in range(threads)]
for t in workers: t.start()
for t in workers: t.join()
print("ok %d failed %d" % (counts["ok"], counts["failed"]))
EOF2

servers() { pgrep -f "sklearn/serve.py --model $WS" | wc -l; }
auto_field() { # FIELD of the endpoint's "autoscale" object in `endpoints --json`
  "$MLPC" endpoints --json |
    json_get - "[e for e in j['endpoints'] if e['name']=='iris_auto'][0]['autoscale']['$1']"
}

out=$("$MLPC" up serve.mlp --detach --port 0 2>&1)
check_eq "up --detach: exit 0" 0 "$?"
check_eq "starts with min = 1 instance" 1 "$(servers)"
policy=$(for f in min max target scale_out_cooldown_s scale_in_cooldown_s; do auto_field $f; done)
check_eq "endpoints --json: the policy" "1 3 60.0 1.0 3.0" "$(echo $policy)"
check_contains "endpoints: the table names the policy" "autoscale 1-3 at 60/inst/min" \
  "$("$MLPC" endpoints 2>&1)"

URL="http://127.0.0.1:$(cat "$WS/agent/agent.port")/endpoints/iris_auto/invocations"
# A heavy load (~8 requests/s) and a light one (~1.5/s, which alone calls for 2 instances).
"$PY" load.py "$URL" stop_heavy 2 0.25 > heavy.out 2> heavy.err &
HEAVY=$!
"$PY" load.py "$URL" stop_light 1 0.6 > light.out 2> light.err &
LIGHT=$!
at() { [ "$(servers)" = "$1" ] && [ "$(auto_field instances)" = "$1" ]; }
check "under ~9.5 requests/s the fleet grows to max = 3" wait_for_long at 3
check_eq "never beyond max" 3 "$(servers)"
touch stop_heavy
wait "$HEAVY"
check "under the light load alone it shrinks to 2, draining the instance it stops" \
  wait_for_long at 2
sleep 4 # a scale-in cooldown and more: the light load keeps 2
check_eq "the light load keeps 2 instances" 2 "$(servers)"
touch stop_light
wait "$LIGHT"
check "without load the fleet shrinks back to min = 1" wait_for_long at 1
check_contains "the loads ran" "ok " "$(cat heavy.out light.out)"
check_eq "no request failed while the fleet grew and shrank" "failed 0 failed 0" \
  "$(grep -ho 'failed [0-9]*' heavy.out light.out | tr '\n' ' ' | sed 's/ $//')"
cat heavy.err light.err | sed 's/^/    /' | head -5

show=$("$MLPC" endpoints show iris_auto 2>&1)
check_contains "endpoints show: the scale-out" "scaled out from 1 to " "$show"
check_contains "endpoints show: the scale-in" "scaled in from " "$show"
check_contains "endpoints show: the load against the target" "against a target of 60" "$show"
kinds=$("$MLPC" endpoints show iris_auto --json |
  json_get - '" ".join(sorted(set(e["kind"] for e in j["events"] if e["kind"].startswith("scale"))))')
check_eq "endpoints show --json: scale_in and scale_out events" "scale_in scale_out" "$kinds"
last_to=$("$MLPC" endpoints show iris_auto --json |
  json_get - '[e["detail"]["to"] for e in j["events"] if e["kind"]=="scale_in"][-1]')
check_eq "the last scale-in ends at min" 1 "$last_to"

"$MLPC" down > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
gone() { [ "$(servers)" = 0 ]; }
check "down: no server left" wait_for gone
finish
