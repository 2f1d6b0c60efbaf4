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
assert sorted(m) == ["accuracy","auc","f1","precision","recall","rows"], sorted(m)
assert m["rows"] == 114 and isinstance(m["rows"], int)
for k in ("accuracy","auc","f1","precision","recall"):
    assert isinstance(m[k], float) and 0 <= m[k] <= 1, (k, m[k])
assert m["auc"] > 0.9, m
' "$est.json"
done
pyassert "model pickle bundle structure" '
import pickle, sys
b = pickle.load(open(sys.argv[1], "rb"))
assert b["format"] == "mlpc-sklearn-model" and b["version"] == 1, b
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
assert all(round(v, 6) == v for k, v in m.items() if k != "rows")
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
pyassert "GET /health body" 'import json,sys; assert json.load(open(sys.argv[1])) == {"status": "ok"}' health.json
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

# --- error cases -------------------------------------------------------------------
check_err "train: missing label column" "not found" "$PY" "$TRAIN" --data train.csv --label nope --estimator random_forest --trees 5 --seed 1 --out e.pkl
check "train: no output on error" test ! -e e.pkl
check_err "train: missing data file" "not found" "$PY" "$TRAIN" --data missing.csv --label target --out e.pkl
printf 'a,city,y\n1,paris,0\n2,rome,1\n3,oslo,0\n' > strcol.csv
check_err "train: non-numeric feature names the column" "'city'" "$PY" "$TRAIN" --data strcol.csv --label y --out e.pkl
: > empty.csv
check_err "train: empty data" "empty" "$PY" "$TRAIN" --data empty.csv --label target --out e.pkl
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
