#!/usr/bin/env bash
# cache_matrix_test.sh — for each thing that can change, exactly which steps re-run.
#
# A 6-step DAG of shell steps over a data file and a code file:
#
#   raw ─▶ clean ─┬─▶ feats ─▶ model ─┐
#     │           └─▶ stats ──────────┴─▶ _report
#     └─▶ _stamp
#
# For each change the script asserts the exact set of steps that ran (from `mlpc run --json`
# events; every other step must be cached), that `mlpc plan` predicted it and named the cause,
# and then undoes the change. `clean` keeps only the first 3 lines, so a change further down
# the data re-runs `clean` but nothing after it (its output is byte-identical).
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3 sha256sum

P=$T/proj
mkdir -p "$P/data" "$P/scripts"
cd "$P" || exit 2
OLD=@1600000000 # an mtime well in the past: a hash taken now is remembered (not "racy")
write_data() {
  printf 'id,x,y\n1,10,a\n2,20,b\n3,30,c\n4,40,d\n5,50,e\n' > data/raw.csv
  touch -d "$OLD" data/raw.csv
}
write_code() {
  printf '#!/bin/sh\nhead -n 3 "$1" > "$2"\n' > scripts/clean.sh
}

STATS_RUN='wc -l < ${x} > ${stats}'
IMAGE=example.org/stats:1
MODE=fast
FIT_TIMEOUT=1m
FIT_RESOURCES='{ cpu: 1 }'
STAMP_CACHE=true
write_mlp() {
  cat > p.mlp <<EOF
data raw: Dataset<csv> = file("data/raw.csv")

step Clean(raw: Dataset<csv>) -> Dataset<csv> {
  code = ["scripts/clean.sh"]
  run  = "sh scripts/clean.sh \${raw} \${out}"
}

step Features(x: Dataset<csv>, scale: int = 1) -> Dataset<csv> {
  env = { SCALE: "\${scale}", MODE: "$MODE" }
  run = "cp \${x} \${out} && echo \"scale=\$SCALE\" >> \${out}"
}

step Stats(x: Dataset<csv>) -> (stats: File) {
  image = "$IMAGE"
  run   = "$STATS_RUN"
}

step Fit(x: Dataset<csv>) -> (model: File) {
  timeout   = $FIT_TIMEOUT
  resources = $FIT_RESOURCES
  run       = "sha256sum < \${x} > \${model}"
}

step Report(model: File, stats: File) -> (report: File) {
  run = "cat \${model} \${stats} > \${report}"
}

step Stamp(raw: Dataset<csv>) -> (stamp: File) {
  cache = $STAMP_CACHE
  run   = "date +%s%N > \${stamp}; wc -c < \${raw} >> \${stamp}"
}

pipeline p(scale: int = 1) {
  clean   = Clean(raw)
  feats   = Features(clean, scale = scale)
  stats   = Stats(clean)
  model   = Fit(feats)
  _report = Report(model, stats)
  _stamp  = Stamp(raw)
}
EOF
}
write_data
write_code
write_mlp

ALL="_report _stamp clean feats model stats"
N=0
# case NAME EXPECTED_RAN PLAN_RUN PLAN_REASON_NODE PLAN_REASON [mlpc args...]
#   EXPECTED_RAN: the nodes that must run (sorted, space-separated); the others must be cached.
#   PLAN_RUN: the nodes `mlpc plan` must list as "run" ("=" means the same as EXPECTED_RAN).
#   PLAN_REASON_NODE/PLAN_REASON: a node whose plan reason must contain the text ("" to skip).
case_() {
  local name=$1 expect=$2 planRun=$3 reasonNode=$4 reason=$5
  shift 5
  N=$((N + 1))
  [ "$planRun" = "=" ] && planRun=$expect
  "$MLPC" plan p.mlp --json "$@" > "$T/plan$N.json" 2> "$T/plan$N.err"
  local predicted
  predicted=$(json_get "$T/plan$N.json" '[d["node"] for d in j if d["verdict"] == "run"]' | xargs)
  check_eq "$name: mlpc plan predicts what runs" "$planRun" "$predicted"
  if [ -n "$reasonNode" ]; then
    local why
    why=$(json_get "$T/plan$N.json" "[d['reason'] for d in j if d['node'] == '$reasonNode']")
    check_contains "$name: mlpc plan says why $reasonNode runs" "$reason" "$why"
  fi
  "$MLPC" run p.mlp --json -j 2 "$@" > "$T/run$N.json" 2> "$T/run$N.err"
  local rc=$?
  check_eq "$name: run succeeds" 0 "$rc"
  local ran cached expectCached=""
  ran=$(events_nodes "$T/run$N.json" started)
  cached=$(events_nodes "$T/run$N.json" cached)
  for n in $ALL; do [[ " $expect " == *" $n "* ]] || expectCached="$expectCached $n"; done
  check_eq "$name: exactly these ran" "$expect" "$ran"
  check_eq "$name: the rest were cached" "${expectCached# }" "$cached"
  LAST_RUN=$(run_id_of "$T/run$N.json")
}

"$MLPC" plan p.mlp > /dev/null 2>&1
check "mlpc plan before any run leaves no workspace behind" test ! -e .mlp
case_ "first run" "$ALL" = clean "never ran before"
case_ "nothing changed" "" "" "" ""

# A data byte after the lines `clean` keeps: clean and _stamp re-run; clean's output is the same
# bytes, so nothing after it does (plan cannot know that and lists them as "after clean").
printf 'id,x,y\n1,10,a\n2,20,b\n3,30,c\n4,40,d\n5,50,X\n' > data/raw.csv
case_ "data byte (not in clean's output)" "_stamp clean" "$ALL" clean "input \`raw\` changed"
write_data
case_ "data restored" "" "" "" ""

printf 'id,x,z\n1,10,a\n2,20,b\n3,30,c\n4,40,d\n5,50,e\n' > data/raw.csv
case_ "data byte (in clean's output)" "$ALL" = clean "input \`raw\` changed"
write_data
case_ "data restored again" "" "" "" ""

echo '# a comment' >> scripts/clean.sh
case_ "code file" "clean" "_report clean feats model stats" clean "code file \`scripts/clean.sh\` changed"
write_code

case_ "a param (--param scale=2)" "_report feats model" = feats "input \`scale\` changed" \
  --param scale=2

STATS_RUN='wc -l  < ${x} > ${stats}'
write_mlp
case_ "the run command text" "stats" "_report stats" stats "\`run\` changed"
STATS_RUN='wc -l < ${x} > ${stats}'

IMAGE=example.org/stats:2
write_mlp
case_ "the image string" "stats" "_report stats" stats "\`image\` changed"
IMAGE=example.org/stats:1

MODE=slow
write_mlp
case_ "an env value" "feats" "_report feats model" feats "\`env\` changed"
MODE=fast

FIT_TIMEOUT=2m
FIT_RESOURCES='{ cpu: 2, memory: 64MiB }'
write_mlp
case_ "timeout and resources (not in the key)" "" "" "" ""
FIT_TIMEOUT=1m
FIT_RESOURCES='{ cpu: 1 }'

STAMP_CACHE=false
write_mlp
case_ "cache = false" "_stamp" = _stamp "cache = false"
case_ "cache = false, again" "_stamp" = _stamp "cache = false"

STAMP_CACHE=1h
write_mlp
case_ "cache = 1h (fresh)" "" "" "" ""
STAMP_CACHE=1s
write_mlp
sleep 2
N_EXPIRY=$((N + 1))
case_ "cache = 1s, 2 s later (expired)" "_stamp" = "" ""
why=$(json_get "$T/plan$N_EXPIRY.json" "[d['reason'] for d in j if d['node'] == '_stamp']")
if [[ "$why" == *expire* ]]; then
  ok "mlpc plan says the cached result of _stamp expired"
else
  not_ok "mlpc plan gives an expired cache entry as: [$why] (expected it to say it expired)"
fi
STAMP_CACHE=true
write_mlp

case_ "--no-cache" "$ALL" = clean "--no-cache" --no-cache

# Deleting an object from the store: only the step that produced it runs again (its bytes come
# out the same, so _report stays cached).
"$MLPC" show "$LAST_RUN" --json > "$T/show.json"
STATS_HASH=$(json_get "$T/show.json" "[s['outputs']['stats'] for s in j['steps'] if s['node'] == 'stats'][0]")
check "the stats output is in the store" test -f ".mlp/objects/${STATS_HASH:0:2}/$STATS_HASH"
rm -f ".mlp/objects/${STATS_HASH:0:2}/$STATS_HASH"
case_ "an object deleted from the store" "stats" "_report stats" stats "no longer in the store"
check "the stats output is back in the store" test -f ".mlp/objects/${STATS_HASH:0:2}/$STATS_HASH"

# The same bytes with a new mtime: hashed again, and still cached.
touch data/raw.csv
case_ "touch (new mtime, same bytes)" "" "" "" ""

# Hashes are remembered by (dev, inode, size, mtime): a same-size edit that keeps the mtime is
# not noticed. Timing-insensitive proof that an unchanged stamp means no re-hashing.
write_data
case_ "old mtime, hash remembered" "" "" "" ""
printf 'Z' | dd of=data/raw.csv bs=1 seek=20 conv=notrunc status=none
touch -d "$OLD" data/raw.csv
case_ "same size and mtime: not re-hashed (so still cached)" "" "" "" ""
check "the hash cache holds data/raw.csv" \
  test "$(sqlite3 .mlp/meta.db "SELECT count(*) FROM file_hashes WHERE path = '$P/data/raw.csv'")" = 1
write_data

finish
