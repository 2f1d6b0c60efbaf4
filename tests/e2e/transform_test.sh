#!/usr/bin/env bash
# transform_test.sh — batch transform is a step like any other (issue 7 item 7): its lineage
# has the model, the data and the server's code as inputs and it appears downstream of the
# model; it is cached under a key over them; `show` lists each shard with its times and status;
# `logs RUN NAME` and `logs RUN NAME#shardI` work with the names the messages use; options:
# JSON Lines data (predictions in the same format) and join_source (input columns first).
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P/steps"
cd "$P" || exit 2
# A small model server following the container contract: the "model" is a number (or `crash`);
# each prediction is the first column times that number.
cat > steps/scale_serve.py <<'EOF'
import csv, io, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
model, port = sys.argv[1], int(sys.argv[2])
factor = open(model).read().strip()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ping" else 404); self.end_headers()
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if factor == "crash":
            sys.stderr.write("scale_serve: cannot predict with a crashed model\n"); sys.exit(3)
        rows = list(csv.reader(io.StringIO(body)))[1:]
        out = "prediction\n" + "".join("%g\n" % (float(r[0]) * float(factor)) for r in rows)
        self.send_response(200); self.send_header("Content-Type", "text/csv"); self.end_headers()
        self.wfile.write(out.encode())
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
printf 'x,y\n1,a\n2,b\n3,c\n4,d\n5,e\n' > rows.csv
printf '{"x": 1, "y": "a"}\n{"x": 2, "y": "b"}\n{"x": 3, "y": "c"}\n' > rows.jsonl
cat > t.mlp <<'EOF'
data rows: Dataset<csv> = file("rows.csv")
data jrows: Dataset<jsonl> = file("rows.jsonl")

step Fit(factor: string) -> Model<scale> {
  run = "echo ${factor} > ${out}"
}

server ScaleServe(model: Model<scale>) {
  code   = ["steps/scale_serve.py"]
  run    = "/usr/bin/python3 steps/scale_serve.py ${model} ${port}"
  health = "/ping"
  invoke = "/invocations"
}

pipeline batch(factor: string = "2", shards: int = 2, join: bool = false) {
  m = Fit(factor = factor)
  _preds = transform(model = m, data = rows, shards = shards, join_source = join)
  _jpreds = transform(model = m, data = jrows, join_source = join)
}
EOF
"$MLPC" check --deny-warnings t.mlp > /dev/null 2>&1
check_eq "the program checks" 0 "$?"

"$MLPC" run t.mlp --workspace ws --json > run1.jsonl 2> err.txt
check_eq "it runs" 0 "$?"
run1=$(run_id_of run1.jsonl)
check_eq "predictions: the first column doubled, in order" "prediction 2 4 6 8 10" \
  "$("$MLPC" cat "$run1:_preds.predictions" --workspace ws | tr '\n' ' ' | sed 's/ $//')"

show=$("$MLPC" show "$run1" --workspace ws 2>&1)
check_contains "show lists shard 0" "_preds#shard0" "$show"
check_contains "show lists shard 1" "_preds#shard1" "$show"
j=$("$MLPC" show "$run1" --workspace ws --json)
check_eq "each shard is an execution that succeeded, with a time" "succeeded succeeded" \
  "$("$PY" -c '
import json,sys
s=[x for x in json.loads(sys.argv[1])["steps"] if x["node"].startswith("_preds#shard")]
print(" ".join(x["status"] for x in s if x["duration_s"] is not None and x["duration_s"] > 0))' "$j")"

lin=$("$MLPC" lineage "$run1:_preds.predictions" --workspace ws 2>&1)
check_contains "lineage: the model is an input" "model:" "$lin"
check_contains "lineage: the data is an input" "data:" "$lin"
check_contains "lineage: the server's code" "code: steps/scale_serve.py" "$lin"
check_contains "lineage: the shard driver's code" "transform_shard.py" "$lin"
down=$("$MLPC" lineage "$run1:m" --downstream --workspace ws 2>&1)
check_contains "the transform is downstream of the model" "used by _preds (transform)" "$down"

logs=$("$MLPC" logs "$run1" _preds --workspace ws 2>&1)
check_eq "logs RUN NAME of a transform" 0 "$?"
check_contains "prints each shard under its name" "==> _preds#shard1 (succeeded) <==" "$logs"
"$MLPC" logs "$run1" '_preds#shard0' --workspace ws > /dev/null 2>&1
check_eq "logs RUN NAME#shard0" 0 "$?"

# Cached under a key over model, data, shards, options and code.
"$MLPC" run t.mlp --workspace ws --json > run2.jsonl 2>&1
check_eq "an unchanged transform is cached" "_jpreds _preds m" "$(events_nodes run2.jsonl cached | tr '\n' ' ' | sed 's/ $//')"
"$MLPC" run t.mlp --workspace ws --param shards=3 --json > run3.jsonl 2>&1
check_contains "another shard count runs again" "preds" "$(events_nodes run3.jsonl succeeded)"
echo "# a comment" >> steps/scale_serve.py
"$MLPC" run t.mlp --workspace ws --json > run4.jsonl 2>&1
check_eq "a changed server code file runs both transforms again" "_jpreds _preds" \
  "$(events_nodes run4.jsonl succeeded | grep preds | tr '\n' ' ' | sed 's/ $//')"
"$MLPC" run t.mlp --workspace ws --param factor=3 --json > run5.jsonl 2>&1
check_contains "another model runs it again" "preds" "$(events_nodes run5.jsonl succeeded)"

# Options: join_source and JSON Lines.
"$MLPC" run t.mlp --workspace ws --param join=true --json > run6.jsonl 2>&1
check_eq "join_source runs" 0 "$?"
run6=$(run_id_of run6.jsonl)
check_eq "join_source: the input's columns first" "x,y,prediction|1,a,2" \
  "$("$MLPC" cat "$run6:_preds.predictions" --workspace ws | head -2 | tr '\n' '|' | sed 's/|$//')"
check_eq "jsonl: predictions are JSON Lines, joined" '{"x": 1, "y": "a", "prediction": 2}' \
  "$("$MLPC" cat "$run6:_jpreds.predictions" --workspace ws | head -1)"
check_eq "jsonl without join: only the predictions" '{"prediction": 6}' \
  "$("$MLPC" cat "$run1:_jpreds.predictions" --workspace ws | sed -n 3p)"

# A shard that fails: the run fails naming the shard and how to see its logs.
out=$("$MLPC" run t.mlp --workspace ws --param factor=crash --param shards=1 2>&1)
check_eq "a crashing server fails the run" 1 "$?"
check_contains "the message names the shard" "transform shard \`_preds#shard0\`" "$out"
check_contains "and its logs command" "mlpc logs r-" "$out"
check_contains "with the server's stderr" "cannot predict with a crashed model" "$out"
runf=$("$MLPC" runs --workspace ws --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
show=$("$MLPC" show "$runf" --workspace ws 2>&1)
check_contains "show: the shard failed" "_preds#shard0   failed" "$show"
check_contains "show: the transform failed, naming the shard" "shard(s) did not succeed: _preds#shard0" "$show"
check_contains "logs of the failed shard" "cannot predict" \
  "$("$MLPC" logs "$runf" '_preds#shard0' --workspace ws --stderr 2>&1)"

# Formats a transform cannot read are a check error.
cat > bad.mlp <<'EOF'
data t: Dataset<tsv> = file("rows.tsv")
step Fit() -> Model<scale> {
  run = "echo 1 > ${out}"
}
server S(model: Model<scale>) {
  run    = "serve ${model} ${port}"
  health = "/ping"
  invoke = "/invocations"
}
pipeline p() {
  _x = transform(model = Fit(), data = t, join_source = 1)
}
EOF
out=$("$MLPC" check bad.mlp 2>&1)
check_eq "tsv data is an error" 1 "$?"
check_contains "naming the formats" "\`transform\` reads \`Dataset<csv>\` or \`Dataset<jsonl>\`, found \`Dataset<tsv>\`" "$out"
check_contains "join_source must be a bool" "join_source" "$out"
finish
