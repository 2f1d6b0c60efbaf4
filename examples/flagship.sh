#!/usr/bin/env bash
# examples/flagship.sh — walk through the flagship example (examples/churn/churn.mlp):
# type-check it, compile its pipeline to a plan, and summarise the plan; run it, look at the runs,
# the registry, lineage, a reproduction and the report; then serve the approved version with
# `mlpc up`, send it a request, trace the endpoint back to its data, and stop the agent.
#
#   examples/flagship.sh            uses ./build/mlpc (made by ./setup.sh)
#   MLPC=path/to/mlpc examples/flagship.sh
#
# Output goes to $MLPC_EXAMPLE_DIR (default: <build dir>/example). Exit status: non-zero as
# soon as a step fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
case "$MLPC" in /*) ;; *) MLPC="$PWD/$MLPC" ;; esac
if [ ! -x "$MLPC" ]; then
  echo "flagship.sh: no mlpc at $MLPC (run ./setup.sh first, or set MLPC=...)" >&2
  exit 2
fi
PROGRAM=$ROOT/examples/churn/churn.mlp
OUT=${MLPC_EXAMPLE_DIR:-$(dirname "$MLPC")/example}
mkdir -p "$OUT"
PLAN=$OUT/churn.plan.json
PY=/usr/bin/python3

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  section() { printf '\n== %s\n' "$*"; }
fi

section "The program: examples/churn/churn.mlp (pipeline train_churn)"
sed -n '/^pipeline train_churn/,/^}/p' "$PROGRAM"

section "1. Type-check: mlpc check"
( cd "$ROOT" && "$MLPC" check examples/churn/churn.mlp )

section "2. Compile to a plan: mlpc compile --param trees=50"
( cd "$ROOT" && "$MLPC" compile examples/churn/churn.mlp --param trees=50 -o "$PLAN" )

section "3. What the plan holds ($PLAN)"
"$PY" - "$PLAN" <<'PYEOF'
import json, sys

plan = json.load(open(sys.argv[1]))
p = plan["pipeline"]
print("format %s v%s, compiled by mlpc %s" % (plan["format"], plan["version"], plan["mlpc_version"]))
print("pipeline %s(%s)" % (p["name"], ", ".join(
    "%s: %s = %s" % (x["name"], x["type"], json.dumps(x["value"])) for x in p["params"])))

def walk(nodes, depth=0):
    for n in nodes:
        pad = "  " * (depth + 1)
        kind = n["kind"]
        if kind == "call":
            print("%s%-8s %-22s step %s" % (pad, kind, n["id"], n["step"]))
        elif kind == "if":
            print("%s%-8s %s" % (pad, kind, n["id"]))
            print("%s  then:" % pad); walk(n["then"], depth + 2)
            print("%s  else:" % pad); walk(n["else"], depth + 2)
        elif kind == "for":
            print("%s%-8s %s over %s" % (pad, kind, n["id"], json.dumps(n["over"])))
            walk(n["body"], depth + 1)
        elif kind == "register":
            print("%s%-8s %-22s into model group %s" % (pad, kind, n["id"], n["group"]))
        else:
            print("%s%-8s %s" % (pad, kind, n["id"]))

print("nodes:")
walk(plan["nodes"])
print("edges: " + ", ".join("%s -> %s" % (a, b) for a, b in plan["edges"]))
print("step definitions: " + ", ".join(sorted(plan["steps"])))
print("servers: " + ", ".join(sorted(plan["servers"])))
for k in ("models", "endpoints", "monitors", "schedules"):
    print("%s: %s" % (k, ", ".join(sorted(plan.get(k, {}))) or "-"))
PYEOF

section "4. The DAG (mlpc graph --format mermaid)"
( cd "$ROOT" && "$MLPC" graph examples/churn/churn.mlp --format mermaid )

# ==============================================================================================
# RUNTIME SECTION — run the pipeline, then look at the run, its lineage and the registry.
# (Owned by the runtime: extend it as `mlpc run`, `runs`, `show`, `lineage`, `models` land.)
# Available here: $MLPC, $ROOT, $PROGRAM, $PLAN, $OUT and the `section` helper.
# ==============================================================================================
# A fresh workspace for the walk-through, so it always starts from version 1.
WS=$OUT/workspace
rm -rf "$WS"
export MLP_WORKSPACE=$WS
# run_id: the newest run's id, from `mlpc runs --json`.
run_id() { "$MLPC" runs --json --limit 1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

section "5. Run the pipeline for real: mlpc run --param trees=50 (-j 2, real sklearn)"
( cd "$ROOT" && "$MLPC" run examples/churn/churn.mlp --param trees=50 -j 2 )
RUN1=$(run_id)

section "6. Change one parameter: only the steps it reaches run again (the rest is cached)"
( cd "$ROOT" && "$MLPC" plan examples/churn/churn.mlp --param trees=120 )
( cd "$ROOT" && "$MLPC" run examples/churn/churn.mlp --param trees=120 -j 2 )
RUN2=$(run_id)

section "7. What happened in the first run: mlpc show $RUN1"
"$MLPC" show "$RUN1"

section "8. The registry: both versions wait for approval; approve the first"
"$MLPC" models
"$MLPC" models approve churn 1 --comment "AUC checked on the held-out split" --actor flagship
"$MLPC" models show churn 1

section "9. Experiments: runs sorted by AUC, and the two runs side by side"
"$MLPC" runs --pipeline train_churn --sort auc
"$MLPC" compare "$RUN1" "$RUN2"

section "10. Lineage: which data, code, params and command made churn version 1?"
"$MLPC" lineage churn@1

section "11. Reproduce churn version 1 from its recorded plan, params and input bytes"
"$MLPC" reproduce churn@1 -j 2

section "12. A self-contained HTML report of the first run"
"$MLPC" report "$RUN1" -o "$OUT/report.html"
echo "open $OUT/report.html in a browser"

section "13. Serve the approved version: mlpc up runs endpoint churn_api (and the monitor, the schedule)"
( cd "$ROOT" && "$MLPC" up examples/churn/churn.mlp --detach --port 0 )
# However the walk-through ends from here, the agent and its servers stop with it.
trap '"$MLPC" down > /dev/null 2>&1 || true' EXIT
# One row of the dataset the model was trained on (its 30 features, without the label).
ROW=$("$PY" -c 'from sklearn.datasets import load_breast_cancer as l; print(",".join(map(str, l().data[-1])))')
echo "invoke churn_api with one row:"
"$MLPC" invoke churn_api --data "$ROW"
"$MLPC" endpoints

section "14. Lineage from the endpoint: which data trained the model serving on churn_api?"
"$MLPC" lineage endpoint:churn_api

section "15. Stop the agent: mlpc down"
"$MLPC" down
trap - EXIT

section "done: workspace $WS"
