#!/usr/bin/env bash
# deploy_modes_test.sh — the `async` and `serverless` endpoint modes of `mlpc up`, with a real
# stdlib sklearn iris model.
#   async(queue = 3): requests queued durably in the workspace; a full queue answers 503;
#     `mlpc invoke` prints the inference id and `mlpc invoke --result ID` the answer (exit 3 while
#     pending, 1 when the inference failed, 2 for an unknown id); queued requests survive
#     `kill -9` of the agent and are answered after the next `up`; boto3's
#     invoke_endpoint_async works unchanged (InputLocation as file:// and as a relative path).
#     The async endpoint is served by the stdlib sklearn server with a gate: while the file
#     `gate` exists its /invocations waits, so requests stay queued as long as the test wants.
#   serverless(idle = 2s): no server before the first request, a cold start, scale to zero after
#     2 s without requests, a second cold start; no orphan after `down` or `kill -9`.
# Every wait is a poll with a deadline (slow sanitizer builds).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"
need curl

P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
STDLIB_COMMON="${MLP_PATH%%:*}/std/common"
cat > gated_serve.py <<EOF2
# The stdlib sklearn server; /invocations waits while the file "gate" beside this script exists.
import os, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, "$STDLIB_COMMON")
import mlpc_tabular as tab
GATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gate")
plain = tab.Handler.do_POST
def gated(self):
    while os.path.exists(GATE):
        time.sleep(0.05)
    plain(self)
tab.Handler.do_POST = gated
sys.exit(tab.serve_main(sys.argv[1:], "sklearn", tab.load_sklearn_model, "model pickle"))
EOF2
cat > serve.mlp <<'EOF2'
import "std/sklearn"
import "std/data"

server GatedServe(model: Model<sklearn>) {
  code   = ["gated_serve.py"]
  run    = "/usr/bin/python3 gated_serve.py --model ${model} --port ${port}"
  health = "/health"
  invoke = "/invocations"
}

model iris {
  approval = auto
  serve    = sklearn.Serve
}

model iris_gated {
  approval = auto
  serve    = GatedServe
}

pipeline train_iris(trees: int = 5) {
  raw    = data.LoadExample(name = "iris", label = "species")
  split  = data.Split(raw, test_fraction = 0.3, stratify = "species")
  m      = sklearn.Train(data = split.train, label = "species", trees = trees)
  register m in iris
  register m in iris_gated
}

endpoint iris_async {
  model = iris_gated.latest
  mode  = async(queue = 3)
}

endpoint iris_sl {
  model = iris.latest
  mode  = serverless(idle = 2s)
}

endpoint iris_sl1 {
  model = iris_gated.latest
  mode  = serverless(idle = 2s, max_concurrency = 1)
}
EOF2
"$MLPC" run serve.mlp > run.out 2>&1
check_eq "the pipeline registers iris and iris_gated version 1" 0 "$?"

ROW=$'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2'
sl_servers() { pgrep -f "sklearn/serve.py --model $WS" | wc -l; }
gated_servers() { pgrep -f "gated_serve.py --model $WS" | wc -l; }
none_left() { [ "$(pgrep -f "$WS" | wc -l)" = 0 ]; }
agent_pid() { cut -d' ' -f1 "$WS/agent/agent.pid"; }
port() { cat "$WS/agent/agent.port"; }
# result_is ID CODE: `mlpc invoke --result ID` exits CODE.
result_is() {
  "$MLPC" invoke --result "$1" > /dev/null 2>&1
  [ "$?" = "$2" ]
}
status_of() { # METHOD PATH [curl args…]: the HTTP status
  local m=$1 p=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$(port)$p"
}

# ---- up: the async fleet starts, the serverless endpoint starts nothing
out=$("$MLPC" up serve.mlp --detach --port 0 2>&1)
check_eq "up --detach: exit 0" 0 "$?"
check_contains "up: the async endpoint's URL" "/endpoints/iris_async/async-invocations" "$out"
check_eq "async: its server runs" 1 "$(gated_servers)"
check_eq "serverless: no server before the first request" 0 "$(sl_servers)"
st=$("$MLPC" endpoints --json)
check_eq "endpoints: all InService" "InService InService InService" \
  "$(json_get - '" ".join(e["state"] for e in j["endpoints"])' <<< "$st")"
check_eq "endpoints --json: async queue limit 3" 3 \
  "$(json_get - '[e for e in j["endpoints"] if e["name"]=="iris_async"][0]["async"]["queue_limit"]' <<< "$st")"

# ---- serverless: cold start, served, scale to zero, cold start again
out=$("$MLPC" invoke iris_sl --data "$ROW" 2>&1)
check_eq "serverless: the first request is served after a cold start" 0 "$?"
check_contains "serverless: the prediction" "prediction,probability" "$out"
check_eq "serverless: one server after the first request" 1 "$(sl_servers)"
st=$("$MLPC" endpoints --json)
check_eq "serverless: endpoints --json counts one cold start" 1 \
  "$(json_get - '[e for e in j["endpoints"] if e["name"]=="iris_sl"][0]["serverless"]["cold_starts"]' <<< "$st")"
sl_gone() { [ "$(sl_servers)" = 0 ]; }
check "serverless: scaled to zero after 2 s without requests" wait_for sl_gone
out=$("$MLPC" endpoints show iris_sl 2>&1)
check_contains "endpoints show: the cold start time" "cold start: " "$out"
check_contains "endpoints show: the scale to zero" "scaled to zero after 2 s" "$out"
check_contains "endpoints show: the cold start summary" "cold starts: 1, last " "$out"
cold=$("$MLPC" endpoints show iris_sl --json |
  json_get - '[e["detail"]["seconds"] > 0 for e in j["events"] if e["kind"] == "cold_start"]')
check_eq "endpoints show --json: the cold start's seconds" True "$cold"
out=$("$MLPC" invoke iris_sl --data "$ROW" 2>&1)
check_contains "serverless: served again after scaling to zero" "prediction,probability" "$out"
check_contains "endpoints show: a second cold start" "cold starts: 2" \
  "$("$MLPC" endpoints show iris_sl 2>&1)"
check_eq "serverless: async-invocations is refused (400)" 400 \
  "$(status_of POST /endpoints/iris_sl/async-invocations -H 'Content-Type: text/csv' --data-binary 1,2,3,4)"

# ---- async: answered, failed, bad input
id=$("$MLPC" invoke iris_async --data "$ROW" 2> err.txt)
check_eq "async invoke: exit 0" 0 "$?"
check_contains "async invoke: says how to fetch the result" "mlpc invoke --result $id" "$(cat err.txt)"
check "async: the result arrives" wait_for result_is "$id" 0
out=$("$MLPC" invoke --result "$id" 2>&1)
check_contains "invoke --result: the prediction" $'prediction,probability\n0,1' "$out"
out=$(curl -s "http://127.0.0.1:$(port)/mlpc/async/results/$id")
check_contains "GET of the output location: the prediction" "prediction,probability" "$out"
bad=$("$MLPC" invoke iris_async --data "not,a,csv" 2> /dev/null)
check "async: a bad request fails" wait_for result_is "$bad" 1
out=$("$MLPC" invoke --result "$bad" 2>&1)
check_contains "invoke --result of a failed inference: the server's error" "answered 400" "$out"
check_contains "invoke --result of a failed inference: its body" "lacks feature column" "$out"
check_eq "GET of the failure location: 200" 200 "$(status_of GET "/mlpc/async/failures/$bad")"
check_eq "GET of the output location of a failed inference: 404" 404 \
  "$(status_of GET "/mlpc/async/results/$bad")"
out=$("$MLPC" invoke --result no-such-id 2>&1)
check_eq "invoke --result of an unknown id: exit 2" 2 "$?"
check_contains "invoke --result of an unknown id: says so" "no async inference \`no-such-id\`" "$out"
check_eq "invoke on an async endpoint via /invocations: 400" 400 \
  "$(status_of POST /endpoints/iris_async/invocations -H 'Content-Type: text/csv' --data-binary 1,2,3,4)"
check_eq "async: unknown endpoint 404" 404 \
  "$(status_of POST /endpoints/nope/async-invocations -H 'Content-Type: text/csv' --data-binary 1)"
check_eq "async: no payload 400" 400 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H 'Content-Length: 0')"
check_eq "async: an s3:// InputLocation 400" 400 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H 'Content-Length: 0' \
    -H 'X-Amzn-SageMaker-InputLocation: s3://bucket/key')"
check_eq "async: a missing input file 400" 400 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H 'Content-Length: 0' \
    -H 'X-Amzn-SageMaker-InputLocation: file:///no/such/file')"
check_eq "async: a bad InferenceId 400" 400 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H 'X-Amzn-SageMaker-Inference-Id: ../x' \
    --data-binary 1)"
check_eq "async: a used InferenceId 400" 400 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H "X-Amzn-SageMaker-Inference-Id: $id" \
    --data-binary 1)"

# ---- boto3 invoke_endpoint_async, unchanged
printf '%s\n' "$ROW" > in.csv
if "$PY" -c 'import boto3' 2> /dev/null; then
  cat > client.py <<'EOF2'
import sys, time, urllib.error, urllib.request
import boto3
from botocore.exceptions import ClientError
rt = boto3.client("sagemaker-runtime", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="dummy")
def fetch(url):
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            return urllib.request.urlopen(url).read().decode().strip().replace("\n", "|")
        except urllib.error.HTTPError as e:
            if e.code != 404:
                return "error %d" % e.code
        time.sleep(0.1)
    return "timeout"
for name, loc in [("uri", "file://" + sys.argv[2]), ("relative", "in.csv")]:
    r = rt.invoke_endpoint_async(EndpointName="iris_async", ContentType="text/csv",
                                 InputLocation=loc)
    print(name + "-status", r["ResponseMetadata"]["HTTPStatusCode"])
    print(name + "-id", bool(r["InferenceId"]))
    print(name + "-output", fetch(r["OutputLocation"]))
r = rt.invoke_endpoint_async(EndpointName="iris_async", ContentType="text/csv",
                             InputLocation="in.csv", InferenceId="my-id-1")
print("own-id", r["InferenceId"])
try:
    rt.invoke_endpoint_async(EndpointName="nope", InputLocation="in.csv")
except ClientError as e:
    print("unknown-code", e.response["Error"]["Code"])
try:
    rt.invoke_endpoint(EndpointName="iris_async", ContentType="text/csv", Body=b"1,2,3,4")
except ClientError as e:
    print("sync-code", e.response["Error"]["Code"])
EOF2
  out=$("$PY" client.py "http://127.0.0.1:$(port)" "$P/in.csv" 2>&1)
  check_contains "boto3 invoke_endpoint_async (file:// URI): 202" "uri-status 202" "$out"
  check_contains "boto3 invoke_endpoint_async: an InferenceId" "uri-id True" "$out"
  check_contains "boto3: the OutputLocation holds the prediction" "uri-output prediction,probability|0,1" "$out"
  check_contains "boto3 invoke_endpoint_async (relative path): the prediction" \
    "relative-output prediction,probability|0,1" "$out"
  check_contains "boto3: the caller's InferenceId is kept" "own-id my-id-1" "$out"
  check_contains "boto3: an unknown async endpoint is a ValidationError" "unknown-code ValidationError" "$out"
  check_contains "boto3: invoke_endpoint on an async endpoint is a ValidationError" \
    "sync-code ValidationError" "$out"
  check "boto3: my-id-1 answered" wait_for result_is my-id-1 0
else
  echo "# skipped the boto3 checks: needs python3-boto3"
fi

# ---- serverless max_concurrency = 1: a second request at once gets 429
touch gate
curl -s -o sl1.out -w '%{http_code}' -X POST -H 'Content-Type: text/csv' --data-binary "$ROW" \
  "http://127.0.0.1:$(port)/endpoints/iris_sl1/invocations" > sl1.code &
first=$!
sl1_up() { [ "$(gated_servers)" = 2 ]; }
check "max_concurrency: the first request cold-starts a server" wait_for sl1_up
out=$(curl -s -i -X POST -H 'Content-Type: text/csv' --data-binary "$ROW" \
  "http://127.0.0.1:$(port)/endpoints/iris_sl1/invocations")
check_contains "max_concurrency = 1: a second request at once gets 429" "HTTP/1.1 429" "$out"
check_contains "max_concurrency: a ThrottlingException" "ThrottlingException" "$out"
rm -f gate
wait "$first"
check_eq "max_concurrency: the first request is answered" 200 "$(cat sl1.code)"
check_contains "max_concurrency: its prediction" "prediction,probability" "$(cat sl1.out)"

# ---- async durability: queued while the server is held, kill -9, up again
touch gate
ids=()
for i in 1 2 3; do
  ids+=("$("$MLPC" invoke iris_async --data "$ROW" 2> /dev/null)")
done
check_eq "queue: three requests accepted" 3 "$(printf '%s\n' "${ids[@]}" | grep -c .)"
out=$("$MLPC" invoke iris_async --data "$ROW" 2>&1)
check_eq "queue full: mlpc invoke exits 1" 1 "$?"
check_contains "queue full: 503 and why" "answered 503: the queue of endpoint iris_async is full" "$out"
check_eq "queue full: 503 through HTTP" 503 \
  "$(status_of POST /endpoints/iris_async/async-invocations -H 'Content-Type: text/csv' --data-binary "$ROW")"
out=$("$MLPC" invoke --result "${ids[0]}" 2>&1)
check_eq "invoke --result while pending: exit 3" 3 "$?"
check_contains "invoke --result while pending: says so" "is pending" "$out"
check_eq "GET of the output location while pending: 404" 404 \
  "$(status_of GET "/mlpc/async/results/${ids[0]}")"
kill -9 "$(agent_pid)"
check "kill -9 of the agent: no orphan server" wait_for none_left
check_eq "after kill -9: three requests in the queue on disk" 3 \
  "$(find "$WS/async/queue/iris_async" -name '*.json' | wc -l)"
check "invoke --result without an agent: still pending (exit 3)" result_is "${ids[1]}" 3
rm -f gate
out=$("$MLPC" up serve.mlp --detach --port 0 2>&1)
check_eq "up again after kill -9: exit 0" 0 "$?"
for i in 0 1 2; do
  check "after kill -9 and up: queued request $((i + 1)) answered" wait_for result_is "${ids[$i]}" 0
done
out=$("$MLPC" invoke --result "${ids[2]}" 2>&1)
check_contains "after kill -9 and up: the prediction" "prediction,probability" "$out"
check_eq "the queue is empty" 0 "$(find "$WS/async/queue" -type f | wc -l)"

# ---- malformed, truncated and abandoned requests on the async route
out=$("$PY" "$E2E_DIR/deploy_badhttp.py" "$(port)" /endpoints/iris_async/async-invocations 2>&1)
check_eq "bad HTTP on async-invocations: 300 connections" 300 "$out"
check_eq "after bad HTTP: the router answers /ping" 200 "$(status_of GET /ping)"
submit() { id=$("$MLPC" invoke iris_async --data "$ROW" 2> /dev/null); } # retried: the
# queue may still hold requests the bad ones made
check "after bad HTTP: an async request is accepted" wait_for submit
check "after bad HTTP: an async request is answered" wait_for result_is "$id" 0

# ---- down while an async request is held by its server: it stays queued for the next up
touch gate
check "down with a held request: accepted" wait_for submit
held=$id
sleep 0.5 # the worker sends it to the (held) server
"$MLPC" down > down.out 2>&1
check_eq "down with a held request: exit 0" 0 "$?"
check "down with a held request: no server left" wait_for none_left
check "down with a held request: still pending" result_is "$held" 3
rm -f gate
"$MLPC" up serve.mlp --detach --port 0 > /dev/null 2>&1
check "up after down: the held request is answered" wait_for result_is "$held" 0

# ---- serverless after kill -9, and down
"$MLPC" invoke iris_sl --data "$ROW" > /dev/null 2>&1
check_eq "serverless: cold start after up again" 1 "$(sl_servers)"
"$MLPC" down > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
check "down: no server left" wait_for none_left
"$MLPC" up serve.mlp --detach --port 0 > /dev/null 2>&1
"$MLPC" invoke iris_sl --data "$ROW" > /dev/null 2>&1
check_eq "serverless: served after up" 1 "$(sl_servers)"
kill -9 "$(agent_pid)"
check "kill -9 of the agent with a serverless instance up: no orphan" wait_for none_left
finish
