#!/usr/bin/env bash
# repeat_run_test.sh — a fully cached re-run of an unchanged plan is recorded by repeating the run
# before it (sched/repeat_run.h, meta::repeatLastRun) instead of a look-up per step, and records
# what the look-ups would have:
#   * the same steps, statuses, reused executions, outputs and metrics as a re-run looked up step
#     by step (MLP_NO_REPEAT=1), through `mlpc show --json`, `mlpc runs --json` and the events;
#   * an output gone from the store, a changed data file, or a step with `cache = false` sends
#     the run step by step, and exactly the steps that must run again do;
#   * a `register` node is never repeated: its version is found again, not registered twice.
# Which way a run went is read from meta.db: a repeat records every hit in one statement with one
# time, a run step by step one time per hit (a pipeline of 8 steps cannot record them within the
# same microsecond).
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
printf 'a\nb\n' > seed.txt
cat > rep.mlp <<'EOF'
data seed: File = file("seed.txt")

step Grow(x: File, i: int) -> File {
  run = "cat ${x} > ${out}; echo ${i} >> ${out}"
}

step Score(x: File) -> (m: Metrics{acc: float}) {
  run = "printf '{\"acc\": 0.5}' > ${m}"
}

pipeline main(n: list<int> = [1, 2, 3]) {
  for i in n {
    g = Grow(seed, i)
    s = Score(g)
  }
  first = Grow(seed, 0)
  if s[0].acc > 0.1 {
    high = Grow(first, 9)
  }
}
EOF
cat > stamp.mlp <<'EOF'
data seed: File = file("seed.txt")

step Grow(x: File, i: int) -> File {
  run = "cat ${x} > ${out}; echo ${i} >> ${out}"
}

step Stamp(x: File) -> File {
  cache = false
  run   = "cat ${x} > ${out}; date +%s%N >> ${out}"
}

pipeline stamped() {
  g = Grow(seed, 1)
  t = Stamp(g)
}
EOF

DB=.mlp/meta.db
last_run() { "$MLPC" runs --json | json_get - 'j[0]["id"]'; }
# times RUN: how many distinct start times its executions have (1: repeated)
times() { sqlite3 "$DB" "SELECT count(DISTINCT started_at) FROM executions WHERE run_id = '$1'"; }
# What `mlpc show --json` says of a run's steps, without ids and times.
steps_of() {
  "$MLPC" show "$1" --json | json_get - \
    'json.dumps([{k: v for k, v in s.items() if k not in ("execution", "duration_s", "queued_s")} for s in j["steps"]], sort_keys=True)'
}
counts_of() {
  "$MLPC" runs --json | json_get - \
    "[json.dumps({k: r[k] for k in ('status', 'ran', 'cached', 'failed', 'skipped', 'params', 'metrics')}, sort_keys=True) for r in j if r['id'] == '$1'][0]"
}

"$MLPC" run rep.mlp > first.out 2>&1
check_contains "the first run runs all 8 steps" "8 ran, 0 cached" "$(cat first.out)"

MLP_NO_REPEAT=1 "$MLPC" run rep.mlp --json > looked.jsonl 2> looked.err
LOOKED=$(last_run)
check_eq "MLP_NO_REPEAT=1: every step looked up on its own" "8" "$(times "$LOOKED")"

"$MLPC" run rep.mlp --json > repeated.jsonl 2> repeated.err
REPEATED=$(last_run)
check_eq "the next re-run repeats the one before it" "1" "$(times "$REPEATED")"
check_eq "it says which steps are cached, as the looked-up run did" \
  "$(events_nodes looked.jsonl cached)" "$(events_nodes repeated.jsonl cached)"
check_eq "all 8 of them" "8" "$(events_nodes repeated.jsonl cached | wc -w)"
check_eq "mlpc show: the same steps, statuses, reused executions and outputs" \
  "$(steps_of "$LOOKED")" "$(steps_of "$REPEATED")"
check_eq "mlpc runs: the same counts, parameters and metrics" \
  "$(counts_of "$LOOKED")" "$(counts_of "$REPEATED")"
check_eq "the metrics of the three Score hits are recorded for the repeat too" \
  "acc=0.5 acc=0.5 acc=0.5" \
  "$(sqlite3 "$DB" "SELECT group_concat(name || '=' || value, ' ') FROM metrics WHERE run_id = '$REPEATED'")"
OUT=$("$MLPC" show "$REPEATED" --json | json_get - '[s["outputs"]["out"] for s in j["steps"] if s["node"] == "high"][0]')
check_contains "lineage from the repeat's output reaches the data it was made from" "source data" \
  "$("$MLPC" lineage "$OUT" 2>&1)"
check "mlpc verify finds the workspace consistent" "$MLPC" verify

"$MLPC" run rep.mlp > again.out 2>&1
check_eq "a repeat of a repeat is a repeat" "1" "$(times "$(last_run)")"
check_eq "and points at the executions that ran" \
  "$(steps_of "$LOOKED")" "$(steps_of "$(last_run)")"

# An output gone from the store: that step runs again (and makes the same bytes, so what reads
# it stays cached).
HASH=$("$MLPC" show "$REPEATED" --json | json_get - '[s["outputs"]["out"] for s in j["steps"] if s["node"] == "first"][0]')
check "the output of first is in the store" test -f ".mlp/objects/${HASH:0:2}/$HASH"
rm -f ".mlp/objects/${HASH:0:2}/$HASH"
check "the object is gone" test ! -e ".mlp/objects/${HASH:0:2}/$HASH"
"$MLPC" run rep.mlp --json > gone.jsonl 2> gone.err
check_eq "an output gone from the store: only its step runs again" "first" \
  "$(events_nodes gone.jsonl succeeded)"
check "and the run went step by step" test "$(times "$(last_run)")" -gt 1

# The data changed: the steps that read it run again.
"$MLPC" run rep.mlp > /dev/null 2>&1
printf 'a\nc\n' > seed.txt
"$MLPC" run rep.mlp --json > data.jsonl 2> data.err
check_eq "changed data: every step that reads it runs again" \
  "first g[0] g[1] g[2] high s[0] s[1] s[2]" "$(events_nodes data.jsonl succeeded)"

# `cache = false`: the step runs every time; the run is never a repeat.
"$MLPC" run stamp.mlp > /dev/null 2>&1
"$MLPC" run stamp.mlp --json > stamp.jsonl 2> stamp.err
check_eq "a step with cache = false runs again on an unchanged re-run" "t" \
  "$(events_nodes stamp.jsonl succeeded)"
check_eq "and the step before it is cached" "g" "$(events_nodes stamp.jsonl cached)"

# A `register` node: the re-run finds the version it registered, step by step.
cat > reg.mlp <<'EOF'
data seed: File = file("seed.txt")

model grown {
  approval = auto
}

step Grow(x: File, i: int) -> File {
  run = "cat ${x} > ${out}; echo ${i} >> ${out}"
}

step Fit(x: File) -> (model: Model<sklearn>) {
  run = "cat ${x} > ${model}"
}

pipeline reg() {
  g = Grow(seed, 1)
  m = Fit(g)
  register m in grown
}
EOF
"$MLPC" run reg.mlp > reg1.out 2>&1
check_contains "the first run registers version 1" "registered grown version 1" "$(cat reg1.out)"
"$MLPC" run reg.mlp > reg2.out 2>&1
check_contains "a re-run finds it again" "already grown version 1" "$(cat reg2.out)"
check "and is not a repeat" test "$(times "$(last_run)")" -gt 1
check_eq "one version only" "1" "$("$MLPC" models show grown 1 --json | json_get - 'j["version"]')"
check "and no version 2" bash -c '! "$1" models show grown 2 > /dev/null 2>&1' _ "$MLPC"

finish
