# shellcheck shell=bash
# tests/e2e/lib.sh — what the end-to-end scripts share. Source it first thing:
#
#   source "$(dirname "$0")/lib.sh" "$@"     # $1: the mlpc binary
#
# It sets MLPC (absolute), T (a fresh private directory, removed on exit), PY (/usr/bin/python3,
# the interpreter with sklearn), and gives check helpers that count results. End with `finish`,
# which prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

MLPC=${1:-${MLPC:-}}
if [ -z "$MLPC" ] || [ ! -x "$MLPC" ]; then
  echo "usage: $0 path/to/mlpc" >&2
  exit 2
fi
case "$MLPC" in /*) ;; *) MLPC="$PWD/$MLPC" ;; esac
export MLPC
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
export MLP_PATH=${MLP_PATH:-$ROOT/stdlib}
export NO_COLOR=1
unset MLP_WORKSPACE
PY=/usr/bin/python3

T=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-e2e-$(basename "$0" .sh)-XXXXXX")
E2E_KEEP=${E2E_KEEP:-0}
e2e_cleanup() {
  local pids
  mapfile -t pids < <(jobs -p)
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  if [ "$E2E_KEEP" = 1 ]; then
    echo "(kept $T)" >&2
  else
    chmod -R u+w "$T" 2>/dev/null
    rm -rf "$T"
  fi
}
trap e2e_cleanup EXIT

# No internal exception text may reach a user (issue 7 item 2): a raw nlohmann error
# (`[json.exception.type_error.302] …`) or a C++ terminate message (`what():`) means an error
# escaped without being put in user terms. `finish` fails the test when such text appears in
# anything the test saw: what it printed (stdout and stderr are copied to $T/.e2e-stdout and
# $T/.e2e-stderr), every file it left under $T (outputs redirected to files, workspaces, step
# logs), and every value given to a check helper (outputs captured in variables).
E2E_LEAK_RE='json\.exception|what\(\):'
E2E_LEAKS=()
exec {E2E_STDOUT}>&1 {E2E_STDERR}>&2
exec > >(tee -a "$T/.e2e-stdout" >&"$E2E_STDOUT") 2> >(tee -a "$T/.e2e-stderr" >&"$E2E_STDERR")
e2e_scan_value() { # WHERE TEXT
  if [[ "$2" =~ $E2E_LEAK_RE ]]; then
    E2E_LEAKS+=("$1: $(grep -aE -m1 "$E2E_LEAK_RE" <<< "$2" | cut -c1-200)")
  fi
}
e2e_scan_files() {
  # The copies of stdout and stderr are written by `tee` processes: wait until a marker line
  # printed now has reached each copy, so nothing printed before is missed.
  local marker="# e2e: output scanned for leaked exception text ($$)" i f
  echo "$marker"
  echo "$marker" >&2
  for i in $(seq 1 100); do
    grep -qsF "$marker" "$T/.e2e-stdout" && grep -qsF "$marker" "$T/.e2e-stderr" && break
    sleep 0.05
  done
  while IFS= read -r -d '' f; do
    E2E_LEAKS+=("${f#"$T"/}: $(grep -aE -m1 "$E2E_LEAK_RE" "$f" | cut -c1-200)")
  done < <(grep -rlaEZ "$E2E_LEAK_RE" "$T" 2> /dev/null)
}

PASSED=0
FAILED=0
ok() {
  PASSED=$((PASSED + 1))
  echo "ok   - $*"
}
not_ok() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $*"
}
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
  e2e_scan_value "$1" "$3"
  if [ "$2" == "$3" ]; then
    ok "$1"
  else
    not_ok "$1: expected [$2], got [$3]"
  fi
}
# check_contains DESCRIPTION NEEDLE HAYSTACK
check_contains() {
  e2e_scan_value "$1" "$3"
  if [[ "$3" == *"$2"* ]]; then
    ok "$1"
  else
    not_ok "$1: [$2] not in output:"
    printf '%s\n' "$3" | sed 's/^/       | /' | head -40
  fi
}
check_not_contains() {
  e2e_scan_value "$1" "$3"
  if [[ "$3" != *"$2"* ]]; then
    ok "$1"
  else
    not_ok "$1: [$2] unexpectedly in output:"
    printf '%s\n' "$3" | sed 's/^/       | /' | head -40
  fi
}
# known_bug DESCRIPTION: a check that fails because of a reported bug; counted apart, not failing.
KNOWN=0
known_bug() {
  KNOWN=$((KNOWN + 1))
  echo "KNOWN_BUG - $*"
}
finish() {
  local extra="" leak
  e2e_scan_files
  if [ ${#E2E_LEAKS[@]} -eq 0 ]; then
    ok "no output contains internal exception text"
  else
    for leak in "${E2E_LEAKS[@]}"; do
      not_ok "internal exception text reached the user: $leak"
    done
  fi
  [ "$KNOWN" -gt 0 ] && extra=" ($KNOWN known bugs)"
  echo "$PASSED passed, $FAILED failed$extra"
  [ "$FAILED" -eq 0 ]
  exit $?
}

# json_get FILE EXPR: evaluates a Python expression over `j` (the parsed JSON of FILE, or of
# stdin when FILE is -) and prints the result (lists and sets one per line, sorted).
json_get() {
  "$PY" -c '
import json, sys
src = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])
text = src.read()
try:
    j = json.loads(text)
except ValueError:
    j = [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]
v = eval(sys.argv[2], {"j": j, "json": json})
if isinstance(v, (list, set, tuple)):
    for x in sorted(map(str, v)):
        print(x)
elif isinstance(v, bool):
    print("true" if v else "false")
elif v is not None:
    print(v)' "$1" "$2"
}

# From the --json events of `mlpc run` (one object per line): the nodes that ran / were cached,
# sorted and joined by spaces.
events_nodes() { # FILE EVENT
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
nodes = set()
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e.get("event") == sys.argv[2] and "node" in e:
        nodes.add(e["node"])
print(" ".join(sorted(nodes)))
PYEOF
}
run_id_of() { # FILE: the run id from the run_finished event
  "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    if l.startswith("{"):
        e = json.loads(l)
        if e.get("event") == "run_finished": print(e.get("run", ""))' "$1"
}

# need TOOL...: skips the whole script (successfully, saying why) when a tool is missing.
need() {
  local t
  for t in "$@"; do
    if ! command -v "$t" > /dev/null 2>&1; then
      echo "# skipped: needs $t"
      echo "0 passed, 0 failed"
      exit 0
    fi
  done
}

# sha256 of a file, lower-case hex.
sha() { sha256sum "$1" | cut -d' ' -f1; }
