#!/usr/bin/env bash
# bench/serve.sh — the deployment router and the stdlib server under load, as markdown tables
# (issue 8's measures). Everything runs on loopback in one temporary project:
#
#   (a) router overhead: wrk POSTs to a trivial fast backend (nginx answering a constant body,
#       started by the agent as a model server) directly, through Debian's nginx as a reverse
#       proxy (default proxying, and with an upstream keep-alive pool), and through mlpc's
#       router. Added p50/p99 latency and throughput against nginx's.
#       Goal: p99 overhead no worse than nginx's, throughput at least 0.9x nginx's.
#   (b) the stdlib sklearn server (std/sklearn Serve, a random forest on iris) at concurrency 8,
#       directly and through the router.
#   (c) a canary rollout onto a green fleet that fails 30% of its requests, under a steady
#       200 requests/s (bench/serve/load.py, open loop): time from the first failed request to
#       the last, when the rollback took effect, and the share of all requests that failed.
#       Goal: at most 0.5% failed.
#   (d) serverless cold start of the stdlib sklearn server: COLD times a request to a
#       serverless(idle = 1s) endpoint with no instance, waiting for it to scale to zero between
#       requests; the agent's own record of each cold start beside it. Goal: at most 1.5 s.
#   (e) autoscaling under a load ramp (5 → 20 → 40 → 5 requests/s, open loop) on the sklearn
#       server with autoscale = { min: 1, max: 4, target: 600 } (10 requests/s per instance):
#       for each phase, the instance count it calls for and how long after the phase began the
#       fleet had it; requests failed meanwhile. Goal: none failed.
#
#   bench/serve.sh [BUILD_DIR]        default build/ (needs mlpc); needs wrk and nginx:
#                                     ./setup.sh --bench-deps installs them
#   SECONDS_EACH=10 CONC=16 RATE=200 bench/serve.sh
#
# Numbers from a busy 2-core machine are indicative: the load generator, the proxies and the
# backends share the cores. Benchmarks never fail the build: exit 0 unless it cannot run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
MLPC=${MLPC:-$BUILD/mlpc}
SECS=${SECONDS_EACH:-10}
CONC=${CONC:-16}
RATE=${RATE:-200}
PY=/usr/bin/python3
export NO_COLOR=1 MLP_PATH=${MLP_PATH:-$ROOT/stdlib}
unset MLP_WORKSPACE

for tool in "$MLPC" /usr/bin/wrk /usr/sbin/nginx "$PY"; do
  [ -x "$tool" ] || { echo "serve.sh: missing $tool (./setup.sh --bench-deps installs it)" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-bench-serve-XXXXXX")
PROXY_PIDS=()
cleanup() {
  "$MLPC" down --workspace "$W/.mlp" > /dev/null 2>&1 || true
  for p in "${PROXY_PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "(kept $W)" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W"
cp "$ROOT/bench/serve/fast_serve.sh" "$ROOT/bench/serve/post.lua" .

# A toy server that fails a share of its requests (the model file says which share).
cat > flaky_serve.py <<'PYEOF'
import http.server, random, sys
fail = int(open(sys.argv[1]).read().split()[0])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def answer(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.answer(200, "ok\n")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(500 if random.random() * 100 < fail else 200, "0.5\n")
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
PYEOF

cat > bench.mlp <<'MLPEOF'
import "std/sklearn"
import "std/data"

step Make(bad: int) -> (model: Model<sklearn>) {
  run = "echo ${bad} > ${model}"
}

server FastServe(model: Model<sklearn>) {
  code   = ["fast_serve.sh"]
  run    = "/bin/sh fast_serve.sh ${port}"
  health = "/health"
  invoke = "/invocations"
}

server FlakyServe(model: Model<sklearn>) {
  code   = ["flaky_serve.py"]
  run    = "/usr/bin/python3 flaky_serve.py ${model} ${port}"
  health = "/health"
  invoke = "/invocations"
}

model fast {
  approval = auto
  serve    = FastServe
}

model flaky {
  approval = auto
  serve    = FlakyServe
}

model iris {
  approval = auto
  serve    = sklearn.Serve
}

pipeline models(bad: int = 0) {
  f = Make(bad = 0)
  register f in fast
  k = Make(bad = bad)
  register k in flaky
  raw   = data.LoadExample(name = "iris", label = "species")
  split = data.Split(raw, test_fraction = 0.3, stratify = "species")
  m     = sklearn.Train(data = split.train, label = "species", trees = 50)
  register m in iris
}

endpoint fast_ep {
  model = fast.version(1)
}

endpoint iris_ep {
  model = iris.version(1)
}

endpoint iris_sl {
  model = iris.version(1)
  mode  = serverless(idle = 1s)
}

endpoint iris_auto {
  model     = iris.version(1)
  autoscale = { min: 1, max: 4, target: 600, scale_out_cooldown: 5s, scale_in_cooldown: 20s }
}

endpoint flaky_ep {
  model    = flaky.version(1)
  strategy = canary(10%, wait = 20s)
  rollback = error_rate > 5%
  bake     = 5s
}
MLPEOF

echo "serve.sh: training and registering the models ($W)" >&2
"$MLPC" run bench.mlp --param bad=0 > run1.out 2>&1 || { cat run1.out >&2; exit 1; }
"$MLPC" up bench.mlp --detach --port 0 > up.out 2>&1 || { cat up.out >&2; exit 1; }
ROUTER=$(cat .mlp/agent/agent.port)
"$MLPC" endpoints --json > eps.json
port_of() { # ENDPOINT: its first instance's port
  "$PY" -c 'import json,sys; j=json.load(open("eps.json"))
print([e for e in j["endpoints"] if e["name"]==sys.argv[1]][0]["versions"][0]["processes"][0]["port"])' "$1"
}
FAST=$(port_of fast_ep)
IRIS=$(port_of iris_ep)

# Debian's nginx as a reverse proxy in front of the same backend process: once with default
# proxying (a new upstream connection per request, as mlpc's router does today) and once with
# an upstream keep-alive pool. Two workers, as many as this machine has cores.
proxy() { # NAME PORT KEEPALIVE(0|1)
  local d=$W/$1
  mkdir -p "$d/logs"
  local up="proxy_pass http://127.0.0.1:$FAST;"
  local pool=""
  if [ "$3" = 1 ]; then
    pool="upstream fast { server 127.0.0.1:$FAST; keepalive 32; }"
    up='proxy_pass http://fast; proxy_http_version 1.1; proxy_set_header Connection "";'
  fi
  cat > "$d/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  $pool
  server { listen 127.0.0.1:$2; location / { $up } }
}
CONF
  /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" &
  PROXY_PIDS+=($!)
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port)
P2=$(free_port)
proxy ngx_plain "$P1" 0
proxy ngx_pool "$P2" 1
sleep 1

# wrk_row LABEL URL CONC BODY CTYPE: one markdown row (req/s, p50, p99, errors).
wrk_row() {
  local out
  out=$(BODY=$4 CTYPE=$5 wrk -t2 -c"$3" -d"${SECS}s" --latency -s post.lua "$2" 2>&1)
  "$PY" - "$1" "$out" <<'PYEOF'
import re, sys
label, out = sys.argv[1], sys.argv[2]
def ms(s):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
sock = re.search(r"Socket errors: (.*)", out)
print(f"| {label} | {rps:,.0f} | {ms(lat['50']):.2f} | {ms(lat['99']):.2f} | "
      f"{errs.group(1) if errs else 0}{' / ' + sock.group(1) if sock else ''} |")
PYEOF
}

ROW='5.1,3.5,1.4,0.2'
echo
echo "### (a) router overhead: trivial backend, wrk -t2 -c$CONC, ${SECS} s each"
echo
echo "| path | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---|"
wrk_row "backend directly" "http://127.0.0.1:$FAST/invocations" "$CONC" "$ROW" text/csv
wrk_row "nginx proxy (new upstream connection per request)" "http://127.0.0.1:$P1/invocations" "$CONC" "$ROW" text/csv
wrk_row "nginx proxy (upstream keep-alive pool)" "http://127.0.0.1:$P2/invocations" "$CONC" "$ROW" text/csv
wrk_row "mlpc router" "http://127.0.0.1:$ROUTER/endpoints/fast_ep/invocations" "$CONC" "$ROW" text/csv

echo
echo "### (b) the stdlib sklearn server (random forest, 50 trees, iris), wrk -t2 -c8, ${SECS} s each"
echo
echo "| path | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---|"
wrk_row "sklearn server directly" "http://127.0.0.1:$IRIS/invocations" 8 "$ROW" text/csv
wrk_row "through mlpc's router" "http://127.0.0.1:$ROUTER/endpoints/iris_ep/invocations" 8 "$ROW" text/csv

# (c) version 2 of `flaky` fails 30% of its requests; it is deployed by canary under load.
"$MLPC" run bench.mlp --param bad=30 > run2.out 2>&1 || { cat run2.out >&2; exit 1; }
printf '%s\n' "$ROW" > body.csv
LOAD_S=40
"$PY" "$ROOT/bench/serve/load.py" "http://127.0.0.1:$ROUTER/endpoints/flaky_ep/invocations" \
  "$RATE" "$LOAD_S" body.csv text/csv load.json &
LOAD=$!
sleep 5
set +e
"$MLPC" deploy flaky_ep --version 2 > deploy.out 2>&1
DEPLOY_RC=$?
set -e
wait "$LOAD"
"$MLPC" endpoints show flaky_ep --json > show.json 2> /dev/null || true
echo
echo "### (c) canary onto a green fleet failing 30%, ${RATE} requests/s for ${LOAD_S} s"
echo
"$PY" - load.json show.json "$DEPLOY_RC" <<'PYEOF'
import json, sys
load = json.load(open(sys.argv[1]))
recs = load["records"]
bad = [r for r in recs if r["status"] != 200]
ok_rate = len(recs) / load["seconds"]
print("| measure | value |")
print("|---|---:|")
print(f"| requests sent (achieved rate) | {len(recs)} ({ok_rate:.0f}/s) |")
print(f"| `mlpc deploy` exit status (1 = rolled back) | {sys.argv[3]} |")
print(f"| failed requests | {len(bad)} ({100 * len(bad) / max(1, len(recs)):.2f}% of all) |")
if bad:
    print(f"| first failure to last failure | {bad[-1]['t'] - bad[0]['t']:.2f} s |")
lat = sorted(r["ms"] for r in recs)
print(f"| p50 / p99 latency | {lat[len(lat) // 2]:.1f} / {lat[int(len(lat) * 0.99)]:.1f} ms |")
try:
    show = json.load(open(sys.argv[2]))
    dep = show["deployments"][-1]
    print(f"| recorded outcome | {dep.get('status')}: {dep.get('reason', '')} |")
except Exception as e:
    print(f"| recorded outcome | (not read: {e}) |")
PYEOF

# (d) serverless cold starts: each request finds no instance (it scaled to zero after 1 s idle).
COLD=${COLD:-5}
scaled_to_zero() {
  "$MLPC" endpoints --json 2> /dev/null | "$PY" -c 'import json,sys
e=[e for e in json.load(sys.stdin)["endpoints"] if e["name"]=="iris_sl"][0]
sys.exit(0 if e["serverless"]["scaled_to_zero"] or not e["versions"] else 1)'
}
: > cold.txt
for _ in $(seq 1 "$COLD"); do
  for _ in $(seq 1 100); do scaled_to_zero && break; sleep 0.1; done
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST -H 'Content-Type: text/csv' \
    --data "$ROW" "http://127.0.0.1:$ROUTER/endpoints/iris_sl/invocations" >> cold.txt
  sleep 1.5
done
"$MLPC" endpoints show iris_sl --json > cold.json 2> /dev/null || true
echo
echo "### (d) serverless cold start, stdlib sklearn server, $COLD cold starts"
echo
"$PY" - cold.txt cold.json <<'PYEOF'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
client = sorted(float(t) for code, t in rows if code == "200")
agent = sorted(e["detail"]["seconds"] for e in json.load(open(sys.argv[2]))["events"]
               if e["kind"] == "cold_start")
print("| measure | fastest | median | slowest |")
print("|---|---:|---:|---:|")
for label, xs in [("first request, as the client saw it (s)", client),
                  ("cold start recorded by the agent (s)", agent)]:
    if xs:
        print(f"| {label} | {xs[0]:.2f} | {statistics.median(xs):.2f} | {xs[-1]:.2f} |")
print(f"\n{len(client)} of {len(rows)} requests answered 200.")
PYEOF

# (e) autoscaling under a load ramp.
RAMP=${RAMP:-5:15,20:20,40:25,5:45}
"$PY" "$ROOT/bench/serve/load.py" "http://127.0.0.1:$ROUTER/endpoints/iris_auto/invocations" \
  "$RAMP" - body.csv text/csv ramp.json
"$MLPC" endpoints show iris_auto --json > ramp-show.json 2> /dev/null || true
echo
echo "### (e) autoscaling under a load ramp ($RAMP as requests/s:seconds), target 10 requests/s per instance"
echo
"$PY" - ramp.json ramp-show.json <<'PYEOF'
import json, math, sys
load = json.load(open(sys.argv[1]))
events = [e for e in json.load(open(sys.argv[2]))["events"] if e["kind"].startswith("scale")]
w0 = load["wall_start"]
print("| phase | requests/s | instances it calls for | fleet had them after | failed requests |")
print("|---|---:|---:|---:|---:|")
t = 0.0
count = 1
for k, (rate, secs) in enumerate(load["phases"]):
    want = max(1, min(4, math.ceil(rate * 60 / 600 - 1e-9)))
    # The instance count over time from the recorded actions (each ends at `at`).
    reached = None
    n = count
    for e in events:
        at = e["at"] - w0
        if at < t:
            n = e["detail"]["to"]
            continue
        if at > t + secs:
            break
        n = e["detail"]["to"]
        if n == want and reached is None:
            reached = at - t
    if count == want:
        reached = 0.0
    count = n
    failed = sum(1 for r in load["records"] if t <= r["t"] < t + secs and r["status"] != 200)
    sent = sum(1 for r in load["records"] if t <= r["t"] < t + secs)
    got = f"{reached:.1f} s" if reached is not None else f"not within the phase (had {n})"
    print(f"| {k + 1} | {rate:.0f} | {want} | {got} | {failed} of {sent} |")
    t += secs
bad = sum(1 for r in load["records"] if r["status"] != 200)
print(f"\nscaling actions: {len(events)}; failed requests over the whole ramp: {bad} of {len(load['records'])}")
for e in events:
    d = e["detail"]
    print(f"- {e['at'] - w0:6.1f} s  {e['kind']} {d['from']} -> {d['to']} "
          f"({d['invocations_per_minute']:.0f}/min measured, took {d['seconds']:.2f} s)")
PYEOF
