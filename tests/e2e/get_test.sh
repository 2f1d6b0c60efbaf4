#!/usr/bin/env bash
# get_test.sh — getting artifacts out of the store: `mlpc cat REF` prints a file artifact,
# `mlpc get REF -o PATH` copies a file or a directory out, for every kind of reference
# (RUN:step.output, RUN:step, a hash prefix, GROUP@N); and each bad reference or destination
# is a clear error that writes nothing.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > g.mlp <<'EOF2'
model m {
  approval = auto
}

step Make(n: int) -> (table: Dataset<csv>, notes: File) {
  run = "printf 'x,y\\n%s,2\\n' ${n} > ${table}; echo note ${n} > ${notes}"
}

step Tree(n: int) -> Dir {
  run = "mkdir -p ${out}/sub; echo a ${n} > ${out}/a.txt; echo b > ${out}/sub/b.txt"
}

step Train(t: Dataset<csv>) -> (model: Model<sklearn>) {
  run = "cat ${t} > ${model}; echo trained >> ${model}"
}

pipeline p(n: int = 7) {
  mk = Make(n)
  tr = Tree(n)
  fit = Train(mk.table)
  register fit in m
}
EOF2
"$MLPC" run g.mlp > run.out 2>&1
check_eq "the run succeeds" 0 "$?"
RUN=$("$MLPC" runs -n 1 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

out=$("$MLPC" cat "$RUN:mk.table")
check_eq "cat RUN:step.output prints the file" "$(printf 'x,y\n7,2')" "$out"
out=$("$MLPC" cat "$RUN:fit")
check_eq "cat RUN:step works when the step has one output" "$(printf 'x,y\n7,2\ntrained')" "$out"
out=$("$MLPC" cat m@1)
check_eq "cat GROUP@N prints the registered model" "$(printf 'x,y\n7,2\ntrained')" "$out"
H=$(printf 'note 7\n' | sha256sum | cut -c1-12)
out=$("$MLPC" cat "$H")
check_eq "cat HASH-PREFIX prints the artifact" "note 7" "$out"

"$MLPC" get "$RUN:mk.notes" -o notes.txt > get.out 2>&1
check_eq "get a file: exit 0" 0 "$?"
check_eq "get a file: the bytes" "note 7" "$(cat notes.txt)"
check_contains "get a file: says what it wrote" "wrote notes.txt (File," "$(cat get.out)"
check "get a file: the copy is writable" test -w notes.txt

"$MLPC" get "$RUN:tr" -o tree > get.out 2>&1
check_eq "get a directory: exit 0" 0 "$?"
check_eq "get a directory: its files" "a 7|b" "$(cat tree/a.txt)|$(cat tree/sub/b.txt)"
check "get a directory: the copy is writable" test -w tree/sub

"$MLPC" get "$RUN:mk.notes" -o notes.txt > get.out 2>&1
check_eq "get onto an existing path: exit 2" 2 "$?"
check_contains "and says to pass --force" "exists; pass --force" "$(cat get.out)"
echo changed > notes.txt
"$MLPC" get "$RUN:mk.notes" -o notes.txt --force > get.out 2>&1
check_eq "get --force replaces it" "note 7" "$(cat notes.txt)"

"$MLPC" get "$RUN:mk.notes" -o no/such/dir/x > get.out 2>&1
check_eq "get into a missing directory: exit 2" 2 "$?"
check_contains "and names it" "does not exist" "$(cat get.out)"

"$MLPC" cat "$RUN:tr" > cat.out 2>&1
check_eq "cat of a directory: exit 2" 2 "$?"
check_contains "and points at get" "mlpc get $RUN:tr -o DIR" "$(cat cat.out)"

"$MLPC" cat "$RUN:mk.nope" > cat.out 2>&1
check_eq "an unknown output: exit 2" 2 "$?"
check_contains "and lists the outputs" "its outputs: " "$(cat cat.out)"
"$MLPC" cat "$RUN:mkk" > cat.out 2>&1
check_contains "an unknown step: did you mean" "did you mean \`mk\`" "$(cat cat.out)"
"$MLPC" cat m@9 > cat.out 2>&1
check_eq "an unknown version: exit 2" 2 "$?"
"$MLPC" cat ffffffffffff > cat.out 2>&1
check_eq "an unknown hash: exit 2" 2 "$?"

# Bytes gone from the store: the error says so, instead of printing nothing.
F=$(find .mlp/objects -type f | while read -r f; do [ "$(cat "$f")" = "note 7" ] && echo "$f"; done)
chmod u+w "$(dirname "$F")"
rm -f "$F"
"$MLPC" cat "$H" > cat.out 2>&1
check_eq "a missing object: exit 2" 2 "$?"
check_contains "and says its bytes are gone" "its bytes are not in the store" "$(cat cat.out)"

cd "$T" || exit 2
"$MLPC" cat "$RUN:mk.table" > cat.out 2>&1
check_eq "outside a workspace: exit 2" 2 "$?"
check_contains "and says there is no workspace" "no workspace here" "$(cat cat.out)"
out=$("$MLPC" cat "$RUN:mk.table" --workspace "$P/.mlp")
check_eq "--workspace finds it from elsewhere" "$(printf 'x,y\n7,2')" "$out"

finish
