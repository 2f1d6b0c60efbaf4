#!/usr/bin/env bash
# bad_plan_test.sh — plan files. First `mlpc compile -o`: a plan written through `..` still
# runs from its program's directory; compile refuses to overwrite its own source and an empty
# -o. Then hand-edited plan.json files: `mlpc run PLAN` and `mlpc plan PLAN` must
# never crash on one: every value of the plan (compiled from a program that uses every node
# kind) is in turn deleted, replaced by null, a number, a string and an object, and for
# each mutant both commands must exit 0, 1 or 2 (never a signal), print an `error:` line when
# they fail, and leave no run marked "running".
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > all.mlp <<'EOF2'
model grp {
  approval = auto
}

step Train(msg: string, n: int = 1) -> (model: Model<sklearn>) {
  run     = "printf '%s %s' ${msg} ${n} > ${model}"
  retry   = { attempts: 2, backoff: 1s }
  timeout = 1m
  cache   = 7d
}

step Score(_m: Model<sklearn>) -> (scores: Metrics{auc: float}) {
  run = "echo '{\"auc\": 0.9}' > ${scores}"
}

step Echo(msg: string) -> File {
  run = "echo ${msg} > ${out}"
}

pipeline p(msg: string = "hi", ns: list<int> = [1, 2]) {
  for n in ns {
    m = Train(msg = msg, n = n)
    s = Score(m)
  }
  best = argmax(m, s.auc)
  top = Score(best)
  if top.auc > 0.5 {
    register best in grp with { metrics: top, tags: { k: msg } }
  } else {
    fail "low ${top.auc}"
  }
  _c = Echo(msg = "${len(m)}")
}
EOF2
"$MLPC" compile all.mlp -o plan.json > /dev/null 2>&1
check_eq "the program compiles" 0 "$?"
"$MLPC" run plan.json --workspace ws > /dev/null 2>&1
check_eq "the unmodified plan runs" 0 "$?"

# --- compile -o: where the plan goes does not change where it runs from
mkdir -p "$T/a/proj" "$T/b"
cp all.mlp "$T/a/proj/"
(cd "$T/a" && "$MLPC" compile proj/all.mlp -o ../b/up.json > /dev/null 2>&1)
(cd "$T/a/proj" && "$MLPC" compile all.mlp -o ../../b/up2.json > /dev/null 2>&1)
check_eq "-o ../b/plan.json: base points back at the program" "../a/proj" \
  "$(json_get "$T/b/up.json" 'j["base"]')"
check_eq "-o ../../b/plan.json from inside: same base" "../a/proj" \
  "$(json_get "$T/b/up2.json" 'j["base"]')"
(cd "$T/b" && "$MLPC" run up.json > /dev/null 2>&1)
check_eq "that plan runs from elsewhere" 0 "$?"
check "its workspace is beside the program" test -d "$T/a/proj/.mlp"
check "and not beside the plan" test ! -e "$T/b/.mlp"
cp all.mlp self.mlp
"$MLPC" compile self.mlp -o ./self.mlp > /dev/null 2> err.txt
check_eq "compile -o onto its own source exits 2" 2 "$?"
check_contains "and says why" "refusing to write the plan over its source" "$(cat err.txt)"
check "and leaves the source alone" cmp -s all.mlp self.mlp
"$MLPC" compile all.mlp -o "" > /dev/null 2> err.txt
check_eq "compile -o '' is a usage error" 2 "$?"

cp plan.json plan.txt
"$MLPC" plan plan.txt > /dev/null 2>&1
check_eq "a plan named .txt is still read as a plan" 0 "$?"

mkdir -p mutants
"$PY" - plan.json mutants <<'EOF2'
import copy, json, sys
plan = json.load(open(sys.argv[1]))
out = sys.argv[2]
replacements = [None, 7, "x", {"x": 1}]
paths = []
def walk(v, path):
    paths.append(path)
    if isinstance(v, dict):
        for k, x in v.items(): walk(x, path + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v): walk(x, path + [i])
walk(plan, [])
n = 0
for path in paths[1:]:
    variants = [("delete", None)] + [("set", r) for r in replacements]
    for how, r in variants:
        p = copy.deepcopy(plan)
        parent = p
        for k in path[:-1]: parent = parent[k]
        if how == "delete":
            del parent[path[-1]]
        else:
            if parent[path[-1]] == r: continue
            parent[path[-1]] = r
        with open(f"{out}/{n:05d}.json", "w") as f:
            json.dump(p, f)
        with open(f"{out}/{n:05d}.what", "w") as f:
            f.write(f"{how} {'/'.join(map(str, path))} {json.dumps(r)}")
        n += 1
EOF2
total=$(find mutants -name '*.json' | wc -l)
check "hundreds of mutants were made ($total)" test "$total" -gt 300

# The test takes every BAD_PLAN_EVERY-th mutant (ctest: every 2nd, every 8th under the ~10x
# slower sanitizers; run by hand: all), from an offset that changes per run, so runs cover every
# mutant in turn (printed, so a failure can be repeated with BAD_PLAN_OFFSET).
EVERY=${BAD_PLAN_EVERY:-1}
OFFSET=${BAD_PLAN_OFFSET:-$((RANDOM % EVERY))}
[ "$EVERY" = 1 ] || echo "# every ${EVERY}th mutant from offset $OFFSET (BAD_PLAN_OFFSET=$OFFSET to repeat)"
crashed=""
silent=""
i=-1
for f in mutants/*.json; do
  i=$((i + 1))
  [ $((i % EVERY)) = "$OFFSET" ] || continue
  for cmd in plan run; do
    # A mutant the shape check refuses never reaches the runtime; `run` reads plans through the
    # same check, so only mutants that pass it are also run (this halves the test's time).
    if [ "$cmd" = run ] && grep -q "^error: $f: " err.txt; then continue; fi
    timeout -k 5 60 "$MLPC" "$cmd" "$f" --workspace ws > out.txt 2> err.txt
    rc=$?
    if [ "$rc" -gt 2 ]; then
      crashed="$crashed
  $cmd $(cat "${f%.json}.what"): exit $rc $(head -c 300 err.txt)"
    elif [ "$rc" -ne 0 ] && ! grep -q "error" err.txt; then
      silent="$silent
  $cmd $(cat "${f%.json}.what"): exit $rc without an error line"
    fi
  done
done
check_eq "no mutant crashes or hangs mlpc plan/run" "" "$crashed"
check_eq "every failure says why" "" "$silent"
running=$(sqlite3 ws/meta.db "SELECT count(*) FROM runs WHERE status = 'running'")
check_eq "no run is left running" 0 "$running"
check_eq "the database is intact" ok "$(sqlite3 ws/meta.db 'PRAGMA integrity_check')"
finish
