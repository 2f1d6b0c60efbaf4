#!/usr/bin/env bash
# End-to-end tests for the Python side of the mlpc standard library.
# Usage: tests/stdlib/run_stdlib_tests.sh [STDLIB_DIR]   (default: <repo>/stdlib)
# Uses Debian's /usr/bin/python3 (needs numpy, pandas, sklearn); no network.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STDLIB=$(cd "${1:-$REPO/stdlib}" && pwd)
STD=$STDLIB/std
PREPARE=$REPO/examples/churn/steps/prepare.py
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-stdlib-test.XXXXXX")
# Every request has a deadline: a server that stops answering fails the check that talks to it,
# instead of holding the whole test until ctest's timeout (seen once in a parallel run).
curl() { command curl --max-time 30 "$@"; }
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# check DESC CMD...: CMD must exit 0
check() {
    local desc=$1; shift
    if "$@" >"$WORK/last.out" 2>"$WORK/last.err"; then
        ok "$desc"
    else
        bad "$desc (exit $?)"
        sed 's/^/    | /' "$WORK/last.out" "$WORK/last.err" | tail -n 20
    fi
}

# check_err DESC PATTERN CMD...: CMD must exit 2, mention PATTERN on stderr, no traceback
check_err() {
    local desc=$1 pattern=$2; shift 2
    local rc=0
    "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
    if [ "$rc" -eq 2 ] && grep -qi -- "$pattern" "$WORK/last.err" \
        && ! grep -q "Traceback" "$WORK/last.err"; then
        ok "$desc"
    else
        bad "$desc (exit $rc, wanted 2 and /$pattern/ without traceback)"
        sed 's/^/    | /' "$WORK/last.err" | tail -n 20
    fi
}

# pyassert DESC CODE ARGS...: run python CODE (sys.argv[1:] = ARGS), must exit 0
pyassert() {
    local desc=$1 code=$2; shift 2
    check "$desc" "$PY" -c "$code" "$@"
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_closed() {
    "$PY" -c 'import socket,sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close(); sys.exit(1)
except OSError: sys.exit(0)' "$1"
}

cd "$WORK"
TRAIN=$STD/sklearn/train.py
EVAL=$STD/sklearn/evaluate.py
SERVE=$STD/sklearn/serve.py
TSHARD=$STD/sklearn/transform_shard.py
SPLIT=$STD/data/split.py
PROFILE=$STD/data/profile.py
LOAD=$STD/data/load_example.py
XTRAIN=$STD/xgboost/train.py
XEVAL=$STD/xgboost/evaluate.py
XSERVE=$STD/xgboost/serve.py
ESTIMATORS="random_forest extra_trees gradient_boosting decision_tree logistic_regression"

echo "# stdlib: $STDLIB  work: $WORK"

# --- --help and executability ---------------------------------------------
for s in "$TRAIN" "$EVAL" "$SERVE" "$TSHARD" "$SPLIT" "$PROFILE" "$LOAD" "$PREPARE"; do
    check "$(basename "$s") --help" "$PY" "$s" --help
    check "$(basename "$s") is executable" test -x "$s"
done

# --- load_example ------------------------------------------------------------
check "load_example breast_cancer" "$PY" "$LOAD" --name breast_cancer --label target --out bc.csv
pyassert "breast_cancer csv: 569 rows, 31 cols, sanitised names" '
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1])))
h = rows[0]
assert len(rows) == 570 and len(h) == 31, (len(rows), len(h))
assert h[-1] == "target" and h[0] == "mean_radius", h[:2]
assert all(re.fullmatch("[a-z0-9_]+", c) for c in h), h
' bc.csv
check "load_example iris --rows 0" "$PY" "$LOAD" --name iris --label species --out iris.csv
pyassert "iris csv: sanitised '(cm)' names" '
import sys; h = open(sys.argv[1]).readline().strip().split(",")
assert h == ["sepal_length_cm","sepal_width_cm","petal_length_cm","petal_width_cm","species"], h
' iris.csv
check "load_example --rows 25" "$PY" "$LOAD" --name wine --label y --rows 25 --out wine25.csv
pyassert "wine --rows 25 keeps 25 rows" 'import sys; assert sum(1 for _ in open(sys.argv[1])) == 26' wine25.csv

# --- split -------------------------------------------------------------------
check "split stratified" "$PY" "$SPLIT" --data bc.csv --test-fraction 0.2 --seed 7 --stratify target --train train.csv --test test.csv
pyassert "split sizes 455/114, all rows kept, stratified" '
import sys, pandas as pd
a, b, full = (pd.read_csv(p) for p in sys.argv[1:4])
assert (len(a), len(b)) == (455, 114), (len(a), len(b))
assert sorted(map(tuple, pd.concat([a, b]).round(6).values.tolist())) == sorted(map(tuple, full.round(6).values.tolist()))
assert abs(a.target.mean() - b.target.mean()) < 0.02
' train.csv test.csv bc.csv
check "split again (same seed)" "$PY" "$SPLIT" --data bc.csv --test-fraction 0.2 --seed 7 --stratify target --train train2.csv --test test2.csv
check "split deterministic (train)" cmp train.csv train2.csv
check "split deterministic (test)" cmp test.csv test2.csv
check "split without stratify (--stratify '')" "$PY" "$SPLIT" --data bc.csv --test-fraction 0.5 --seed 1 --stratify '' --train ns_tr.csv --test ns_te.csv

# --- train + evaluate every estimator ------------------------------------------
for est in $ESTIMATORS; do
    check "train $est" "$PY" "$TRAIN" --data train.csv --label target --estimator "$est" \
        --trees 50 --max-depth 0 --learning-rate 0.1 --c 1.0 --seed 42 --out "$est.pkl"
    check "evaluate $est" "$PY" "$EVAL" --model "$est.pkl" --data test.csv --label target --out "$est.json"
    pyassert "metrics $est: keys, ranges, auc > 0.9" '
import json, sys
m = json.load(open(sys.argv[1]))
assert sorted(m) == ["accuracy","auc","error_std","f1","mae","mse","precision","r2","recall","rmse","rows"], sorted(m)
assert m["rows"] == 114 and isinstance(m["rows"], int)
for k in ("accuracy","auc","f1","precision","recall"):
    assert isinstance(m[k], float) and 0 <= m[k] <= 1, (k, m[k])
for k in ("mse","rmse","mae","r2","error_std"):
    assert m[k] is None, (k, m[k])
assert m["auc"] > 0.9, m
' "$est.json"
done
pyassert "model pickle bundle structure" '
import pickle, sys
b = pickle.load(open(sys.argv[1], "rb"))
assert b["format"] == "mlpc-sklearn-model" and b["version"] == 1 and b["task"] == "classification", b
assert b["label"] == "target" and len(b["features"]) == 30 and "target" not in b["features"]
assert b["classes"] == [0, 1], b["classes"]
assert b["params"]["estimator"] == "random_forest" and b["params"]["trees"] == 50
assert len(b["estimator"].estimators_) == 50
' random_forest.pkl
pyassert "logistic_regression is a StandardScaler pipeline" '
import pickle, sys
b = pickle.load(open(sys.argv[1], "rb"))
assert [n for n, _ in b["estimator"].steps] == ["scale", "clf"], b["estimator"]
assert b["estimator"].steps[1][1].n_iter_[0] < b["estimator"].steps[1][1].max_iter
' logistic_regression.pkl
pyassert "metrics json is sorted with 6-decimal rounding" '
import json, sys
t = open(sys.argv[1]).read(); m = json.loads(t)
assert t == json.dumps(m, sort_keys=True, indent=2) + "\n"
assert all(round(v, 6) == v for k, v in m.items() if k != "rows" and v is not None)
' random_forest.json

# --- determinism of training ----------------------------------------------------
for est in random_forest gradient_boosting logistic_regression; do
    check "train $est again (same seed)" "$PY" "$TRAIN" --data train.csv --label target --estimator "$est" \
        --trees 50 --max-depth 0 --learning-rate 0.1 --c 1.0 --seed 42 --out "$est.again.pkl"
    check "train $est deterministic (cmp pickles)" cmp "$est.pkl" "$est.again.pkl"
done

# --- multi-class ---------------------------------------------------------------
check "split iris" "$PY" "$SPLIT" --data iris.csv --test-fraction 0.3 --seed 3 --stratify species --train iris_tr.csv --test iris_te.csv
check "train iris (multi-class)" "$PY" "$TRAIN" --data iris_tr.csv --label species --estimator random_forest --trees 30 --seed 1 --out iris.pkl
check "evaluate iris" "$PY" "$EVAL" --model iris.pkl --data iris_te.csv --label species --out iris.json
pyassert "iris metrics: macro / ovr auc > 0.9" '
import json, sys
m = json.load(open(sys.argv[1])); assert m["rows"] == 45 and m["auc"] > 0.9 and m["f1"] > 0.8, m
' iris.json

# --- profile ---------------------------------------------------------------------
check "profile breast_cancer" "$PY" "$PROFILE" --data bc.csv --out stats.json
pyassert "profile statistics.json structure" '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == 0.0 and s["dataset"]["item_count"] == 569
fs = {f["name"]: f for f in s["features"]}
assert len(fs) == 31 and fs["target"]["inferred_type"] == "Integral"
assert fs["mean_radius"]["inferred_type"] == "Fractional"
for f in s["features"]:
    ns = f["numerical_statistics"]
    assert ns["common"] == {"num_present": 569, "num_missing": 0}, ns["common"]
    for k in ("mean", "sum", "std_dev", "min", "max"):
        assert isinstance(ns[k], float), (f["name"], k)
    assert ns["min"] <= ns["mean"] <= ns["max"]
    kll = ns["distribution"]["kll"]
    assert len(kll["buckets"]) == 10 and sum(b["count"] for b in kll["buckets"]) == 569
    assert kll["buckets"][0]["lower_bound"] == ns["min"] and kll["buckets"][-1]["upper_bound"] == ns["max"]
    assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
    q = kll["sketch"]["data"][0]
    assert len(q) == 9 and q == sorted(q) and q[0] == ns["min"] and q[-1] == ns["max"]
' stats.json
printf 'city,n,x\nparis,1,0.5\nrome,,1.5\nparis,3,\n,4,2.5\n' > mixed.csv
check "profile mixed types" "$PY" "$PROFILE" --data mixed.csv --out mixed.json
pyassert "profile String/Integral/missing counts" '
import json, sys
s = json.load(open(sys.argv[1])); fs = {f["name"]: f for f in s["features"]}
c = fs["city"]; assert c["inferred_type"] == "String"
ss = c["string_statistics"]
assert ss["common"] == {"num_present": 3, "num_missing": 1} and ss["distinct_count"] == 2
assert ss["distribution"]["categorical"]["buckets"] == [{"value": "paris", "count": 2}, {"value": "rome", "count": 1}]
assert fs["n"]["inferred_type"] == "Integral" and fs["n"]["numerical_statistics"]["common"]["num_missing"] == 1
assert fs["x"]["inferred_type"] == "Fractional" and fs["x"]["numerical_statistics"]["sum"] == 4.5
' mixed.json
check "profile again" "$PY" "$PROFILE" --data bc.csv --out stats2.json
check "profile deterministic" cmp stats.json stats2.json

# --- serve -----------------------------------------------------------------------
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$PY" "$SERVE" --model random_forest.pkl --port "$PORT" 2>serve.log &
SERVER_PID=$!
healthy=0
for _ in $(seq 1 100); do
    if curl --noproxy '*' -sf "$URL/health" >health.json 2>/dev/null; then healthy=1; break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
check "serve becomes healthy" test "$healthy" = 1
pyassert "GET /health body: status, the model's features in order, its label" 'import json,sys; h = json.load(open(sys.argv[1])); assert h["status"] == "ok" and h["label"] == "target" and len(h["features"]) == 30 and h["features"][0] == "mean_radius", h' health.json
check "POST CSV with header (label ignored)" curl --noproxy '*' -sf -X POST -H 'Content-Type: text/csv' \
    --data-binary @test.csv -o pred.csv "$URL/invocations"
pyassert "CSV predictions: header + 114 rows, probabilities in [0,1]" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["prediction", "probability"], rows[0]
assert len(rows) == 115, len(rows)
assert all(r[0] in ("0", "1") and 0 <= float(r[1]) <= 1 for r in rows[1:])
' pred.csv
"$PY" -c '
import pandas as pd, sys
df = pd.read_csv(sys.argv[1]).drop(columns=["target"]).head(7)
df.to_csv(sys.argv[2], index=False, header=False, float_format="%.10g")
df.sample(frac=1, axis=1, random_state=0).to_csv(sys.argv[3], index=False, float_format="%.10g")
import json
json.dump({"instances": df.values.tolist()}, open(sys.argv[4], "w"))
json.dump({"instances": df.to_dict(orient="records")}, open(sys.argv[5], "w"))
' test.csv nohdr.csv shuffled.csv inst_list.json inst_dict.json
check "POST CSV without header" curl --noproxy '*' -sf -X POST -H 'Content-Type: text/csv' \
    --data-binary @nohdr.csv -o pred_nohdr.csv "$URL/invocations"
check "POST CSV with shuffled header columns" curl --noproxy '*' -sf -X POST -H 'Content-Type: text/csv' \
    --data-binary @shuffled.csv -o pred_shuf.csv "$URL/invocations"
pyassert "headerless/shuffled CSV == first 7 rows of full CSV" '
import sys
a = open(sys.argv[1]).read().splitlines()
assert a == open(sys.argv[2]).read().splitlines() == open(sys.argv[3]).read().splitlines()[:8], a
assert len(a) == 8
' pred_nohdr.csv pred_shuf.csv pred.csv
check "POST JSON list instances" curl --noproxy '*' -sf -X POST -H 'Content-Type: application/json' \
    --data-binary @inst_list.json -o pred_list.json "$URL/invocations"
check "POST JSON dict instances" curl --noproxy '*' -sf -X POST -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary @inst_dict.json -o pred_dict.json "$URL/invocations"
pyassert "JSON predictions count = 7 and agree with CSV" '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a == b and sorted(a) == ["predictions", "probabilities"], a
assert len(a["predictions"]) == 7 and len(a["probabilities"]) == 7
csvp = [l.split(",")[0] for l in open(sys.argv[3]).read().splitlines()[1:]]
assert [str(p) for p in a["predictions"]] == csvp, (a, csvp)
' pred_list.json pred_dict.json pred_nohdr.csv
http_code() { curl --noproxy '*' -s -o "$WORK/resp.body" -w '%{http_code}' "$@" || true; }
check "POST invalid JSON -> 400" test "$(http_code -X POST -H 'Content-Type: application/json' --data-binary '{"instances": [' "$URL/invocations")" = 400
pyassert "400 body is a JSON error" 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' "$WORK/resp.body"
check "POST wrong feature count -> 400" test "$(http_code -X POST -H 'Content-Type: text/csv' --data-binary $'1,2,3\n' "$URL/invocations")" = 400
check "POST non-numeric value -> 400" test "$(http_code -X POST -H 'Content-Type: application/json' --data-binary '{"instances": [["a"]]}' "$URL/invocations")" = 400
check "POST empty body -> 400" test "$(http_code -X POST -H 'Content-Type: text/csv' --data-binary '' "$URL/invocations")" = 400
check "unknown path -> 404" test "$(http_code "$URL/nope")" = 404
check "server still healthy after bad requests" curl --noproxy '*' -sf "$URL/health"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && { echo "# serve ignored SIGTERM for 10 s"; kill -KILL "$SERVER_PID"; }
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=""
check "serve exits 0 on SIGTERM" test "$rc" = 0
check "serve port released" port_closed "$PORT"
check "serve logged requests to stderr" grep -q "POST /invocations" serve.log
# A SIGTERM that lands while the server hands a connection to its thread (socketserver's
# process_request, where any Exception is caught and printed) still stops it. The signal is sent
# from inside process_request, so the test does not depend on timing.
cat > "$WORK/stop_in_request.py" <<'EOF'
import os, signal, socket, sys, threading, urllib.request
sys.dont_write_bytecode = True  # nothing may be written into the stdlib (e2e_examples checks)
sys.path.insert(0, sys.argv[1])
import mlpc_tabular as tab


class Stub:
    features = ["x"]
    task = "regression"
    classes = []


handed = tab._Server.process_request


def process_request(self, request, address):
    os.kill(os.getpid(), signal.SIGTERM)
    return handed(self, request, address)


tab._Server.process_request = process_request
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()


def ask():
    for _ in range(200):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1)
            return
        except OSError:
            threading.Event().wait(0.05)


threading.Thread(target=ask, daemon=True).start()
sys.exit(tab.serve(Stub(), "127.0.0.1", port, "a stub"))
EOF
check "serve stops on a SIGTERM that lands while it hands a request to its thread" \
    timeout 20 "$PY" -B "$WORK/stop_in_request.py" "$STDLIB/std/common"

# --- transform_shard ------------------------------------------------------------
PORT2=$(free_port)
SERVER_CMD="$(printf '%q ' "$PY" "$SERVE" --model "$WORK/random_forest.pkl" --port "$PORT2")"
check "transform_shard end to end (3 batches)" "$PY" "$TSHARD" --server-cmd "$SERVER_CMD" --port "$PORT2" \
    --health /health --invoke /invocations --data test.csv --out transformed.csv --batch 40 --startup-timeout 30
check "transform_shard stopped the server" port_closed "$PORT2"
check "transform output == direct CSV predictions (one header)" cmp transformed.csv pred.csv
pyassert "transform accuracy matches evaluate" '
import json, sys, pandas as pd
p = pd.read_csv(sys.argv[1]); t = pd.read_csv(sys.argv[2]); m = json.load(open(sys.argv[3]))
assert round(float((p.prediction == t.target).mean()), 6) == m["accuracy"], m
' transformed.csv test.csv random_forest.json
check "transform_shard again (default batch)" "$PY" "$TSHARD" --server-cmd "$SERVER_CMD" --port "$PORT2" \
    --health /health --invoke /invocations --data test.csv --out transformed2.csv
check "transform_shard deterministic" cmp transformed.csv transformed2.csv
rc=0; "$PY" "$TSHARD" --server-cmd 'exit 3' --port "$PORT2" --health /health --invoke /invocations \
    --data test.csv --out never.csv >/dev/null 2>ts_err.log || rc=$?
check "transform_shard fails when server exits" test "$rc" -ne 0
check "  ... with a clear message and no output" sh -c "grep -q 'exited with status 3' ts_err.log && ! grep -q Traceback ts_err.log && test ! -e never.csv"
rc=0; "$PY" "$TSHARD" --server-cmd "echo \$\$ > $WORK/hang.pid; exec sleep 30" --port "$PORT2" --health /health \
    --invoke /invocations --data test.csv --out never.csv --startup-timeout 1 >/dev/null 2>ts_err2.log || rc=$?
check "transform_shard times out on unhealthy server" sh -c "test $rc -ne 0 && grep -q 'not healthy' ts_err2.log"
check "  ... and kills the hung server" sh -c "! kill -0 \$(cat $WORK/hang.pid) 2>/dev/null"
check_err "transform_shard missing --data" "not found" "$PY" "$TSHARD" --server-cmd true --port "$PORT2" \
    --health /health --invoke /invocations --data nope.csv --out x.csv

# --- churn example prepare step ---------------------------------------------------
"$PY" -c '
import pandas as pd, sys
df = pd.read_csv(sys.argv[1]).rename(columns={"target": "churn"})
df.loc[[3, 10, 50], "mean_radius"] = float("nan")
df.to_csv(sys.argv[2], index=False, float_format="%.10g")
' bc.csv churn.csv
check "prepare.py" "$PY" "$PREPARE" --in churn.csv --test-fraction 0.25 --seed 5 --train p_tr.csv --test p_te.csv
check "prepare.py again" "$PY" "$PREPARE" --in churn.csv --test-fraction 0.25 --seed 5 --train p_tr2.csv --test p_te2.csv --label churn
check "prepare.py deterministic" sh -c "cmp p_tr.csv p_tr2.csv && cmp p_te.csv p_te2.csv"
pyassert "prepare.py dropped 3 NaN rows and split 566 rows" '
import sys, pandas as pd
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
assert len(a) + len(b) == 566 and not a.isna().any().any() and not b.isna().any().any(), (len(a), len(b))
' p_tr.csv p_te.csv
check_err "prepare.py missing label" "not found" "$PY" "$PREPARE" --in churn.csv --test-fraction 0.25 --seed 5 --train a.csv --test b.csv --label nope

# --- servers: start one, wait until healthy; stop it -------------------------------
# start_server LOG CMD...: sets SERVER_PID and URL
start_server() {
    local log=$1; shift
    local port; port=$(free_port)
    URL=http://127.0.0.1:$port
    "$@" --port "$port" 2>"$log" &
    SERVER_PID=$!
    local healthy=0
    for _ in $(seq 1 150); do
        if curl --noproxy '*' -sf "$URL/health" >/dev/null 2>&1; then healthy=1; break; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    [ "$healthy" = 1 ]
}
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
    local rc=0; wait "$SERVER_PID" || rc=$?
    SERVER_PID=""
    return $rc
}
post_csv()  { curl --noproxy '*' -sf -X POST -H 'Content-Type: text/csv' --data-binary "@$1" -o "$2" "$URL/invocations"; }
post_json() { curl --noproxy '*' -sf -X POST -H 'Content-Type: application/json' --data-binary "@$1" -o "$2" "$URL/invocations"; }

# Independent recomputation of the metrics from a model's own predictions (sklearn.metrics and
# numpy, not the stdlib's code): MODEL_KIND PATH DATA LABEL METRICS_JSON
RECOMPUTE='
import json, pickle, sys
import numpy as np, pandas as pd
from sklearn import metrics as M
kind, path, data, label, mpath = sys.argv[1:6]
df = pd.read_csv(data); y = df[label].to_numpy(); m = json.load(open(mpath))
if kind == "sklearn":
    b = pickle.load(open(path, "rb")); X = df[b["features"]].to_numpy(float)
    task = b["task"]; est = b["estimator"]
    pred = est.predict(X); proba = est.predict_proba(X) if task == "classification" else None
    classes = list(est.classes_) if task == "classification" else None
else:
    import xgboost as xgb
    b = json.load(open(path)); task = b["task"]; X = df[b["features"]].to_numpy(float)
    bst = xgb.Booster(); bst.load_model(bytearray(json.dumps(b["booster"]).encode()))
    out = bst.predict(xgb.DMatrix(X), validate_features=False)
    if task == "regression":
        pred, proba, classes = out, None, None
    else:
        classes = b["classes"]
        proba = np.column_stack([1 - out, out]) if out.ndim == 1 else out
        pred = np.array([classes[i] for i in proba.argmax(axis=1)])
close = lambda a, b: abs(a - b) <= 2e-6 * max(1.0, abs(b))
assert m["rows"] == len(y)
if task == "regression":
    err = y - pred
    want = {"mse": M.mean_squared_error(y, pred), "rmse": M.mean_squared_error(y, pred) ** 0.5,
            "mae": M.mean_absolute_error(y, pred), "r2": M.r2_score(y, pred),
            "error_std": float(np.std(err))}
    nulls = ("accuracy", "auc", "precision", "recall", "f1")
else:
    avg = "binary" if len(classes) == 2 else "macro"
    kw = {"pos_label": classes[-1]} if avg == "binary" else {}
    want = {"accuracy": M.accuracy_score(y, pred),
            "precision": M.precision_score(y, pred, average=avg, zero_division=0, **kw),
            "recall": M.recall_score(y, pred, average=avg, zero_division=0, **kw),
            "f1": M.f1_score(y, pred, average=avg, zero_division=0, **kw),
            "auc": M.roc_auc_score(y == classes[-1], proba[:, 1]) if avg == "binary"
                   else M.roc_auc_score(y, proba, multi_class="ovr", average="macro")}
    nulls = ("mse", "rmse", "mae", "r2", "error_std")
for k, v in want.items():
    assert close(m[k], float(v)), (k, m[k], float(v))
for k in nulls:
    assert m[k] is None, (k, m[k])
'

# --- regression with std/sklearn ---------------------------------------------------
printf 'a,y\n1,x\n2,z\n3,x\n' > strlabel.csv
REG_ESTIMATORS="random_forest extra_trees gradient_boosting decision_tree ridge"
check "load_example diabetes" "$PY" "$LOAD" --name diabetes --label y --out diab.csv
check "split diabetes" "$PY" "$SPLIT" --data diab.csv --test-fraction 0.25 --seed 1 --train d_tr.csv --test d_te.csv
for est in $REG_ESTIMATORS; do
    check "train regressor $est" "$PY" "$TRAIN" --data d_tr.csv --label y --task regression \
        --estimator "$est" --trees 50 --max-depth 4 --seed 3 --out "r_$est.pkl"
    check "evaluate regressor $est" "$PY" "$EVAL" --model "r_$est.pkl" --data d_te.csv --label y --out "r_$est.json"
    pyassert "regression metrics $est = sklearn.metrics on its predictions" "$RECOMPUTE" sklearn "r_$est.pkl" d_te.csv y "r_$est.json"
    pyassert "regression metrics $est: sane (rmse = sqrt(mse), mae <= rmse, beats the mean)" '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["rows"] == 111 and abs(m["rmse"] - m["mse"] ** 0.5) < 1e-5 * m["rmse"], m
assert 0 < m["mae"] <= m["rmse"] and 0 < m["error_std"] <= m["rmse"] + 1e-6, m
assert 0.05 < m["r2"] < 1, m
' "r_$est.json"
done
pyassert "ridge regressor r2 > 0.35 on diabetes" 'import json,sys; m = json.load(open(sys.argv[1])); assert m["r2"] > 0.35, m' r_ridge.json
pyassert "regressor bundle: task, no classes" '
import pickle, sys
b = pickle.load(open(sys.argv[1], "rb"))
assert b["format"] == "mlpc-sklearn-model" and b["version"] == 1 and b["task"] == "regression", b
assert "classes" not in b and b["label"] == "y" and len(b["features"]) == 10
assert type(b["estimator"]).__name__ == "RandomForestRegressor", b["estimator"]
' r_random_forest.pkl
check "train regressor again (same seed)" "$PY" "$TRAIN" --data d_tr.csv --label y --task regression \
    --estimator random_forest --trees 50 --max-depth 4 --seed 3 --out r_again.pkl
check "train regressor deterministic (cmp pickles)" cmp r_random_forest.pkl r_again.pkl

# --- multi-class: macro averages, checked against sklearn.metrics ------------------
check "load_example wine" "$PY" "$LOAD" --name wine --label cultivar --out wine.csv
check "split wine (stratified)" "$PY" "$SPLIT" --data wine.csv --test-fraction 0.3 --seed 1 --stratify cultivar --train w_tr.csv --test w_te.csv
check "train wine classifier (sklearn)" "$PY" "$TRAIN" --data w_tr.csv --label cultivar --estimator logistic_regression --seed 1 --out w_sk.pkl
check "evaluate wine classifier (sklearn)" "$PY" "$EVAL" --model w_sk.pkl --data w_te.csv --label cultivar --out w_sk.json
pyassert "wine metrics (sklearn) = macro averages, ovr macro auc" "$RECOMPUTE" sklearn w_sk.pkl w_te.csv cultivar w_sk.json
pyassert "wine classifier (sklearn) is accurate" 'import json,sys; m=json.load(open(sys.argv[1])); assert m["accuracy"] > 0.9 and m["f1"] > 0.9, m' w_sk.json

# --- std/xgboost -----------------------------------------------------------------------
if "$PY" -c 'import xgboost' 2>/dev/null; then
for s in "$XTRAIN" "$XEVAL" "$XSERVE"; do
    check "xgboost/$(basename "$s") --help" "$PY" "$s" --help
    check "xgboost/$(basename "$s") is executable" test -x "$s"
done
check "xgboost train regressor" "$PY" "$XTRAIN" --data d_tr.csv --label y --task regression --rounds 50 \
    --max-depth 3 --eta 0.1 --gamma 0 --min-child-weight 1 --subsample 0.8 --colsample-bytree 1 --seed 1 --out x_reg.json
check "xgboost evaluate regressor" "$PY" "$XEVAL" --model x_reg.json --data d_te.csv --label y --out x_reg.m.json
pyassert "xgboost regression metrics = sklearn.metrics on the booster's predictions" "$RECOMPUTE" xgboost x_reg.json d_te.csv y x_reg.m.json
pyassert "xgboost regressor beats the mean (r2 > 0.25)" 'import json,sys; m=json.load(open(sys.argv[1])); assert 0.25 < m["r2"] < 1 and m["rows"] == 111, m' x_reg.m.json
pyassert "xgboost model file: documented structure" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "mlpc-xgboost-model" and d["version"] == 1 and d["task"] == "regression", d.keys()
assert d["label"] == "y" and len(d["features"]) == 10 and "classes" not in d
assert d["params"]["objective"] == "reg:squarederror" and d["params"]["rounds"] == 50
assert "learner" in d["booster"], d["booster"].keys()
' x_reg.json
check "xgboost train regressor again" "$PY" "$XTRAIN" --data d_tr.csv --label y --task regression --rounds 50 \
    --max-depth 3 --eta 0.1 --subsample 0.8 --seed 1 --out x_reg2.json
check "xgboost training is deterministic (cmp)" cmp x_reg.json x_reg2.json
check "xgboost train binary classifier" "$PY" "$XTRAIN" --data train.csv --label target --rounds 30 --max-depth 3 --out x_bin.json
check "xgboost evaluate binary classifier" "$PY" "$XEVAL" --model x_bin.json --data test.csv --label target --out x_bin.m.json
pyassert "xgboost binary metrics = sklearn.metrics" "$RECOMPUTE" xgboost x_bin.json test.csv target x_bin.m.json
pyassert "xgboost binary classifier: auc > 0.95" 'import json,sys; m=json.load(open(sys.argv[1])); assert m["auc"] > 0.95 and m["rows"] == 114, m' x_bin.m.json
check "xgboost train multi-class (wine)" "$PY" "$XTRAIN" --data w_tr.csv --label cultivar --task classification --rounds 30 --max-depth 3 --out x_wine.json
check "xgboost evaluate multi-class (wine)" "$PY" "$XEVAL" --model x_wine.json --data w_te.csv --label cultivar --out x_wine.m.json
pyassert "xgboost wine metrics = macro averages, ovr macro auc" "$RECOMPUTE" xgboost x_wine.json w_te.csv cultivar x_wine.m.json
pyassert "xgboost wine: classes, multi:softprob, accurate" '
import json, sys
d = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))
assert d["classes"] == [0, 1, 2] and d["params"]["objective"] == "multi:softprob", d["params"]
assert m["accuracy"] > 0.85 and m["f1"] > 0.85 and m["auc"] > 0.95, m
' x_wine.json x_wine.m.json

check "xgboost serve regressor becomes healthy" start_server x_serve.log "$PY" "$XSERVE" --model x_reg.json
check "xgboost regressor: POST CSV with header (label ignored)" post_csv d_te.csv x_reg.pred.csv
pyassert "xgboost regressor answers one prediction column; its mse is Evaluate's" '
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1]))); m = json.load(open(sys.argv[3]))
assert rows[0] == ["prediction"] and len(rows) == 112, rows[:2]
import pandas as pd
y = pd.read_csv(sys.argv[2])["y"].to_numpy(); p = [float(r[0]) for r in rows[1:]]
mse = sum((a - b) ** 2 for a, b in zip(y, p)) / len(y)
assert abs(mse - m["mse"]) < 1e-3, (mse, m["mse"])
' x_reg.pred.csv d_te.csv x_reg.m.json
"$PY" -c '
import json, sys, pandas as pd
df = pd.read_csv(sys.argv[1]).drop(columns=["y"]).head(5)
json.dump({"instances": df.to_dict(orient="records")}, open(sys.argv[2], "w"))
' d_te.csv d_inst.json
check "xgboost regressor: POST JSON instances" post_json d_inst.json x_reg.pred.json
pyassert "JSON answer: predictions only, equal to the CSV answer" '
import json, sys
a = json.load(open(sys.argv[1])); c = [float(l) for l in open(sys.argv[2]).read().split()[1:6]]
assert sorted(a) == ["predictions"] and len(a["predictions"]) == 5, a
assert all(abs(x - y) < 1e-4 * max(1, abs(y)) for x, y in zip(a["predictions"], c)), (a, c)
' x_reg.pred.json x_reg.pred.csv
check "xgboost regressor: bad row -> 400" test "$(http_code -X POST -H 'Content-Type: text/csv' --data-binary $'1,2\n' "$URL/invocations")" = 400
check "xgboost serve exits 0 on SIGTERM" stop_server

check "xgboost serve classifier (wine) becomes healthy" start_server x_serve2.log "$PY" "$XSERVE" --model x_wine.json
check "xgboost classifier: POST CSV" post_csv w_te.csv x_wine.pred.csv
pyassert "xgboost classifier answers prediction,probability; accuracy is Evaluate's" '
import csv, json, sys, pandas as pd
rows = list(csv.reader(open(sys.argv[1]))); m = json.load(open(sys.argv[3]))
assert rows[0] == ["prediction", "probability"] and len(rows) == 55, rows[:2]
y = pd.read_csv(sys.argv[2])["cultivar"].tolist()
assert all(r[0] in ("0", "1", "2") and 1 / 3 <= float(r[1]) <= 1 for r in rows[1:]), rows[:5]
acc = sum(int(r[0]) == t for r, t in zip(rows[1:], y)) / len(y)
assert round(acc, 6) == m["accuracy"], (acc, m)
' x_wine.pred.csv w_te.csv x_wine.m.json
check "xgboost serve (classifier) exits 0 on SIGTERM" stop_server

check "sklearn serve regressor becomes healthy" start_server r_serve.log "$PY" "$SERVE" --model r_ridge.pkl
check "sklearn regressor: POST CSV" post_csv d_te.csv r_ridge.pred.csv
pyassert "sklearn regressor answers one prediction column; its mse is Evaluate's" '
import csv, json, sys, pandas as pd
rows = list(csv.reader(open(sys.argv[1]))); m = json.load(open(sys.argv[3]))
assert rows[0] == ["prediction"] and len(rows) == 112, rows[:2]
y = pd.read_csv(sys.argv[2])["y"].to_numpy(); p = [float(r[0]) for r in rows[1:]]
mse = sum((a - b) ** 2 for a, b in zip(y, p)) / len(y)
assert abs(mse - m["mse"]) < 1e-3, (mse, m["mse"])
' r_ridge.pred.csv d_te.csv r_ridge.json
check "sklearn regressor: POST JSON instances" post_json d_inst.json r_ridge.pred.json
pyassert "sklearn regressor JSON answer has no probabilities" 'import json,sys; a=json.load(open(sys.argv[1])); assert sorted(a) == ["predictions"] and len(a["predictions"]) == 5, a' r_ridge.pred.json
check "sklearn serve (regressor) exits 0 on SIGTERM" stop_server

PORT3=$(free_port)
XSERVER_CMD="$(printf '%q ' "$PY" "$XSERVE" --model "$WORK/x_reg.json" --port "$PORT3")"
check "transform_shard through the xgboost server (3 batches)" "$PY" "$TSHARD" --server-cmd "$XSERVER_CMD" --port "$PORT3" \
    --health /health --invoke /invocations --data d_te.csv --out x_transformed.csv --batch 40 --startup-timeout 60
check "xgboost transform output == direct CSV predictions" cmp x_transformed.csv x_reg.pred.csv

# A model made by the user's own training step, written as docs/stdlib.md describes.
"$PY" -c '
import json, pickle, sys
import pandas as pd, xgboost as xgb
from sklearn.neighbors import KNeighborsRegressor
df = pd.read_csv(sys.argv[1]); feats = [c for c in df.columns if c != "y"]
est = KNeighborsRegressor(n_neighbors=7).fit(df[feats].to_numpy(float), df["y"])
pickle.dump({"format": "mlpc-sklearn-model", "version": 1, "task": "regression",
             "estimator": est, "features": feats, "label": "y"}, open(sys.argv[2], "wb"))
bst = xgb.train({"objective": "reg:squarederror", "max_depth": 2, "nthread": 1},
                xgb.DMatrix(df[feats], label=df["y"]), num_boost_round=20)
json.dump({"format": "mlpc-xgboost-model", "version": 1, "task": "regression",
           "features": feats, "label": "y",
           "booster": json.loads(bytes(bst.save_raw(raw_format="json")))}, open(sys.argv[3], "w"))
' d_tr.csv own.pkl own.json
check "evaluate accepts a user-made sklearn bundle" "$PY" "$EVAL" --model own.pkl --data d_te.csv --label y --out own.pkl.m.json
pyassert "user-made sklearn bundle metrics = sklearn.metrics" "$RECOMPUTE" sklearn own.pkl d_te.csv y own.pkl.m.json
check "xgboost evaluate accepts a user-made model (booster with feature names)" "$PY" "$XEVAL" --model own.json --data d_te.csv --label y --out own.json.m.json
pyassert "user-made xgboost model metrics = sklearn.metrics" "$RECOMPUTE" xgboost own.json d_te.csv y own.json.m.json
check "xgboost serve accepts a user-made model" start_server own_serve.log "$PY" "$XSERVE" --model own.json
check "user-made xgboost model answers a CSV" post_csv d_te.csv own.pred.csv
check "  ... with 111 predictions" test "$(wc -l < own.pred.csv)" = 112
check "xgboost serve (user model) exits 0 on SIGTERM" stop_server

check_err "xgboost train: --task bogus" "invalid choice" "$PY" "$XTRAIN" --data d_tr.csv --label y --task bogus --out e.json
check_err "xgboost train: --subsample 0" "(0, 1\]" "$PY" "$XTRAIN" --data d_tr.csv --label y --subsample 0 --out e.json
check_err "xgboost train: regression on a non-numeric label" "not numeric" "$PY" "$XTRAIN" --data strlabel.csv --label y --task regression --out e.json
check "xgboost train: no output on error" test ! -e e.json
check_err "xgboost evaluate: an sklearn pickle is not an xgboost model" "cannot load" "$PY" "$XEVAL" --model r_ridge.pkl --data d_te.csv --label y --out e.json
check_err "xgboost evaluate: a foreign JSON file" "not an mlpc xgboost model" "$PY" "$XEVAL" --model x_reg.m.json --data d_te.csv --label y --out e.json
check_err "sklearn evaluate: an xgboost model is not an sklearn bundle" "cannot load" "$PY" "$EVAL" --model x_reg.json --data d_te.csv --label y --out e.json
"$PY" -c 'import pandas as pd, sys; d = pd.read_csv(sys.argv[1]); d["cultivar"] += 5; d.to_csv(sys.argv[2], index=False)' w_te.csv w_shifted.csv
check_err "xgboost evaluate: label values unseen in training" "not seen in training" "$PY" "$XEVAL" --model x_wine.json --data w_shifted.csv --label cultivar --out e.json
check_err "xgboost serve: missing model" "not found" "$PY" "$XSERVE" --model nope.json --port 1
else
    echo "# skipped std/xgboost: $PY cannot import xgboost (apt install python3-xgboost)"
fi

# --- error cases -------------------------------------------------------------------
check_err "train: missing label column" "not found" "$PY" "$TRAIN" --data train.csv --label nope --estimator random_forest --trees 5 --seed 1 --out e.pkl
check "train: no output on error" test ! -e e.pkl
check_err "train: missing data file" "not found" "$PY" "$TRAIN" --data missing.csv --label target --out e.pkl
printf 'a,city,y\n1,paris,0\n2,rome,1\n3,oslo,0\n' > strcol.csv
check_err "train: non-numeric feature names the column" "'city'" "$PY" "$TRAIN" --data strcol.csv --label y --out e.pkl
: > empty.csv
check_err "train: empty data" "empty" "$PY" "$TRAIN" --data empty.csv --label target --out e.pkl
check_err "train: regression on a non-numeric label" "not numeric" "$PY" "$TRAIN" --data strlabel.csv --label y --task regression --out e.pkl
check_err "train: unknown task" "invalid choice" "$PY" "$TRAIN" --data train.csv --label target --task ranking --out e.pkl
check_err "train: ridge is not a classification estimator" "not a classification estimator" "$PY" "$TRAIN" --data train.csv --label target --estimator ridge --out e.pkl
check_err "train: logistic_regression is not a regression estimator" "not a regression estimator" "$PY" "$TRAIN" --data d_tr.csv --label y --task regression --estimator logistic_regression --out e.pkl
check_err "evaluate: regressor on a non-numeric label" "not numeric" "$PY" "$EVAL" --model r_ridge.pkl --data strlabel.csv --label y --out e.json
check_err "train: unknown estimator" "invalid choice" "$PY" "$TRAIN" --data train.csv --label target --estimator svm --out e.pkl
check_err "evaluate: missing label column" "not found" "$PY" "$EVAL" --model random_forest.pkl --data test.csv --label nope --out e.json
check_err "evaluate: not a model" "not an mlpc\|cannot load" "$PY" "$EVAL" --model test.csv --data test.csv --label target --out e.json
check_err "load_example: unknown dataset lists valid names" "breast_cancer, diabetes, digits, iris, wine" "$PY" "$LOAD" --name titanic --label y --out e.csv
check_err "split: fraction 1.5" "between 0 and 1" "$PY" "$SPLIT" --data bc.csv --test-fraction 1.5 --seed 1 --train a.csv --test b.csv
check_err "split: fraction 0" "between 0 and 1" "$PY" "$SPLIT" --data bc.csv --test-fraction 0 --seed 1 --train a.csv --test b.csv
check_err "split: unknown stratify column" "not found" "$PY" "$SPLIT" --data bc.csv --test-fraction 0.2 --seed 1 --stratify nope --train a.csv --test b.csv
check_err "split: empty data" "empty" "$PY" "$SPLIT" --data empty.csv --test-fraction 0.2 --seed 1 --train a.csv --test b.csv
check_err "profile: missing file" "not found" "$PY" "$PROFILE" --data nope.csv --out e.json
check_err "serve: missing model" "not found" "$PY" "$SERVE" --model nope.pkl --port "$PORT"

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
