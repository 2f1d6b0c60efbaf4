#!/usr/bin/env bash
# crash_test.sh — `kill -9` a running `mlpc run` at random moments, many times; after each kill
# the metadata database passes its integrity checks, every artifact it refers to is in the
# store with the bytes its name says, and `mlpc verify` finds no damage. Then a normal run
# finishes the work, reusing what the killed runs completed, and every killed run shows as
# interrupted. Also: Ctrl-C (SIGINT) stops a run cleanly with exit 130.
#
#   CRASH_KILLS=40 CRASH_SEED=7 tests/e2e/crash_test.sh build/mlpc
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3 sha256sum

KILLS=${CRASH_KILLS:-24}
SEED=${CRASH_SEED:-$$}
RANDOM=$SEED
echo "# $KILLS kills, seed $SEED (CRASH_SEED=$SEED to repeat)"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
# 20 steps of ~50 ms each: a seed, 8 chains of 2, a join of the 8, and 2 more after it.
cat > crash.mlp <<'EOF'
step Seed(salt: int) -> File {
  run = "sleep 0.05; echo seed ${salt} > ${out}"
}

step Node(x: File, name: string) -> File {
  run = "sleep 0.05; cat ${x} > ${out}; echo ${name} >> ${out}"
}

step Cat(xs: list<File>) -> File {
  run = "sleep 0.05; cat ${xs} > ${out}"
}

pipeline crash(salt: int = 0) {
  s = Seed(salt)
  for i in range(8) {
    a = Node(s, "a${i}")
    b = Node(a, "b${i}")
  }
  all = Cat(b)
  m   = Node(all, "m")
  _z  = Node(m, "z")
}
EOF
TOTAL=20

# Every artifact meta.db refers to must be in the store, with the hash its name says (one
# sha256sum over all of them).
verify_store() {
  sqlite3 -separator ' ' .mlp/meta.db \
    "SELECT artifact_hash, kind FROM execution_outputs UNION
     SELECT artifact_hash, kind FROM execution_inputs UNION
     SELECT m.artifact_hash, a.kind FROM model_versions m JOIN artifacts a ON a.hash = m.artifact_hash" |
    awk '{ if ($2 == "dir") print $1, ".mlp/trees/" substr($1, 1, 2) "/" $1 "/manifest";
           else print $1, ".mlp/objects/" substr($1, 1, 2) "/" $1 }' > "$T/expect.txt"
  local bad=0 h path
  while read -r h path; do
    [ -f "$path" ] || { echo "    missing: $path" >&2; bad=1; }
  done < "$T/expect.txt"
  [ "$bad" = 0 ] || return 1
  [ -s "$T/expect.txt" ] || return 0
  cut -d' ' -f2 "$T/expect.txt" | xargs sha256sum | awk '{ print $1, $2 }' > "$T/actual.txt"
  if ! diff -q "$T/expect.txt" "$T/actual.txt" > /dev/null; then
    diff "$T/expect.txt" "$T/actual.txt" | sed 's/^/    /' >&2
    return 1
  fi
}

# How long an uncached run takes here, so that kills land anywhere in it.
start=$(date +%s%N)
"$MLPC" run crash.mlp --param salt=-1 -j 2 > "$T/calibrate.out" 2>&1
check_eq "a run without kills succeeds" 0 "$?"
D=$((($(date +%s%N) - start) / 1000000))
echo "# an uncached run takes ${D} ms"

KILLED_RUNS=()
integrity_ok=0 fk_ok=0 store_ok=0 verify_ok=0 checked=0
LAST_SALT=1000
for ((i = 0; i < KILLS; i++)); do
  # The same salt for 5 attempts in a row, so later ones reuse earlier work; the last two
  # attempts get a salt of their own and land early, so the final run has work left to do and
  # work to reuse.
  salt=$((i / 5))
  ms=$((RANDOM % (D * 8 / 10 + 1)))
  if [ $i -ge $((KILLS - 2)) ]; then
    salt=$LAST_SALT
    ms=$((D / 4 + RANDOM % (D / 8 + 1)))
  fi
  delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  "$MLPC" run crash.mlp --param salt=$salt -j 2 > "$T/kill$i.out" 2>&1 &
  pid=$!
  if [ $i -ge $((KILLS - 2)) ]; then
    # These two must leave work to reuse: kill once a step has finished, not at a fixed time
    # (under the sanitizers, mlpc's own start-up takes a large part of a run).
    for _ in $(seq 1 400); do
      grep -q '^  done ' "$T/kill$i.out" 2>/dev/null && break
      sleep 0.01
    done
    delay="after the first step"
  else
    sleep "$delay"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -f .mlp/meta.db ] || continue
  checked=$((checked + 1))
  ic=$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check' 2>&1)
  if [ "$ic" = ok ]; then
    integrity_ok=$((integrity_ok + 1))
  else
    not_ok "kill $i (after ${delay}s): PRAGMA integrity_check: $ic"
  fi
  fk=$(sqlite3 .mlp/meta.db 'PRAGMA foreign_key_check' 2>&1)
  if [ -z "$fk" ]; then
    fk_ok=$((fk_ok + 1))
  else
    not_ok "kill $i (after ${delay}s): PRAGMA foreign_key_check: $fk"
  fi
  if verify_store; then
    store_ok=$((store_ok + 1))
  else
    not_ok "kill $i (after ${delay}s): artifacts in meta.db missing or corrupt in the store"
  fi
  # mlpc verify: a kill leaves at most unused objects and staging entries, never damage.
  if "$MLPC" verify > "$T/verify$i.out" 2>&1; then
    verify_ok=$((verify_ok + 1))
  else
    not_ok "kill $i (after ${delay}s): mlpc verify exits $?:"
    sed 's/^/    /' "$T/verify$i.out"
  fi
  last=$(sqlite3 .mlp/meta.db "SELECT id || ' ' || status FROM runs ORDER BY started_at DESC, id DESC LIMIT 1")
  [ "${last#* }" = running ] && KILLED_RUNS+=("${last% *}")
done
check_eq "integrity_check ok after each of the $checked kills" "$checked" "$integrity_ok"
check_eq "foreign_key_check clean after each of the $checked kills" "$checked" "$fk_ok"
check_eq "store holds every recorded artifact, intact, after each kill" "$checked" "$store_ok"
check_eq "mlpc verify exits 0 after each of the $checked kills" "$checked" "$verify_ok"
check "some kills landed while a run was in flight (${#KILLED_RUNS[@]})" test "${#KILLED_RUNS[@]}" -ge 3

"$MLPC" run crash.mlp --param salt=$LAST_SALT -j 2 --json > "$T/final.json" 2> "$T/final.err"
rc=$?
check_eq "the final run succeeds" 0 "$rc"
ran=$(json_get "$T/final.json" '[e for e in j if e.get("event") == "run_finished"][0]["ran"]')
cached=$(json_get "$T/final.json" '[e for e in j if e.get("event") == "run_finished"][0]["cached"]')
check_eq "the final run accounts for every step" "$TOTAL" "$((ran + cached))"
check "the final run reuses steps the killed runs completed (ran $ran < $TOTAL)" \
  test "$ran" -lt "$TOTAL"
echo "# the final run: $ran ran, $cached cached"
check "integrity_check ok at the end" test "$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check')" = ok
check "store intact at the end" verify_store
echo "# tmp/ holds $(find .mlp/tmp -mindepth 1 -maxdepth 1 | wc -l) staging entries abandoned by the kills"

# The next run sweeps abandoned staging entries older than the grace period (60 s), and leaves
# young ones (a put that just started in another process has not locked its entry yet).
find .mlp/tmp -mindepth 1 -maxdepth 1 -exec touch -h -d '2 hours ago' {} +
mkdir -p .mlp/tmp/put-old-dir && echo x > .mlp/tmp/put-old-dir/f && echo x > .mlp/tmp/put-old
touch -d '2 hours ago' .mlp/tmp/put-old-dir .mlp/tmp/put-old
echo x > .mlp/tmp/put-young
"$MLPC" run crash.mlp --param salt=$LAST_SALT -j 2 > "$T/sweep.out" 2>&1
check_eq "a run after the kills succeeds" 0 "$?"
check_eq "it swept every abandoned staging entry but the young one" "put-young" \
  "$(ls .mlp/tmp | xargs)"

"$MLPC" runs -n 0 --json > "$T/runs.json"
still=$(json_get "$T/runs.json" '[r["id"] for r in j if r["status"] == "running"]')
check_eq "no run is left marked running" "" "$still"
bad=""
for r in "${KILLED_RUNS[@]}"; do
  st=$(json_get "$T/runs.json" "[x['status'] for x in j if x['id'] == '$r'][0]")
  [ "$st" = interrupted ] || bad="$bad $r=$st"
done
check_eq "every killed run shows as interrupted in mlpc runs" "" "$bad"
stale=$(sqlite3 .mlp/meta.db "SELECT count(*) FROM executions WHERE status = 'running'")
check_eq "no execution is left running" 0 "$stale"
table=$("$MLPC" runs -n 0)
check_contains "mlpc runs lists interrupted runs" "interrupted" "$table"

# Ctrl-C: the run stops, cancels its steps (their process groups too) and exits 130. The signal
# goes in once a step is known to be running (it leaves a marker, then sleeps), never after a
# fixed delay: under the sanitizers a whole run can finish in less time than such a delay.
cat > hang.mlp <<EOF
step Slow(tag: string) -> File {
  run = "touch $T/slow.started; sleep 60; echo \${tag} > \${out}"
}

pipeline hang(tag: string = "x") {
  _s = Slow(tag)
}
EOF
"$MLPC" run hang.mlp -j 2 > "$T/int.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -e "$T/slow.started" ] && break
  sleep 0.1
done
check "SIGINT: the slow step started" test -e "$T/slow.started"
kill -INT "$pid"
wait "$pid"
rc=$?
check_eq "SIGINT: mlpc run exits 130" 130 "$rc"
check_contains "SIGINT: it says it was interrupted" "interrupted" "$(cat "$T/int.out")"
st=$(sqlite3 .mlp/meta.db "SELECT status FROM runs ORDER BY started_at DESC, id DESC LIMIT 1")
check_eq "SIGINT: the run is recorded as interrupted" interrupted "$st"
running=$(sqlite3 .mlp/meta.db "SELECT count(*) FROM executions WHERE status = 'running'")
check_eq "SIGINT: no execution left running" 0 "$running"
sleep 0.5
# /proc, not pgrep: a minimal Debian (CI's fresh stage) has no procps.
left=$(grep -l "slow[.]started" /proc/[0-9]*/cmdline 2>/dev/null || true)
check_eq "SIGINT: the step's process group was stopped too" "" "$left"
check "SIGINT: integrity_check ok" test "$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check')" = ok

finish
