#!/usr/bin/env bash
# data_params_test.sh — pipeline parameters of artifact types (issue 7, item 4).
#
# A `Dataset<csv>`, `File` or `Dir` parameter is bound to a path (`--param raw=PATH`, or a
# `file("…")`/`dir("…")` default) whose bytes the run hashes like a `data` declaration: a changed
# file re-runs what reads it, the same bytes are cached, the run's params and the reader's lineage
# show the hash, and a missing path or one of the wrong kind is an error naming the parameter
# before any step runs. A `string` parameter that names a file is only a string: W003 says so.
source "$(dirname "$0")/lib.sh" "$@"
need sha256sum

P=$T/proj
mkdir -p "$P/data/images" "$T/elsewhere"
cd "$P" || exit 2
OLD=@1600000000 # an mtime well in the past: a hash taken now is remembered (not "racy")
printf 'id,x\n1,10\n2,20\n' > data/raw.csv
printf 'id,x\n1,10\n2,20\n3,30\n4,40\n' > "$T/elsewhere/other.csv"
printf 'a' > data/images/a.txt
touch -d "$OLD" data/raw.csv "$T/elsewhere/other.csv" data/images/a.txt

cat > p.mlp <<'EOF'
step Count(raw: Dataset<csv>) -> (n: File) {
  run = "wc -l < ${raw} > ${n}"
}

step List(d: Dir) -> (listing: File) {
  run = "ls ${d} > ${listing}"
}

step Head(f: File) -> (h: File) {
  run = "head -c 3 ${f} > ${h}"
}

pipeline rows(raw: Dataset<csv> = file("data/raw.csv")) {
  n = Count(raw)
}

pipeline listing(d: Dir = dir("data/images")) {
  l = List(d)
}

pipeline head(f: File) {
  h = Head(f)
}

step Fit(raw: Dataset<csv>) -> (m: Model<sklearn>) {
  run = "sha256sum < ${raw} > ${m}"
}

model fitted {
  approval = auto
}

pipeline fit(raw: Dataset<csv> = file("data/raw.csv")) {
  m = Fit(raw)
  register m in fitted
}
EOF

run_json() { # OUT ARGS...: `mlpc run --json`, events in OUT; returns mlpc's exit code
  local out=$1
  shift
  "$MLPC" run p.mlp --json "$@" > "$out" 2> "$out.err"
}
ran() { events_nodes "$1" succeeded; }
cached() { events_nodes "$1" cached; }

# --- the default file("…"): hashed, run, then cached
run_json "$T/r1" -p rows
check_eq "default file(): the run succeeds" 0 "$?"
check_eq "default file(): Count ran" "n" "$(ran "$T/r1")"
R1=$(run_id_of "$T/r1")
"$MLPC" show "$R1" --json > "$T/show1.json"
check_eq "show records the param as the file's hash" \
  "$(sha256sum < data/raw.csv | cut -d' ' -f1)" "$(json_get "$T/show1.json" 'j["params"]["raw"]["$artifact"]')"
lin=$("$MLPC" lineage "$R1:n.n" 2>&1)
check_contains "lineage of Count's output shows the file's hash" \
  "$(sha256sum < data/raw.csv | cut -c1-12)" "$lin"

run_json "$T/r2" -p rows
check_eq "same bytes: Count is cached" "n" "$(cached "$T/r2")"
check_eq "same bytes: nothing ran" "" "$(ran "$T/r2")"

# --- changed bytes re-run the reader; `mlpc plan` predicts it
printf 'id,x\n1,10\n2,20\n3,30\n' > data/raw.csv
touch -d "$OLD" data/raw.csv
plan=$("$MLPC" plan p.mlp -p rows 2>&1)
check_contains "plan: a changed default file would re-run Count" "would run" "$plan"
check_contains "plan: 1 would run" "1 would run" "$plan"
check_contains "plan: names the parameter as the changed input" 'input `raw` changed' "$plan"
run_json "$T/r3" -p rows
check_eq "changed bytes: Count ran again" "n" "$(ran "$T/r3")"
R3=$(run_id_of "$T/r3")
"$MLPC" show "$R3" --json > "$T/show3.json"
check_eq "the new hash is recorded" \
  "$(sha256sum < data/raw.csv | cut -d' ' -f1)" "$(json_get "$T/show3.json" 'j["params"]["raw"]["$artifact"]')"

# --- --param with a csv path, relative to the current directory
(cd "$T/elsewhere" && "$MLPC" run "$P/p.mlp" --json -p rows --param raw=other.csv > "$T/r4" 2> "$T/r4.err")
check_eq "--param raw=other.csv: the run succeeds" 0 "$?"
check_eq "--param raw=other.csv: Count ran" "n" "$(ran "$T/r4")"
R4=$(run_id_of "$T/r4")
"$MLPC" show "$R4" --json > "$T/show4.json"
check_eq "--param: the param is the given file's hash" \
  "$(sha256sum < "$T/elsewhere/other.csv" | cut -d' ' -f1)" "$(json_get "$T/show4.json" 'j["params"]["raw"]["$artifact"]')"
run_json "$T/r5" -p rows --param "raw=$T/elsewhere/other.csv"
check_eq "--param, same bytes by an absolute path: cached" "n" "$(cached "$T/r5")"
cp "$T/elsewhere/other.csv" "$T/elsewhere/copy.csv"
run_json "$T/r6" -p rows --param "raw=$T/elsewhere/copy.csv"
check_eq "--param, a copy with the same bytes under another name: cached" "n" "$(cached "$T/r6")"

# --- a compiled plan takes --param paths too
"$MLPC" compile p.mlp -p rows -o "$T/rows.plan.json" > /dev/null 2>&1
check_eq "compile: a file() default compiles" 0 "$?"
check_eq "plan format: the default is a source relative to the base" \
  'file data/raw.csv' "$(json_get "$T/rows.plan.json" 'j["pipeline"]["params"][0]["value"]["source"] + " " + j["pipeline"]["params"][0]["value"]["path"]')"
"$MLPC" run "$T/rows.plan.json" --json --param "raw=$T/elsewhere/other.csv" > "$T/r7" 2> "$T/r7.err"
check_eq "a compiled plan with --param raw=…: cached by bytes" "n" "$(cached "$T/r7")"

# --- a hand-edited plan whose artifact parameter is not a path: an error, not a crash
for v in '"data/raw.csv"' '{"source": "file", "path": 5}' '{"$artifact": "'"$(printf '0%.0s' {1..64})"'"}'; do
  "$PY" - "$T/rows.plan.json" "$T/edited.json" "$v" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["pipeline"]["params"][0]["value"] = json.loads(sys.argv[3])
json.dump(j, open(sys.argv[2], "w"))
PYEOF
  out=$("$MLPC" run "$T/edited.json" 2>&1)
  check_eq "a plan with raw = $v: exit 2" 2 "$?"
  check_contains "a plan with raw = $v: names the parameter" 'parameter `raw`' "$out"
  check_not_contains "a plan with raw = $v: no internal exception text" "exception" "$out"
done
out=$("$MLPC" run p.mlp -p rows --param raw= 2>&1)
check_eq "an empty path: exit 2" 2 "$?"
check_contains "an empty path: E032 says so" 'error[E032]: --param raw: a `Dataset<csv>` parameter takes a path, got an empty one' "$out"

# --- a missing path: an error naming the parameter, before any step runs
runs_before=$("$MLPC" runs --json 2>/dev/null | json_get - 'len(j)')
out=$("$MLPC" run p.mlp -p rows --param raw=nope.csv 2>&1)
check_eq "missing file: exit 2" 2 "$?"
check_contains "missing file: names the parameter" 'parameter `raw` not found' "$out"
check_contains "missing file: names the path" "$P/nope.csv" "$out"
check_not_contains "missing file: no step ran" "Count" "$out"
check_eq "missing file: no run is recorded" "$runs_before" "$("$MLPC" runs --json 2>/dev/null | json_get - 'len(j)')"
out=$("$MLPC" plan p.mlp -p rows --param raw=nope.csv 2>&1)
check_eq "missing file, plan: exit 2" 2 "$?"
check_contains "missing file, plan: names the parameter" 'parameter `raw` not found' "$out"

# --- a Dir parameter: hashed as a tree
run_json "$T/d1" -p listing
check_eq "Dir default dir(): List ran" "l" "$(ran "$T/d1")"
run_json "$T/d2" -p listing
check_eq "Dir, same tree: cached" "l" "$(cached "$T/d2")"
printf 'b' > data/images/b.txt
run_json "$T/d3" -p listing
check_eq "Dir, a file added: List ran again" "l" "$(ran "$T/d3")"
D3=$(run_id_of "$T/d3")
check_eq "Dir: the param is recorded as a dir artifact" dir \
  "$("$MLPC" show "$D3" --json | json_get - 'j["params"]["d"]["kind"]')"
run_json "$T/d4" -p listing --param d=data/images
check_eq "Dir, --param naming the same tree: cached" "l" "$(cached "$T/d4")"

# A Dataset may be a directory of parts, as `data … = dir(…)` may: hashed as a tree.
out=$("$MLPC" plan p.mlp -p rows --param raw=data/images 2>&1)
check_eq "a directory for a Dataset param: accepted (plan exits 0)" 0 "$?"

# --- the wrong kind
out=$("$MLPC" run p.mlp -p listing --param d=data/raw.csv 2>&1)
check_eq "a file for a Dir: exit 2" 2 "$?"
check_contains "a file for a Dir: says so, naming the parameter" \
  'parameter `d` is a `Dir`, but '"$P"'/data/raw.csv is not a directory' "$out"
out=$("$MLPC" run p.mlp -p head --param f=data/images 2>&1)
check_eq "a directory for a File: exit 2" 2 "$?"
check_contains "a directory for a File: says so, naming the parameter" \
  'parameter `f` is a `File`, but '"$P"'/data/images is a directory' "$out"
out=$("$MLPC" run p.mlp -p head 2>&1)
check_eq "a File param without default or --param: exit 2" 2 "$?"
check_contains "a File param without default: E032 asks for --param" 'pass --param f=' "$out"
run_json "$T/h1" -p head --param f=data/raw.csv
check_eq "a File param given a file: Head ran" "h" "$(ran "$T/h1")"

# --- reproduce binds the recorded bytes, not today's file
run_json "$T/f1" -p fit
check_eq "fit: registers fitted@1" 0 "$?"
printf 'id,x\n9,90\n' > data/raw.csv
out=$("$MLPC" reproduce fitted@1 2>&1)
check_eq "reproduce after the file changed: exit 0 (the recorded bytes were used)" 0 "$?"
check_contains "reproduce: the model matches" "matches" "$out"
check_not_contains "reproduce: nothing DIFFERENT" "DIFFERENT" "$out"

# --- checker: where file(…) defaults are allowed
cat > bad.mlp <<'EOF'
step S(x: string = file("data/raw.csv")) -> (o: File) {
  run = "echo ${x} > ${o}"
}

pipeline q(s: string = file("data/raw.csv"), m: Model<sklearn> = dir("data/images")) {
  o = S(x = s)
}
EOF
out=$("$MLPC" check bad.mlp 2>&1)
check_eq "check: bad file() defaults fail" 1 "$?"
check_contains "a step param cannot default to a file" "a step parameter cannot default to a file" "$out"
check_contains "a string pipeline param cannot default to file()" '`s` is `string`, so its default cannot be a file' "$out"
check_contains "dir() for a Model is refused as for data" '`dir(…)` gives a directory, but `m` is `Model<sklearn>`' "$out"

# --- W003: a string naming a file is not hashed
cat > w.mlp <<'EOF'
step Read(path: string) -> (o: File) {
  run = "cat ${path} > ${o}"
}

pipeline w(path: string = "data/raw.csv") {
  o = Read(path = path)
}
EOF
out=$("$MLPC" check w.mlp 2>&1)
check_contains "W003 when a string param naming a file reaches run" "warning[W003]" "$out"
check_contains "W003 says to use an artifact type" "Dataset" "$out"
sed -i 's#data/raw.csv#data/absent.csv#' w.mlp
out=$("$MLPC" check w.mlp 2>&1)
check_not_contains "no W003 when the string names no file" "W003" "$out"

finish
