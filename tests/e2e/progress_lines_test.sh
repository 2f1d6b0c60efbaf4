#!/usr/bin/env bash
# progress_lines_test.sh — `mlpc run` into a file or a pipe holds its progress lines back only
# while it has more to do at once: every line of what happened so far is out before the run
# waits for a process, both the plain lines (stderr) and the `--json` events (stdout), and every
# line comes before the run's summary.
#
#   tests/e2e/progress_lines_test.sh build/mlpc
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
N=200
# N quick steps, then one that waits until the test lets it go (or 30 s at most).
{
  echo 'step Work(i: int) -> File {'
  echo '  run = "echo ${i} > ${out}"'
  echo '}'
  echo 'step Slow(x: File, tag: string) -> File {'
  echo "  run = \"touch $T/\${tag}.started; for i in \$(seq 300); do [ -e $T/\${tag}.go ] && break; sleep 0.1; done; cat \${x} > \${out}\""
  echo '}'
  echo 'pipeline lines(tag: string = "a") {'
  for i in $(seq 0 $((N - 1))); do echo "  s$i = Work($i)"; done
  echo "  slow = Slow(s$((N - 1)), tag)"
  echo '}'
} > lines.mlp

# wait_for FILE: up to 30 s for FILE to exist.
wait_for() {
  for _ in $(seq 1 300); do
    [ -e "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# lines_while_waiting TAG OUT ERR ARGS...: starts a run, and once its slow step runs (the run
# is waiting for it) and its start is reported (the last line before the wait; at most 30 s, the
# step waits for the test that long) copies what the run has printed so far to OUT.mid and
# ERR.mid. A run that held its lines back while waiting never shows that line here.
lines_while_waiting() {
  local tag=$1 out=$2 err=$3 pid
  shift 3
  "$MLPC" run lines.mlp --param tag="$tag" -j 2 "$@" > "$out" 2> "$err" &
  pid=$!
  wait_for "$T/$tag.started" || { not_ok "the slow step of run $tag started"; kill "$pid"; return; }
  for _ in $(seq 1 300); do
    grep -qE '^  start   slow |"event":"started","node":"slow"' "$out" "$err" && break
    sleep 0.1
  done
  cp "$out" "$out.mid"
  cp "$err" "$err.mid"
  touch "$T/$tag.go"
  wait "$pid"
  check_eq "run $tag succeeds" 0 $?
}

# A first run: every quick step ran, and is reported while the slow one still runs.
lines_while_waiting a out.txt err.txt
check_eq "while the run waits, every step that finished is reported" "$N" \
  "$(grep -c '^  done    s' err.txt.mid)"
check_eq "while the run waits, the step it waits for is reported as started" 1 \
  "$(grep -c '^  start   slow ' err.txt.mid)"
check_eq "the slow step is reported once it is done" 1 "$(grep -c '^  done    slow ' err.txt)"
check "the summary is the last line but one, after every progress line" \
  grep -q '^run .* succeeded: 201 ran, 0 cached' <(tail -2 err.txt | head -1)

# A re-run with a new tag: the quick steps are cache hits, a burst of N lines.
lines_while_waiting b out.txt err.txt
check_eq "while the run waits, every cache hit is reported" "$N" \
  "$(grep -c '^  cached  s' err.txt.mid)"
check_eq "... and the step it waits for as started" 1 "$(grep -c '^  start   slow ' err.txt.mid)"

# The same with --json: events on stdout, the run_finished event last.
lines_while_waiting c out.json err.json --json
check_eq "--json: while the run waits, every cache hit is an event" "$N" \
  "$(grep -c '"event":"cached"' out.json.mid)"
check_eq "--json: ... and the slow step's start" 1 \
  "$(grep -c '"event":"started","node":"slow"' out.json.mid)"
check_eq "--json: every line is an event" "$(wc -l < out.json)" "$(grep -c '^{"event":' out.json)"
check_contains "--json: run_finished is the last event" '"event":"run_finished"' \
  "$(tail -1 out.json)"
check_eq "--json: nothing on stderr" "" "$(cat err.json)"

finish
