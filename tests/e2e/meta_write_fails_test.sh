#!/usr/bin/env bash
# meta_write_fails_test.sh — `meta.db` stops taking writes in the middle of a run, as on a full
# disk: a step (while full.on exists) lowers mlpc's file-size limit (`prlimit`) to the size the WAL has, so the next
# commit cannot append to it (EFBIG; SIGXFSZ is ignored, as `trap '' XFSZ` leaves it for exec).
#   * a step's end recorded on its own fails that step, and nothing after it starts;
#   * a pass of the scheduler that commits several changes at once (a step's end and the start
#     of the steps that read it) fails whole: the run stops with "cannot record the run's
#     progress", none of that pass's changes is recorded, and none of its steps starts;
#   * either way the next run, with room again, finishes the work and the failed run is not left
#     marked running.
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3 prlimit

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > full.mlp <<'EOF'
step Limit(_i: int) -> File {
  run = "if [ -e full.on ]; then prlimit --pid $PPID --fsize=$(stat -c %s .mlp/meta.db-wal); fi && echo a > ${out}"
}

step Slow(_i: int) -> File {
  run = "sleep 1 && echo z > ${out}"
}

step Mark(f: File, name: string) -> File {
  run = "touch ${name}.started && cat ${f} > ${out}"
}

pipeline alone() {
  a = Limit(1)
  b = Mark(a, "b")
  c = Mark(a, "c")
}

pipeline beside() {
  z = Slow(1)
  a = Limit(2)
  b = Mark(a, "b")
  c = Mark(a, "c")
}
EOF

touch full.on
# run_full PIPELINE JOBS: runs it with SIGXFSZ ignored; sets RC and RUN.
run_full() {
  rm -f ./*.started
  (trap '' XFSZ && exec "$MLPC" run full.mlp --pipeline "$1" -j "$2") > "$T/$1.out" 2>&1
  RC=$?
  RUN=$(sed -n 's/^details: mlpc show //p' "$T/$1.out")
}

# executions RUN: "node:status" of the run's recorded executions, by node.
executions() {
  sqlite3 .mlp/meta.db "SELECT group_concat(node || ':' || status, ' ') FROM
    (SELECT node, status FROM executions WHERE run_id = '$1' ORDER BY node)"
}

run_full alone 1
check_eq "alone: the run fails with exit 1" 1 "$RC"
check_contains "alone: the step whose end could not be recorded fails, saying why" \
  "FAILED  a: $P/.mlp/meta.db: disk I/O error" "$(cat "$T/alone.out")"
check_eq "alone: no step after it started" "" "$(ls ./*.started 2>/dev/null)"
check_eq "alone: its end is not recorded" "a:running" "$(executions "$RUN")"
ALONE=$RUN

run_full beside 2
check_eq "beside: the run fails with exit 1" 1 "$RC"
check_contains "beside: it says it cannot record its progress" \
  "error: cannot record the run's progress: $P/.mlp/meta.db: disk I/O error" "$(cat "$T/beside.out")"
# Progress lines are printed as the pass goes; the one for a came before the commit failed
# (docs/runtime.md says so).
check_contains "beside: a's line was printed before the commit" "done    a" "$(cat "$T/beside.out")"
check_eq "beside: neither step of the failed pass started" "" "$(ls ./*.started 2>/dev/null)"
# a's end was in the pass that failed, with b's and c's start: none of them is recorded.
check_eq "beside: nothing of the failed pass is recorded" "a:running z:running" \
  "$(executions "$RUN")"
BESIDE=$RUN
check_eq "beside: the database is intact" ok "$(sqlite3 .mlp/meta.db 'PRAGMA integrity_check')"

rm full.on
"$MLPC" run full.mlp --pipeline beside -j 2 > "$T/again.out" 2>&1
check_eq "with room again, the run succeeds" 0 "$?"
check_eq "and starts the steps that never did" "b.started c.started" "$(ls -- *.started | xargs)"
"$MLPC" runs -n 0 --json > "$T/runs.json"
check_eq "no run is left marked running" "" \
  "$(json_get "$T/runs.json" '[r["id"] for r in j if r["status"] == "running"]')"
check_eq "the two failed runs show as interrupted" "interrupted interrupted" \
  "$(json_get "$T/runs.json" "' '.join(r['status'] for r in j if r['id'] in ('$ALONE', '$BESIDE'))")"
check "mlpc verify finds the store intact" "$MLPC" verify

finish
