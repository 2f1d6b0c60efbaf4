#!/usr/bin/env bash
# terminal_progress_test.sh — `mlpc run` on a terminal (a pseudo-terminal from util-linux's
# `script`): the live status line and a line per finished step; a fully cached re-run reports
# every hit but redraws the status line only now and then, not once per hit; NO_COLOR and a
# pipe still get plain lines.
#
#   tests/e2e/terminal_progress_test.sh build/mlpc
source "$(dirname "$0")/lib.sh" "$@"
command -v script > /dev/null || { echo "terminal_progress_test: needs script (util-linux)" >&2; exit 2; }

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
N=300
{
  echo 'step Work(i: int) -> File {'
  echo '  run = "echo ${i} > ${out}"'
  echo '}'
  echo 'pipeline many() {'
  for i in $(seq 0 $((N - 1))); do echo "  s$i = Work($i)"; done
  echo '}'
} > many.mlp

# on_tty OUT CMD...: runs CMD with stdin, stdout and stderr on a pseudo-terminal, colours on;
# what the terminal received goes to OUT; returns CMD's exit status.
on_tty() {
  local out=$1 cmd
  shift
  printf -v cmd '%q ' "$@"
  env -u NO_COLOR TERM=xterm script -qec "$cmd" /dev/null > "$out" < /dev/null
}

on_tty first.txt "$MLPC" run many.mlp -j 2
check_eq "a run on a terminal succeeds" 0 $?
first=$(cat first.txt)
check_eq "every step that ran is reported with a check mark" "$N" "$(grep -ac '✓' first.txt)"
check_contains "the status line counts what is done" "$N done, 0 running, 0 cached, 0 failed" \
  "$first"
check_contains "the run's summary is printed" "succeeded" "$first"

on_tty again.txt "$MLPC" run many.mlp -j 2
check_eq "a fully cached re-run on a terminal succeeds" 0 $?
again=$(cat again.txt)
check_eq "every hit is reported" "$N" "$(grep -ac '↺' again.txt)"
# The status line (its counts) is drawn at the start, then at most every 50 ms during the burst
# of hits: far fewer times than there are hits.
draws=$(grep -ao ' cached, ' again.txt | wc -l)
check "the status line is redrawn far fewer times than there are hits ($draws for $N)" \
  test "$draws" -lt $((N / 3))
check_not_contains "nothing ran on the re-run" "✓" "$again"

# Not a terminal, or NO_COLOR: one plain line per event, no escape sequences.
out=$("$MLPC" run many.mlp -j 2 2>&1)
check_eq "a re-run into a pipe prints a plain line per hit" "$N" \
  "$(grep -c '^  cached  ' <<< "$out")"
check_not_contains "a pipe gets no escape sequences" $'\x1b[' "$out"
NO_COLOR=1 script -qec "$(printf '%q ' "$MLPC" run many.mlp -j 2)" /dev/null > nocolor.txt < /dev/null
check_not_contains "NO_COLOR on a terminal gets no escape sequences" $'\x1b[' "$(cat nocolor.txt)"

finish
