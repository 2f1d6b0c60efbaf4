#!/usr/bin/env bash
# schedule_test.sh — `schedule` declarations run by the agent (`mlpc up`): `every` starts its
# pipeline with its arguments as --param; `on_change` fires when a data file's bytes change
# (not on a touch); `cron` has its next firing in UTC; a schedule whose run is still going skips
# (recorded Skipped); `mlpc schedules` and `schedules show` list it all; the runs are ordinary
# runs (`mlpc runs`, `mlpc show`). Stopping the agent stops a scheduled run (Stopped), and
# kill -9 of the agent leaves no `mlpc run` behind; firings missed while no agent ran are counted
# and reported by the next start, not made up. Polls have deadlines (sanitizer builds).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"

P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
printf 'a\nb\n' > rows.csv
cat > s.mlp <<'EOF2'
step Count(data: File, tag: string, n: int) -> File {
  run = "echo ${tag} ${n} > ${out}; wc -l < ${data} >> ${out}"
}

step Slow(seconds: int) -> File {
  run   = "sleep ${seconds}; echo done > ${out}"
  cache = false
}

data rows: File = file("rows.csv")

pipeline count(tag: string = "a", n: int = 1) {
  _c = Count(data = rows, tag = tag, n = n)
}

pipeline slow(seconds: int = 1) {
  _s = Slow(seconds = seconds)
}

schedule tick {
  run   = count(tag = "tick", n = 2)
  every = 2s
}

schedule nightly {
  run  = count()
  cron = "0 3 * * *"
}

schedule changed {
  run       = count(tag = "data")
  on_change = [rows]
}

schedule busy {
  run   = slow(seconds = 4)
  every = 1s
}
EOF2

fired() { # SCHEDULE STATUS: at least one firing with that status
  "$MLPC" schedules show "$1" --json 2> /dev/null |
    json_get - "len([f for f in j['firings'] if f['status'] == '$2']) > 0" 2> /dev/null |
    grep -q true
}
sched_field() { # SCHEDULE EXPR over its entry in `mlpc schedules --json`
  "$MLPC" schedules --json | json_get - "[s for s in j['schedules'] if s['name'] == '$1'][0]$2"
}

out=$("$MLPC" up s.mlp --pipeline count --detach --port 0 2>&1)
check_eq "up: a program with schedules and no endpoint starts the agent" 0 "$?"
check "every 2s: a run succeeds" wait_for fired tick Succeeded
run=$("$MLPC" schedules show tick --json | json_get - "[f['run_id'] for f in j['firings'] if f['status'] == 'Succeeded'][0]")
check_contains "the firing names its run" "r-" "$run"
"$MLPC" show "$run" --json > show.json
check_eq "the scheduled run is an ordinary run of pipeline count" count "$(json_get show.json 'j["pipeline"]')"
check_eq "with the schedule's arguments as parameters" "tick 2" \
  "$(json_get show.json 'str(j["params"]["tag"]) + " " + str(j["params"]["n"])')"
check_eq "cron: the next firing is 03:00 UTC" 10800 \
  "$(sched_field nightly "['next_at']" | cut -d. -f1 | awk '{print $1 % 86400}')"
check_contains "schedules: the table" 'cron "0 3 * * *"' "$("$MLPC" schedules 2>&1)"
check_contains "schedules: every 2 s" "every 2 s" "$("$MLPC" schedules 2>&1)"

sleep 3 # two polls: nothing changed yet
check_eq "on_change: no firing while the data is unchanged" "" \
  "$("$MLPC" schedules show changed 2> /dev/null)"
touch rows.csv
sleep 5
check_eq "on_change: a touch that changes no byte does not fire" "" \
  "$("$MLPC" schedules show changed 2> /dev/null)"
printf 'a\nb\nc\n' > rows.csv
check "on_change: new bytes fire a run" wait_for fired changed Succeeded
check_contains "on_change: the firing says which data changed" "rows changed" \
  "$("$MLPC" schedules show changed 2>&1)"

check "a schedule whose run is still going skips" wait_for fired busy Skipped
check_contains "the skip says why" "the previous run has not finished" \
  "$("$MLPC" schedules show busy 2>&1)"
# (At most, not exactly: between a run's end and the next firing none is going.)
check_eq "at most one run per schedule at a time" true \
  "$("$MLPC" schedules show busy --json | json_get - "len([f for f in j['firings'] if f['status'] == 'Running']) <= 1")"

"$MLPC" down > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
check "down: the busy schedule's run is recorded Stopped" fired busy Stopped
gone() { [ "$(pgrep -f "run $P/s.mlp" | wc -l)" = 0 ]; }
check "down: no scheduled mlpc run is left" wait_for gone

# kill -9 of the agent while a scheduled run is going: the run dies with it, and the next
# agent records it Stopped.
"$MLPC" up s.mlp --pipeline count --detach --port 0 > /dev/null 2>&1
busy_running() { [ "$(sched_field busy "['running']")" = true ]; }
check "after up again: the busy schedule runs" wait_for busy_running
kill -9 "$(cut -d' ' -f1 "$WS/agent/agent.pid")"
check "kill -9: no scheduled mlpc run is left" wait_for gone
"$MLPC" up s.mlp --pipeline count --detach --port 0 > /dev/null 2>&1
stopped=$("$MLPC" schedules show busy --json | json_get - "len([f for f in j['firings'] if f['status'] == 'Stopped'])")
check "the next agent records the killed run Stopped ($stopped)" test "$stopped" -ge 2
"$MLPC" down > /dev/null 2>&1

# Firings missed while no agent ran are not made up: the next start counts them and says so.
sleep 5
out=$("$MLPC" up s.mlp --pipeline count --detach --port 0 2>&1)
check_contains "up after 5 s down: says the every-2s schedule missed firings" \
  'schedule `tick`: ' "$out"
check_contains "…while no agent ran, not made up" "missed while no agent ran; missed firings are not made up" "$out"
missed=$(sched_field tick "['missed_at_start']")
check "…at least two of them ($missed)" test "$missed" -ge 2
check_eq "the cron schedule missed none (its next firing is 03:00 UTC)" 0 \
  "$(sched_field nightly "['missed_at_start']")"
show=$("$MLPC" schedules show tick 2>&1)
check_contains "schedules show: the missed firings are one Missed row" "Missed" "$show"
check_contains "…saying when the last agent was seen" "the last agent was seen at" "$show"
"$MLPC" down > /dev/null 2>&1

out=$("$MLPC" schedules show nope 2>&1)
check_eq "schedules show of a schedule that never fired: exit 1" 1 "$?"
check_contains "…says so" "never fired" "$out"
out=$("$MLPC" schedules 2>&1)
check_eq "schedules without an agent: exit 1" 1 "$?"
finish
