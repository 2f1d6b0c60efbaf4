#!/usr/bin/env bash
# End-to-end test of `mlpc report`: runs a small pipeline twice (different --param values, so
# the metric charts have two points), approves the version the second run registered, writes
# the second run's report, renders it in headless Chromium and checks what is shown (sections,
# run id, params, one DAG node per plan node, timeline bars, the auc chart with 2 points, the
# registered version with its history and lineage), that the file loads nothing from outside,
# and that a screenshot is a real PNG. Also the CLI's errors: unknown run, unwritable output.
#
#   tests/e2e/report_test.sh build/mlpc
#
# Needs Debian's chromium (/usr/bin/chromium; prints SKIP without it) and python3-sklearn.
# REPORT_TEST_KEEP=DIR copies the report, DOM and screenshot there.
set -euo pipefail

MLPC=${1:?usage: report_test.sh MLPC_BINARY}
MLPC=$(cd "$(dirname "$MLPC")" && pwd)/$(basename "$MLPC")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CHROMIUM=/usr/bin/chromium
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

if [[ ! -x $CHROMIUM ]]; then
  echo "SKIP: $CHROMIUM is not installed (apt-get install -y chromium)"
  exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-report-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export MLP_PATH="$REPO/stdlib" NO_COLOR=1 MLP_ACTOR=report-test
unset MLP_WORKSPACE

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi
}

mkdir -p "$T/proj" "$T/out"
cat >"$T/proj/pipe.mlp" <<'EOF'
// A small pipeline for the report test: load, split, train, evaluate, gate, register.
import "std/sklearn"
import "std/data"

model g {
  approval = manual
  serve    = sklearn.Serve
}

pipeline demo(trees: int = 10, note: string = "plain") {
  raw    = data.LoadExample(name = "breast_cancer", label = "y", rows = 200)
  s      = data.Split(raw, stratify = "y")
  m      = sklearn.Train(data = s.train, label = "y", trees = trees)
  scores = sklearn.Evaluate(model = m, data = s.test, label = "y")
  if scores.auc >= 0.5 {
    register m in g with { metrics: scores, tags: { note: note } }
  }
}
EOF

# Text that must come out as text: markup, quotes and ampersands.
NOTE='<i id="inj">x</i> & "q" '\''s'
COMMENT='looks <b>fine</b> & "ok"'
WS="$T/proj/.mlp"

run_id() { sed -n 's/^run \(r-[0-9a-z-]*\) succeeded.*/\1/p' "$1" | head -n1; }

if "$MLPC" run "$T/proj/pipe.mlp" --param trees=10 >"$T/run1.log" 2>&1; then
  pass "first run succeeds"
else
  fail "first run succeeds"
  cat "$T/run1.log"
fi
sleep 1 # distinct start times, so the chart's order is unambiguous
if "$MLPC" run "$T/proj/pipe.mlp" --param trees=20 --param "note=$NOTE" >"$T/run2.log" 2>&1; then
  pass "second run succeeds"
else
  fail "second run succeeds"
  cat "$T/run2.log"
fi
RUN1=$(run_id "$T/run1.log")
RUN2=$(run_id "$T/run2.log")
if [[ -z $RUN1 || -z $RUN2 ]]; then
  echo "cannot find the run ids in the logs"
  cat "$T/run1.log" "$T/run2.log"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
fi
check "approve the second run's version" \
  "$MLPC" models --workspace "$WS" approve g 2 --comment "$COMMENT"

# The report, by a unique prefix of the run id, with --workspace and -o.
HTML="$T/out/report.html"
if "$MLPC" report "${RUN2:0:20}" --workspace "$WS" -o "$HTML" >"$T/report.log" 2>&1; then
  pass "mlpc report writes the page"
else
  fail "mlpc report writes the page"
  cat "$T/report.log"
fi
check "the report is there" test -s "$HTML"
check "no temporary file is left beside it" \
  bash -c '[[ $(ls -A "$1" | wc -l) -eq 1 ]]' _ "$T/out"
check "the report names the run" grep -q "$RUN2" "$HTML"

# Default output name, and the workspace found from the current directory.
check "default output is report-RUN.html" \
  bash -c 'cd "$1" && "$2" report "$3" && test -s "report-$3.html"' _ "$T/proj" "$MLPC" "$RUN1"

# Errors.
set +e
"$MLPC" report r-19990101-nope --workspace "$WS" -o "$T/out/x.html" >/dev/null 2>"$T/err1"
code1=$?
"$MLPC" report "$RUN2" --workspace "$WS" -o "$T/missing/dir/x.html" >/dev/null 2>"$T/err2"
code2=$?
"$MLPC" report "$RUN2" --workspace "$WS" -o "$T/out" >/dev/null 2>"$T/err3"
code3=$?
"$MLPC" report r- --workspace "$WS" >/dev/null 2>"$T/err4"
code4=$?
set -e
check "unknown run: exit 2 with a clear error" \
  bash -c '[[ $1 -eq 2 ]] && grep -q "error: no run matches" "$2"' _ "$code1" "$T/err1"
check "missing output directory: exit 2 with a clear error" \
  bash -c '[[ $1 -eq 2 ]] && grep -q "cannot write the report" "$2" && grep -q "does not exist" "$2"' \
  _ "$code2" "$T/err2"
check "output is a directory: exit 2" \
  bash -c '[[ $1 -eq 2 ]] && grep -q "is a directory" "$2"' _ "$code3" "$T/err3"
check "ambiguous prefix: exit 2 listing the runs" \
  bash -c '[[ $1 -eq 2 ]] && grep -q "ambiguous" "$2"' _ "$code4" "$T/err4"
check "nothing written on errors" test ! -e "$T/out/x.html"

# Render it.
chromium() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@" 2>>"$T/chromium.log"
}
if chromium --dump-dom "file://$HTML" >"$T/dom.html" && [[ -s $T/dom.html ]]; then
  pass "chromium renders the report"
else
  fail "chromium renders the report"
  tail -n 20 "$T/chromium.log"
fi
chromium --window-size=1280,2400 --screenshot="$T/shot.png" "file://$HTML" >/dev/null || true
check "screenshot is a PNG over 10 KB" bash -c \
  '[[ $(head -c 8 "$1" | od -An -tx1 | tr -d " \n") == 89504e470d0a1a0a && $(stat -c %s "$1") -gt 10240 ]]' \
  _ "$T/shot.png"

STEPS=$("$MLPC" show "$RUN2" --workspace "$WS" --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))')
check "the run has 4 steps" test "$STEPS" -eq 4
"$PY" "$HERE/report_check.py" --dom "$T/dom.html" --html "$HTML" \
  --plan "$WS/runs/$RUN2/plan.json" --run "$RUN2" --prev "$RUN1" --steps "$STEPS" \
  --note "$NOTE" --comment "$COMMENT" --group g --version 2 >"$T/check.log" || true
cat "$T/check.log"
passed=$((passed + $(grep -c '^PASS' "$T/check.log" || true)))
failed=$((failed + $(grep -c '^FAIL' "$T/check.log" || true)))
[[ -s $T/check.log ]] || fail "report_check.py ran"

if [[ -n ${REPORT_TEST_KEEP:-} ]]; then
  mkdir -p "$REPORT_TEST_KEEP"
  cp "$HTML" "$T/dom.html" "$T/shot.png" "$REPORT_TEST_KEEP/" 2>/dev/null || true
  echo "kept the report, DOM and screenshot in $REPORT_TEST_KEEP"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
