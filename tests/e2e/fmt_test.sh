#!/usr/bin/env bash
# fmt_test.sh — `mlpc fmt` as a user runs it (issue 11): every example and stdlib module is in
# the layout (`--check` passes); the layout is canonical (any amount of extra horizontal
# whitespace and any indentation formats back to the same text); in-place rewriting keeps the
# file's mode; --check prints a diff and changes nothing; a file with syntax errors is never
# touched; usage errors exit 2.
source "$(dirname "$0")/lib.sh" "$@"
REPO=$(cd "$(dirname "$0")/../.." && pwd)

out=$("$MLPC" fmt --check "$REPO/examples" "$REPO/stdlib" 2>&1)
check_eq "every example and stdlib module is formatted" 0 "$?"
check_eq "(nothing printed)" "" "$out"

# Canonical: perturb each file's horizontal whitespace and indentation, format, compare.
P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
n=0
for f in "$REPO"/examples/*/*.mlp "$REPO"/stdlib/std/*.mlp; do
  "$PY" - "$f" messy.mlp <<'EOF'
import random, re, sys
import os
random.seed(os.path.basename(sys.argv[1]))  # the same perturbation wherever the clone lives
out = []
in_triple = False  # inside a """…""" string, whose text is the program's, not layout
for line in open(sys.argv[1]).read().split("\n"):
    was_inside = in_triple
    if line.count('"""') % 2:
        in_triple = not in_triple
    if was_inside:
        out.append(line)
        continue
    # Leave strings and comments alone: only the code before them is perturbed.
    m = re.search(r'"|//|/\*', line)
    code, rest = (line[:m.start()], line[m.start():]) if m else (line, "")
    code = re.sub(r" +", lambda _: " " * random.randint(1, 4), code)
    # Space may follow a separator but must not split a two-character operator (== <= >= !=).
    code = re.sub(r"([,(\[{:]|(?<![=<>!])=)(?=[^\s=])", lambda x: x.group(1) + " " * random.randint(0, 2), code)
    out.append(" " * random.randint(0, 6) + code.lstrip() + rest if line.strip() else line)
open(sys.argv[2], "w").write("\n".join(out))
EOF
  got=$("$MLPC" fmt --stdout messy.mlp 2>&1)
  if [ "$got" == "$(cat "$f")" ]; then n=$((n + 1)); else
    check_eq "messed-up $(basename "$f") formats back" "$(cat "$f")" "$got"
  fi
done
check "every perturbed example formats back to itself ($n files)" test "$n" -ge 15

# In place, keeping the mode; --check changes nothing.
printf 'pipeline p( x:int=1 ) {\n    y=x\n}\n' > a.mlp
cp a.mlp a.orig
chmod 640 a.mlp
out=$("$MLPC" fmt --check a.mlp 2>&1)
check_eq "--check on an unformatted file exits 1" 1 "$?"
check_contains "and prints a unified diff" "@@ -1,3 +1,3 @@" "$out"
check_contains "with the fix" "+pipeline p(x: int = 1) {" "$out"
check "--check changed nothing" cmp -s a.mlp a.orig
out=$("$MLPC" fmt a.mlp 2>&1)
check_eq "fmt rewrites it" 0 "$?"
check_contains "and says so" "formatted a.mlp" "$out"
check_eq "formatted" "pipeline p(x: int = 1) {|  y = x|}" "$(tr '\n' '|' < a.mlp | sed 's/|$//')"
check_eq "the mode is kept" 640 "$(stat -c %a a.mlp)"
check_eq "no temporary file is left" "" "$(ls -A | grep mlpc-fmt)"
out=$("$MLPC" fmt a.mlp 2>&1)
check_eq "formatting again changes nothing and says nothing" "0:" "$?:$out"

# A directory: every .mlp inside, at any depth.
mkdir -p d/sub
printf 'data x : File = file( "x" )\n' > d/sub/b.mlp
printf 'not a program\n' > d/notes.txt
"$MLPC" fmt d > /dev/null 2>&1
check_eq "a directory's files are formatted" 'data x: File = file("x")' "$(cat d/sub/b.mlp)"

# Syntax errors: reported with a position, the file untouched.
printf 'pipeline p( {\n' > bad.mlp
cp bad.mlp bad.orig
out=$("$MLPC" fmt bad.mlp 2>&1)
check_eq "a file with syntax errors exits 1" 1 "$?"
check_contains "with the parser's diagnostic" "bad.mlp:1:13: error[E001]" "$out"
check "and is left as it was" cmp -s bad.mlp bad.orig

# Usage errors.
"$MLPC" fmt missing.mlp > /dev/null 2>&1
check_eq "a missing file exits 2" 2 "$?"
"$MLPC" fmt --stdout a.mlp d/sub/b.mlp > /dev/null 2>&1
check_eq "--stdout with two files exits 2" 2 "$?"
"$MLPC" fmt --check --stdout a.mlp > /dev/null 2>&1
check_eq "--check with --stdout exits 2" 2 "$?"
finish
