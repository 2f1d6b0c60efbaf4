# shellcheck shell=bash
# tests/e2e/deploy_lib.sh — what the deployment tests share (after lib.sh): a project that
# trains and registers a small iris classifier with the stdlib, and cleanup that stops the
# agent and checks no server outlives it.
#
#   deploy_project DIR   writes DIR/serve.mlp (endpoints iris_api, 2 instances, all requests
#                        captured, and iris_pinned
#                        at a version that does not exist) and runs its pipeline once
#   wait_for CMD…        retries CMD for up to 20 s; its status
#   wait_for_long CMD…   the same for up to 90 s (autoscaling follows a 10 s load window)

IRIS_CSV=$'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3'

DEPLOY_WS=()
deploy_cleanup() {
  local ws
  for ws in "${DEPLOY_WS[@]}"; do
    "$MLPC" down --workspace "$ws" > /dev/null 2>&1
    pkill -9 -f "$ws" 2> /dev/null
  done
  e2e_cleanup
}
trap deploy_cleanup EXIT

deploy_project() { # DIR
  mkdir -p "$1"
  cat > "$1/serve.mlp" <<'EOF2'
import "std/sklearn"
import "std/data"

model iris {
  approval = auto
  serve    = sklearn.Serve
}

pipeline train_iris(trees: int = 5) {
  raw    = data.LoadExample(name = "iris", label = "species")
  split  = data.Split(raw, test_fraction = 0.3, stratify = "species")
  m      = sklearn.Train(data = split.train, label = "species", trees = trees)
  scores = sklearn.Evaluate(model = m, data = split.test, label = "species")
  register m in iris with { metrics: scores, tags: { trees: "${trees}" } }
}

endpoint iris_api {
  model     = iris.latest
  instances = 2
  capture   = 100%
}

endpoint iris_pinned {
  model = iris.version(7)
}
EOF2
  DEPLOY_WS+=("$1/.mlp")
  (cd "$1" && "$MLPC" run serve.mlp > run.out 2>&1)
}

wait_for() {
  local i
  for i in $(seq 1 200); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

wait_for_long() {
  local i
  for i in $(seq 1 900); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
