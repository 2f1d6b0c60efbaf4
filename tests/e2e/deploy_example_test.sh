#!/usr/bin/env bash
# deploy_example_test.sh — examples/deploy/run.sh runs end to end as a user would: it trains,
# serves every endpoint of deploy.mlp, answers real-time, serverless and async requests, traces
# an endpoint's model to its data, rolls version 2 out by itself, and leaves no process behind.
source "$(dirname "$0")/lib.sh" "$@"

if ! "$PY" -c 'import sklearn' 2> /dev/null; then
  echo "# skipped: $PY cannot import sklearn (apt install python3-sklearn)"
  echo "0 passed, 0 failed"
  exit 0
fi
export TMPDIR=$T
out=$(MLPC=$MLPC bash "$ROOT/examples/deploy/run.sh" 2>&1)
rc=$?
check_eq "run.sh: exit 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -40 | sed 's/^/    | /'
check_contains "version 1 registered" "registered iris version 1" "$out"
check_contains "up lists the autoscaled endpoint" "autoscale 1-4 at 600/inst/min" "$out"
check_contains "the serverless endpoint starts scaled to zero" "none (scaled to zero)" "$out"
n=$(grep -c '^prediction,probability' <<< "$out")
check_eq "real-time, serverless and async requests answered" 3 "$n"
check_contains "lineage of the endpoint reaches the data" "made by raw (std/data.LoadExample)" "$out"
check_contains "version 2 is rolled out by itself" "automatic: iris.latest is now version 2" "$out"
check_contains "iris_simple ends on version 2" "iris_simple: InService (realtime), traffic v2 100%" "$out"
check_contains "down stops the agent" "stopped the agent" "$out"
check_eq "no process of the example is left" 0 "$(pgrep -f "$T/mlpc-deploy-example" | wc -l)"
check_eq "its temporary directory is removed" 0 "$(find "$T" -maxdepth 1 -name 'mlpc-deploy-example.*' | wc -l)"
finish
