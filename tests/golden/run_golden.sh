#!/usr/bin/env bash
# Golden tests for the compiler: runs every case under tests/golden and compares what mlpc prints
# with the expected file beside the case.
#
#   tests/golden/run_golden.sh MLPC_BINARY [--update] [FILTER]
#
# Cases (only .mlp files directly inside each folder are cases; subfolders hold helper files):
#   diagnostics/X.mlp  `mlpc check X.mlp` (or `mlpc <X.mlp.args> X.mlp` when X.mlp.args exists);
#                      stderr, then `exit: N`                              -> X.mlp.expected
#   ok/X.mlp           the same with `check --deny-warnings`: a valid program without warnings,
#                      so the expected file is just `exit: 0`
#   json/X.mlp         `mlpc check --diagnostics=json X.mlp` (or the .args); stdout + exit
#                                                                          -> X.mlp.json.expected
#   ast/X.mlp          `mlpc parse X.mlp --dump-ast`; stdout, stderr (if any), exit
#                                                                          -> X.mlp.ast.expected
#   plans/X.mlp        `mlpc compile X.mlp [.args] -o TMP` with TMP in the same folder (FILE comes
#                      first: `--param` would swallow a FILE that follows it); the plan
#                      file, compiled twice and required byte-identical  -> X.mlp.plan.json.expected
#                      and `mlpc export X.mlp [.args] --to TARGET`; stdout, stderr (if any),
#                      exit                                      -> X.mlp.TARGET.expected
#   graph/X.mlp        `mlpc graph X.mlp --format dot|mermaid`; stdout + exit
#                                                  -> X.mlp.dot.expected, X.mlp.mermaid.expected
#   fmt/X.mlp          `mlpc fmt --stdout X.mlp`; stdout, stderr (if any), exit
#                                                                          -> X.mlp.fmt.expected
#                      and, when it exits 0, formatting the expected text again changes nothing
# Every command runs with the case's folder as working directory and the bare file name as its
# argument, with NO_COLOR=1, so paths in the output do not depend on the checkout.
# With --update the expected files are (re)written instead of compared. FILTER (a substring of
# the case path) restricts the run.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 MLPC_BINARY [--update] [FILTER]" >&2
  exit 2
fi
MLPC=$1
shift
UPDATE=0
FILTER=""
for a in "$@"; do
  case $a in
  --update) UPDATE=1 ;;
  *) FILTER=$a ;;
  esac
done
if [ ! -x "$MLPC" ]; then
  echo "error: $MLPC is not an executable" >&2
  exit 2
fi
MLPC=$(cd "$(dirname "$MLPC")" && pwd)/$(basename "$MLPC")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export NO_COLOR=1
export MLP_PATH=${MLP_PATH:-$REPO/stdlib}
unset CLICOLOR_FORCE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlpc-golden.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PASS=0
FAIL=0
FAILED=()

# Absolute paths that mlpc prints (some notes do) depend on the checkout: show them as <repo>.
REPO_PHYS=$(cd "$REPO" && pwd -P)
sed_escape() { printf '%s' "$1" | sed -e 's/[]\\/.^$*[|]/\\&/g'; }
NORMALIZE=(-e "s|$(sed_escape "$REPO_PHYS")|<repo>|g")
[ "$REPO" != "$REPO_PHYS" ] && NORMALIZE+=(-e "s|$(sed_escape "$REPO")|<repo>|g")

# compare NAME EXPECTED_FILE ACTUAL_FILE
compare() {
  local name=$1 expected=$2 actual=$3
  sed "${NORMALIZE[@]}" "$actual" >"$actual.norm" && mv "$actual.norm" "$actual"
  if [ "$UPDATE" = 1 ]; then
    if [ ! -f "$expected" ] || ! cmp -s "$expected" "$actual"; then
      cp "$actual" "$expected"
      echo "updated $name -> ${expected#"$HERE"/}"
    fi
    PASS=$((PASS + 1))
    return
  fi
  if [ -f "$expected" ] && cmp -s "$expected" "$actual"; then
    PASS=$((PASS + 1))
  else
    FAIL=$((FAIL + 1))
    FAILED+=("$name")
    echo "FAIL $name"
    if [ -f "$expected" ]; then
      diff -u --label "expected ${expected#"$HERE"/}" --label actual "$expected" "$actual" | head -n 80
    else
      echo "  (no expected file ${expected#"$HERE"/}; run scripts/update-golden.sh)"
    fi
  fi
}

# The extra command line of a case: the .args file (words split on whitespace), else $2.
case_args() {
  local file=$1 default=$2
  if [ -f "$file.args" ]; then
    tr '\n' ' ' <"$file.args"
  else
    echo "$default"
  fi
}

selected() {
  [ -z "$FILTER" ] || [[ $1 == *"$FILTER"* ]]
}

run_text_cases() { # FOLDER DEFAULT_ARGS: stderr of mlpc
  local dir=$HERE/$1 default=$2 f name args rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    name=$1/$(basename "$f")
    selected "$name" || continue
    args=$(case_args "$f" "$default")
    # shellcheck disable=SC2086
    (cd "$dir" && "$MLPC" $args "$(basename "$f")" >/dev/null 2>"$TMP/out")
    rc=$?
    echo "exit: $rc" >>"$TMP/out"
    compare "$name" "$f.expected" "$TMP/out"
  done
}

run_json_cases() {
  local dir=$HERE/json f name args rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    name=json/$(basename "$f")
    selected "$name" || continue
    args=$(case_args "$f" "check --diagnostics=json")
    # shellcheck disable=SC2086
    (cd "$dir" && "$MLPC" $args "$(basename "$f")" >"$TMP/out" 2>"$TMP/err")
    rc=$?
    if [ -s "$TMP/err" ]; then
      echo "--- stderr" >>"$TMP/out"
      cat "$TMP/err" >>"$TMP/out"
    fi
    echo "exit: $rc" >>"$TMP/out"
    compare "$name" "$f.json.expected" "$TMP/out"
  done
}

run_ast_cases() {
  local dir=$HERE/ast f name rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    name=ast/$(basename "$f")
    selected "$name" || continue
    (cd "$dir" && "$MLPC" parse "$(basename "$f")" --dump-ast >"$TMP/out" 2>"$TMP/err")
    rc=$?
    if [ -s "$TMP/err" ]; then
      echo "--- stderr" >>"$TMP/out"
      cat "$TMP/err" >>"$TMP/out"
    fi
    echo "exit: $rc" >>"$TMP/out"
    compare "$name" "$f.ast.expected" "$TMP/out"
  done
}

run_plan_cases() {
  local dir=$HERE/plans f name args base rc rc2 out1 out2
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    name=plans/$base
    selected "$name" || continue
    args=$(case_args "$f" "")
    # The plan's `base` is relative to the output directory: write it next to the source.
    out1=".$base.$$.1.plan.json"
    out2=".$base.$$.2.plan.json"
    # shellcheck disable=SC2086
    (cd "$dir" && "$MLPC" compile "$base" $args -o "$out1" >/dev/null 2>"$TMP/err")
    rc=$?
    # shellcheck disable=SC2086
    (cd "$dir" && "$MLPC" compile "$base" $args -o "$out2" >/dev/null 2>/dev/null)
    rc2=$?
    if [ $rc -ne 0 ] || [ $rc2 -ne 0 ] || [ ! -f "$dir/$out1" ]; then
      FAIL=$((FAIL + 1))
      FAILED+=("$name")
      echo "FAIL $name: compile exited $rc"
      sed 's/^/  | /' "$TMP/err" | head -n 40
      rm -f "$dir/$out1" "$dir/$out2"
      continue
    fi
    if ! cmp -s "$dir/$out1" "$dir/$out2"; then
      FAIL=$((FAIL + 1))
      FAILED+=("$name (determinism)")
      echo "FAIL $name: two compilations differ"
      diff -u "$dir/$out1" "$dir/$out2" | head -n 40
      rm -f "$dir/$out1" "$dir/$out2"
      continue
    fi
    mv "$dir/$out1" "$TMP/out"
    rm -f "$dir/$out2"
    compare "$name" "$f.plan.json.expected" "$TMP/out"
  done
}

run_graph_cases() {
  local dir=$HERE/graph f name fmt rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    for fmt in dot mermaid; do
      name="graph/$(basename "$f") ($fmt)"
      selected "$name" || continue
      (cd "$dir" && "$MLPC" graph "$(basename "$f")" --format "$fmt" >"$TMP/out" 2>"$TMP/err")
      rc=$?
      if [ -s "$TMP/err" ]; then
        echo "--- stderr" >>"$TMP/out"
        cat "$TMP/err" >>"$TMP/out"
      fi
      echo "exit: $rc" >>"$TMP/out"
      compare "$name" "$f.$fmt.expected" "$TMP/out"
    done
  done
}

run_fmt_cases() {
  local dir=$HERE/fmt f name rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    name="fmt/$(basename "$f")"
    selected "$name" || continue
    (cd "$dir" && "$MLPC" fmt --stdout "$(basename "$f")" >"$TMP/out" 2>"$TMP/err")
    rc=$?
    # Idempotence: the formatted text is already in the layout.
    if [ "$rc" = 0 ]; then
      cp "$TMP/out" "$TMP/again.mlp"
      "$MLPC" fmt --check "$TMP/again.mlp" >"$TMP/again.diff" 2>&1 ||
        { echo "--- not idempotent:"; cat "$TMP/again.diff"; } >>"$TMP/err"
    fi
    if [ -s "$TMP/err" ]; then
      echo "--- stderr" >>"$TMP/out"
      cat "$TMP/err" >>"$TMP/out"
    fi
    echo "exit: $rc" >>"$TMP/out"
    compare "$name" "$f.fmt.expected" "$TMP/out"
  done
}

# Exports of the plan cases: `mlpc export X.mlp [.args] --to TARGET` for each target; stdout,
# stderr (a construct the target cannot express is an error naming it), exit.
run_export_cases() {
  local dir=$HERE/plans f name args target rc
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.mlp; do
    [ -e "$f" ] || continue
    args=$(case_args "$f" "")
    for target in argo sagemaker airflow stepfunctions; do
      name="plans/$(basename "$f") (export $target)"
      selected "$name" || continue
      # shellcheck disable=SC2086
      (cd "$dir" && "$MLPC" export "$(basename "$f")" $args --to "$target" >"$TMP/out" 2>"$TMP/err")
      rc=$?
      if [ -s "$TMP/err" ]; then
        echo "--- stderr" >>"$TMP/out"
        cat "$TMP/err" >>"$TMP/out"
      fi
      echo "exit: $rc" >>"$TMP/out"
      compare "$name" "$f.$target.expected" "$TMP/out"
    done
  done
}

run_text_cases diagnostics check
# Valid programs must also be free of warnings.
run_text_cases ok "check --deny-warnings"
run_json_cases
run_ast_cases
run_plan_cases
run_export_cases
run_graph_cases
run_fmt_cases

if [ ${#FAILED[@]} -gt 0 ]; then
  echo
  echo "failed cases:"
  printf '  %s\n' "${FAILED[@]}"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
