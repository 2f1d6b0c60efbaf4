#!/usr/bin/env bash
# bad_output_test.sh — steps that misbehave, and what the user is told:
#   * exit 0 without writing an output; Metrics that is not JSON, not an object, lacks a declared
#     field or has a field of the wrong type; a Dataset<csv> that is empty or whose first row
#     holds only numbers — each fails the step with a message naming the output and the .mlp line;
#   * a step exiting 3 shows the tail of its stderr, and `mlpc logs` prints it all;
#   * a timeout kills the step's whole process group (a `sleep 100 &` grandchild too);
#   * an unwritable workspace gives a clear error;
#   * an output that cannot be moved into the store fails its step, naming it, and loses nothing.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > bad.mlp <<'EOF'
step NoWrite(_i: int) -> (result: File) {
  run = "true"
}

step WriteMetrics(text: string) -> (scores: Metrics{auc: float}) {
  run = "printf '%s' ${text} > ${scores}"
}

step EmptyCsv(_i: int) -> (table: Dataset<csv>) {
  run = ": > ${table}"
}

step NumericCsv(_i: int) -> (table: Dataset<csv>) {
  run = "printf '1.5,2,3\\n4,5,6\\n' > ${table}"
}

step GoodCsv(_i: int) -> (table: Dataset<csv>) {
  run = "printf 'x1,2,y\\n4,5,6\\n' > ${table}"
}

step Exit3(_i: int) -> File {
  run = "for i in 1 2 3 4 5 6 7 8 9 10; do echo stderr-line-$i >&2; done; echo some stdout; exit 3"
}

step Hang(pidfile: string) -> File {
  timeout = 1s
  run     = "sleep 100 & echo $! > ${pidfile}; wait"
}

step Hello(i: int) -> File {
  run = "echo hello ${i} > ${out}"
}

pipeline nowrite() {
  r = NoWrite(1)
}

pipeline notjson() {
  m = WriteMetrics("this is not json")
}

pipeline notobject() {
  m = WriteMetrics("[1, 2, 3]")
}

pipeline nofield() {
  m = WriteMetrics("{\"accuracy\": 0.9}")
}

pipeline wrongtype() {
  m = WriteMetrics("{\"auc\": \"high\"}")
}

pipeline emptycsv() {
  t = EmptyCsv(1)
}

pipeline numericcsv() {
  t = NumericCsv(1)
}

pipeline goodcsv() {
  t = GoodCsv(1)
}

pipeline exit3() {
  e = Exit3(1)
}

pipeline hang(pidfile: string = "") {
  h = Hang(pidfile)
}

pipeline hello(i: int = 1) {
  h = Hello(i)
}
EOF

# line_of PIPELINE NODE: the line of the node's binding inside the pipeline.
line_of() {
  awk -v p="pipeline $1(" -v n="  $2 = " 'index($0, p) == 1 { inp = 1 }
    inp && index($0, n) == 1 { print NR; exit }' bad.mlp
}

# expect_failure PIPELINE NODE TEXT...: the run fails (exit 1) and its error names the node's
# .mlp line and each TEXT.
expect_failure() {
  local pipeline=$1 node=$2
  shift 2
  "$MLPC" run bad.mlp --pipeline "$pipeline" > "$T/$pipeline.out" 2>&1
  local rc=$?
  check_eq "$pipeline: the run fails with exit 1" 1 "$rc"
  local out
  out=$(cat "$T/$pipeline.out")
  check_contains "$pipeline: the error points at the .mlp line" "bad.mlp:$(line_of "$pipeline" "$node"):" "$out"
  for text in "$@"; do
    check_contains "$pipeline: the error says [$text]" "$text" "$out"
  done
  RUN=$(sed -n 's/^details: mlpc show //p' "$T/$pipeline.out")
}

expect_failure nowrite r "did not write its output \`result\`"
expect_failure notjson m "output \`scores\` (Metrics) is not valid JSON"
expect_failure notobject m "output \`scores\` (Metrics) must be a JSON object"
expect_failure nofield m "output \`scores\` (Metrics) has no field \`auc\`"
expect_failure wrongtype m "field \`auc\` should be float" '"high"'
expect_failure emptycsv t "output \`table\` (Dataset<csv>) has no header row"
expect_failure numericcsv t "has no header row: its first row holds only numbers (1.5,2,3)"
"$MLPC" run bad.mlp --pipeline goodcsv > "$T/goodcsv.out" 2>&1
check_eq "a header with some numeric names is still a header" 0 "$?"
"$MLPC" show "$RUN" --json > "$T/show.json"
check_eq "a bad output is recorded as a failed execution" failed \
  "$(json_get "$T/show.json" '[s["status"] for s in j["steps"] if s["node"] == "t"][0]')"

expect_failure exit3 e "exited with code 3" "stderr-line-10" "mlpc logs"
check_not_contains "exit3: only the tail of stderr is shown" "stderr-line-2" "$(cat "$T/exit3.out")"
logs=$("$MLPC" logs "$RUN" e 2>&1)
check_eq "mlpc logs exits 0" 0 "$?"
check_contains "mlpc logs prints all of stderr" "stderr-line-1
stderr-line-2" "$logs"
check_contains "mlpc logs prints stdout" "some stdout" "$logs"
logs=$("$MLPC" logs "$RUN" ee 2>&1)
check_eq "mlpc logs of an unknown step exits 2" 2 "$?"
check_contains "mlpc logs of an unknown step suggests one" "did you mean \`e\`" "$logs"

# A timeout kills the process group: the backgrounded grandchild dies with the step.
PIDFILE=$T/grandchild.pid
"$MLPC" run bad.mlp --pipeline hang --param "pidfile=$PIDFILE" > "$T/hang.out" 2>&1
check_eq "timeout: the run fails with exit 1" 1 "$?"
check_contains "timeout: the error says it timed out" "timed out after 1s" "$(cat "$T/hang.out")"
RUN=$(sed -n 's/^details: mlpc show //p' "$T/hang.out")
"$MLPC" show "$RUN" --json > "$T/show.json"
check_eq "timeout: the step is recorded as timed_out" timed_out \
  "$(json_get "$T/show.json" '[s["status"] for s in j["steps"] if s["node"] == "h"][0]')"
gc=$(cat "$PIDFILE" 2>/dev/null)
alive() { # a zombie counts as gone
  [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
for _ in $(seq 50); do alive "$gc" || break; sleep 0.1; done
if [ -n "$gc" ] && ! alive "$gc"; then
  ok "timeout: the sleep 100 grandchild ($gc) is gone"
else
  not_ok "timeout: the sleep 100 grandchild (${gc:-no pid}) is still alive"
  [ -n "$gc" ] && kill -9 "$gc" 2>/dev/null
fi

# An unwritable workspace. Root ignores permission bits, so as root the runs below are made
# as `nobody` (setpriv); as any other user, directly.
as_user() { "$@"; }
U=$T/unwritable
mkdir -p "$U"
cp bad.mlp "$U/"
if [ "$(id -u)" = 0 ]; then
  if command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
    chmod 755 "$T"
    chown -R nobody "$U"
    grp=$(id -gn nobody)
    as_user() { setpriv --reuid=nobody --regid="$grp" --clear-groups -- "$@"; }
  else
    as_user() { return 99; }
  fi
fi
cd "$U" || exit 2
as_user "$MLPC" run bad.mlp --pipeline hello > "$T/uw1.out" 2>&1
rc=$?
if [ $rc = 99 ]; then
  echo "# skipped the unwritable-workspace checks: running as root without setpriv/nobody"
else
  check_eq "unwritable: a first run (writable) succeeds" 0 "$rc"
  # objects/ and its shard directories read-only: the output cannot be stored.
  find .mlp/objects -type d -exec chmod 555 {} +
  as_user "$MLPC" run bad.mlp --pipeline hello --param i=2 > "$T/uw2.out" 2>&1
  rc=$?
  out=$(cat "$T/uw2.out")
  check_eq "unwritable objects/: the run fails with exit 1" 1 "$rc"
  check_contains "unwritable objects/: the error names the output" "cannot store output \`out\` of \`h\`" "$out"
  check_contains "unwritable objects/: the error names the cause" "Permission denied" "$out"
  find .mlp/objects -type d -exec chmod 755 {} +
  # The whole workspace read-only: the database cannot be written.
  chmod -R a-w .mlp
  as_user "$MLPC" run bad.mlp --pipeline hello --param i=3 > "$T/uw3.out" 2>&1
  rc=$?
  out=$(cat "$T/uw3.out")
  check "read-only workspace: the run fails (exit $rc)" test "$rc" -ne 0
  check_contains "read-only workspace: the error names the workspace" "$U/.mlp" "$out"
  if [[ "$out" == *"Permission denied"* || "$out" == *"readonly"* || "$out" == *"read-only"* ]]; then
    ok "read-only workspace: the error names the cause"
  else
    not_ok "read-only workspace: the error names the cause: $out"
  fi
  chmod -R u+w .mlp
fi
cd "$P" || exit 2

# --- data that is not what its declaration says: refused with the declaration's line, and a
# FIFO is never opened (reading it would block the run for good).
mkdir -p "$T/dd" && cd "$T/dd" || exit 2
cat > d.mlp <<'EOF2'
data src: Dataset<csv> = file("in.csv")
data parts: Dir = dir("parts")

step C(x: Dataset<csv>, _p: Dir) -> (out: File) {
  run = "cat ${x} > ${out}"
}

pipeline p() {
  _a = C(src, parts)
}
EOF2
mkdir parts in.csv
out=$(timeout -k 5 30 "$MLPC" run d.mlp 2>&1)
check_eq "file() naming a directory: exit 1" 1 "$?"
check_contains "and says so, with the declaration" "is a directory (use dir(…)) (declared at d.mlp:1:1" "$out"
rmdir in.csv && mkfifo in.csv
for cmd in run plan; do
  out=$(timeout -k 5 30 "$MLPC" $cmd d.mlp 2>&1)
  rc=$?
  check "file() naming a FIFO: $cmd returns at once (exit $rc)" test "$rc" -eq 1 -o "$rc" -eq 2
  check_contains "file() naming a FIFO: $cmd says it is not a regular file" "is not a regular file" "$out"
done
rm in.csv && echo "a,b" > in.csv && rmdir parts && echo x > parts
out=$(timeout -k 5 30 "$MLPC" run d.mlp 2>&1)
check_eq "dir() naming a file: exit 1" 1 "$?"
check_contains "and says so" "is declared with dir(…), but" "$out"
rm parts && mkdir parts
timeout -k 5 30 "$MLPC" run d.mlp > /dev/null 2>&1
check_eq "with a file and a directory the run succeeds" 0 "$?"
cd "$P" || exit 2

# --- a step skipped because its input failed is still part of the run's record
mkdir -p "$T/sk" && cd "$T/sk" || exit 2
cat > s.mlp <<'EOF2'
step A(_i: int) -> (out: File) {
  run = "exit 3"
}
step B(x: File) -> (out: File) {
  run = "cp ${x} ${out}"
}
pipeline p() {
  a = A(1)
  _b = B(a)
}
EOF2
"$MLPC" run s.mlp > /dev/null 2>&1
R=$("$MLPC" runs --json -n 1 | json_get - 'j[0]["id"]')
shown=$("$MLPC" show "$R" 2>&1)
check_contains "show lists the skipped step" "_b    skipped" "$shown"
check_contains "show says why it was skipped" "\`a\` did not succeed" "$shown"
out=$("$MLPC" logs "$R" _b 2>&1)
check_eq "logs of a skipped step exits 1" 1 "$?"
check_contains "and says it never started" "never started" "$out"
out=$("$MLPC" lineage "$R:_b.out" 2>&1)
check_contains "lineage of a skipped step's output says it was skipped" "was skipped" "$out"
cd "$P" || exit 2

# --- an output that cannot be moved into the store after its step ran (a file stands where its
# shard directory belongs; outputs are made durable and moved in off the scheduler's thread):
# the step fails naming the output, its bytes stay in the step's out/, nothing is left staged,
# what reads it is skipped and a step beside it is recorded; without the obstacle, the next run
# stores it.
mkdir -p "$T/st" && cd "$T/st" || exit 2
cat > st.mlp <<'EOF2'
step Emit(text: string) -> (out: File) {
  run = "printf '%s' ${text} > ${out}"
}
step Copy(x: File) -> (out: File) {
  run = "cp ${x} ${out}"
}
pipeline p() {
  a = Emit("blocked bytes")
  _b = Copy(a)
  _c = Emit("free bytes")
}
EOF2
H=$(printf '%s' 'blocked bytes' | sha256sum | cut -c1-64)
mkdir -p .mlp/objects && echo "in the way" > ".mlp/objects/${H:0:2}"
out=$("$MLPC" run st.mlp -j 2 --keep-going 2>&1)
check_eq "an output that cannot be stored fails the run" 1 "$?"
check_contains "the error names the output and the step" "cannot store output \`out\` of \`a\`" "$out"
check_contains "and the reason" "ENOTDIR" "$out"
R=$("$MLPC" runs --json -n 1 | json_get - 'j[0]["id"]')
ex=$("$MLPC" show "$R" --json)
check_eq "the step is recorded as failed" failed \
  "$(json_get - '[e["status"] for e in j["steps"] if e["node"] == "a"][0]' <<< "$ex")"
check_eq "its reader is skipped" skipped \
  "$(json_get - '[e["status"] for e in j["steps"] if e["node"] == "_b"][0]' <<< "$ex")"
check_eq "the step beside it succeeded" succeeded \
  "$(json_get - '[e["status"] for e in j["steps"] if e["node"] == "_c"][0]' <<< "$ex")"
check_eq "the output's bytes are back in the step's directory" "blocked bytes" \
  "$(cat ".mlp/runs/$R/a/out" 2>&1)"
check_eq "nothing is left staged" "" "$(ls -A .mlp/tmp)"
rm ".mlp/objects/${H:0:2}"
out=$("$MLPC" run st.mlp -j 2 2>&1)
check_eq "without the obstacle the run succeeds" 0 "$?"
check_contains "the blocked step ran again, the other was cached" "2 ran, 1 cached" "$out"
check_eq "and its output is stored" "blocked bytes" "$(cat ".mlp/objects/${H:0:2}/$H" 2>&1)"
cd "$P" || exit 2

finish
