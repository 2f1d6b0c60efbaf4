#!/usr/bin/env bash
# concurrency_test.sh — several mlpc processes on one workspace at the same time:
#   * two `mlpc run`s of the same pipeline both succeed (and leave a consistent workspace);
#   * runs registering versions at once get distinct version numbers, with no gap;
#   * two `mlpc models approve` of one version at once: exactly one wins, the other gets a
#     clear error, and the history holds one approval.
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3 sha256sum

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > c.mlp <<'EOF'
model grp {
  approval = manual
}

step Gen(i: int) -> File {
  run = "sleep 0.1; echo gen ${i} > ${out}"
}

step Merge(xs: list<File>) -> File {
  run = "sleep 0.1; cat ${xs} > ${out}"
}

step Train(seed: int, _data: File) -> (model: Model<sklearn>) {
  run = "sleep 0.1; echo model ${seed} > ${model}"
}

pipeline par() {
  for i in range(6) {
    g = Gen(i)
  }
  _all = Merge(g)
}

pipeline reg(seed: int = 1) {
  d = Gen(0)
  m = Train(seed, d)
  register m in grp
}
EOF

# --- two runs of one pipeline at once
"$MLPC" run c.mlp --pipeline par -j 2 > "$T/a.out" 2>&1 &
a=$!
"$MLPC" run c.mlp --pipeline par -j 2 > "$T/b.out" 2>&1 &
b=$!
wait $a
rca=$?
wait $b
rcb=$?
check_eq "first of two simultaneous runs exits 0" 0 "$rca"
check_eq "second of two simultaneous runs exits 0" 0 "$rcb"
[ "$rca" = 0 ] || sed 's/^/    | /' "$T/a.out"
[ "$rcb" = 0 ] || sed 's/^/    | /' "$T/b.out"
"$MLPC" run c.mlp --pipeline par --json > "$T/c.json" 2> "$T/c.err"
check_eq "a third run finds everything cached" "" "$(events_nodes "$T/c.json" started)"
check "integrity_check ok" test "$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check')" = ok
runs=$(sqlite3 .mlp/meta.db "SELECT status FROM runs WHERE pipeline = 'par'" | sort | uniq -c | xargs)
check_eq "three runs recorded, all succeeded" "3 succeeded" "$runs"

# --- versions registered by runs at the same time
pids=()
for seed in 1 2 3 4; do
  "$MLPC" run c.mlp --pipeline reg --param seed=$seed -j 2 > "$T/reg$seed.out" 2>&1 &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
check_eq "four registering runs at once all succeed" 0 "$failed"
"$MLPC" models show grp --json > "$T/versions.json"
check_eq "they got versions 1..4, distinct" "1 2 3 4" \
  "$(json_get "$T/versions.json" '[v["version"] for v in j]' | xargs)"
check_eq "each version holds a different model" 4 \
  "$(json_get "$T/versions.json" 'len(set(v["artifact"] for v in j))')"
check_eq "all pending" "PendingManualApproval" \
  "$(json_get "$T/versions.json" 'set(v["status"] for v in j)')"

# --- the same model from two runs at once is registered once ("not registered again")
dups=0
for seed in 7 8 9; do
  "$MLPC" run c.mlp --pipeline reg --param seed=$seed -j 2 > "$T/dup$seed.a" 2>&1 &
  pa=$!
  "$MLPC" run c.mlp --pipeline reg --param seed=$seed -j 2 > "$T/dup$seed.b" 2>&1 &
  pb=$!
  wait $pa
  wait $pb
done
"$MLPC" models show grp --json > "$T/versions2.json"
n=$(json_get "$T/versions2.json" 'len(j)')
distinct=$(json_get "$T/versions2.json" 'len(set(v["artifact"] for v in j))')
check_eq "one model registered by two simultaneous runs gets one version" "$distinct" "$n"
check_eq "versions are still numbered 1..N without gaps" "$(seq -s' ' 1 "$n")" \
  "$(json_get "$T/versions2.json" '[v["version"] for v in j]' | sort -n | xargs)"

# --- two approvals of one version at once, for each of the 4 versions
for v in 1 2 3 4; do
  "$MLPC" models approve grp $v --actor alice --comment "alice says yes" > "$T/ap$v.a" 2>&1 &
  pa=$!
  "$MLPC" models approve grp $v --actor bob --comment "bob says yes" > "$T/ap$v.b" 2>&1 &
  pb=$!
  wait $pa
  ra=$?
  wait $pb
  rb=$?
  winners=$(((ra == 0) + (rb == 0)))
  check_eq "version $v: exactly one of two simultaneous approvals succeeds" 1 "$winners"
  if [ $ra -ne 0 ]; then loser=$T/ap$v.a; lrc=$ra; else loser=$T/ap$v.b; lrc=$rb; fi
  check_eq "version $v: the other exits 1" 1 "$lrc"
  check_contains "version $v: the other says why" "is Approved: it cannot become Approved" \
    "$(cat "$loser")"
  "$MLPC" models show grp $v --json > "$T/show$v.json"
  check_eq "version $v: the history holds one approval" 1 \
    "$(json_get "$T/show$v.json" 'sum(1 for e in j["history"] if e["to"] == "Approved")')"
  check_eq "version $v: status Approved" Approved "$(json_get "$T/show$v.json" 'j["status"]')"
done
check "integrity_check ok at the end" test "$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check')" = ok

# --- queued is not running: with -j 1, three independent 1 s steps each run for about 1 s, and
# the later ones show the wait for the slot as queued time.
mkdir -p "$T/queue"
cd "$T/queue" || exit 2
cat > q.mlp <<'EOF'
step Nap(i: int) -> File {
  run = "sleep 1; echo ${i} > ${out}"
}

pipeline q() {
  a = Nap(1)
  b = Nap(2)
  c = Nap(3)
}
EOF
"$MLPC" run q.mlp -j 1 > "$T/q.out" 2>&1
check_eq "three 1 s steps at -j 1 succeed" 0 "$?"
"$MLPC" show "$("$MLPC" runs -n 1 --json | json_get - 'j[0]["id"]')" --json > "$T/q.json"
check_eq "each step ran for about 1 s, not its wait as well" "True True True" \
  "$(json_get "$T/q.json" '" ".join(str(0.9 < s["duration_s"] < 1.9) for s in j["steps"])')"
check_eq "the queued times add up to the waits (about 0 + 1 + 2 s)" true \
  "$(json_get "$T/q.json" '2.5 < sum(s["queued_s"] for s in j["steps"]) < 4.5')"
t=$("$MLPC" show "$("$MLPC" runs -n 1 --json | json_get - 'j[0]["id"]')")
check "show's table has QUEUED and RAN columns" grep -qE '^STEP +STATUS +QUEUED +RAN' <<< "$t"

# --- a run lets go of its read snapshot while it waits. The steps made ready together look the
# cache up from one snapshot of meta.db; held while a step runs, it would keep other processes
# from checkpointing (truncating) the WAL for as long as the step takes. Here `_c` becomes ready
# when `q` finishes and is a hit (q's output bytes do not change), while `_s` still runs.
mkdir -p "$T/snap"
cd "$T/snap" || exit 2
cat > s.mlp <<'EOF'
step Quick(n: int) -> File {
  run = "echo same > ${out} # ${n}"
}

step Gen(_x: File) -> File {
  run = "echo gen > ${out}"
}

step Slow(n: int) -> File {
  run = "sleep ${n}; echo slow ${n} > ${out}"
}

pipeline snap(n: int = 0) {
  q = Quick(n)
  _c = Gen(q)
  _s = Slow(n)
}
EOF
"$MLPC" run s.mlp > "$T/s1.out" 2>&1
check_eq "the first run succeeds" 0 "$?"
"$MLPC" run s.mlp -j 2 --param n=3 > "$T/s2.out" 2>&1 &
s2=$!
for _ in $(seq 100); do
  q=$(sqlite3 .mlp/meta.db "SELECT count(*) FROM executions WHERE node = 'q' AND status = 'succeeded'" 2> /dev/null)
  [ "$q" = 2 ] && break
  sleep 0.05
done
sleep 0.5
ckpt=$(sqlite3 .mlp/meta.db "PRAGMA wal_checkpoint(TRUNCATE)" 2>&1)
wait $s2
check_eq "the second run (q runs, _c is a hit, _s takes 3 s) succeeds" 0 "$?"
check_contains "it reused _c" "cached  _c" "$(cat "$T/s2.out")"
check_eq "while _s ran, another process could truncate the WAL (busy 0)" 0 "${ckpt%%|*}"

finish
