#!/usr/bin/env bash
# verify_test.sh — `mlpc verify` checks a workspace like `git fsck`:
#   * a clean workspace exits 0 (also found from a subdirectory), and --json has its shape;
#   * a flipped byte in an object: exit 1, the object and the run/step that use it are named,
#     and --repair leaves it alone (it is referenced);
#   * a deleted object: exit 1 naming it and its users; --repair does not "fix" it;
#   * unused objects (a file and a directory) and an abandoned staging entry are reported as
#     unused, exit 0, and --repair removes them (not a young staging entry, not anything
#     referenced); a second verify is clean;
#   * --repair removes nothing while a run holds the workspace;
#   * damaged metadata: a row whose run is gone, a dropped index, a stray file in objects/, an
#     unreadable meta.db (and then --repair removes no object);
#   * not a workspace: a clear error, exit 2, and nothing is created.
source "$(dirname "$0")/lib.sh" "$@"
need sqlite3 sha256sum

P=$T/proj
mkdir -p "$P/sub"
cd "$P" || exit 2
printf 'x,y\n1,0\n2,1\n' > data.csv
printf '#!/bin/sh\n{ cat "$1"; echo "seed $2"; } > "$3"\n' > train.sh
cat > v.mlp <<'EOF2'
data raw: Dataset<csv> = file("data.csv")

model churn {
  approval = auto
}

step Train(data: Dataset<csv>, seed: int) -> (model: Model<sklearn>) {
  code = ["train.sh"]
  run  = "sh train.sh ${data} ${seed} ${model}"
}

step Eval(m: Model<sklearn>) -> (report: File) {
  run = "cat ${m} > ${report}; echo evaluated >> ${report}"
}

step Shards(m: Model<sklearn>) -> (parts: Dir) {
  run = "mkdir -p ${parts}/a && cat ${m} > ${parts}/a/one && echo two > ${parts}/two"
}

step Slow(seconds: int) -> File {
  run = "sleep ${seconds}; echo slept > ${out}"
}

pipeline p(seed: int = 1) {
  train = Train(raw, seed)
  ev = Eval(train)
  sh = Shards(train)
  register train in churn
}

pipeline slow(seconds: int = 3) {
  s = Slow(seconds)
}
EOF2

no_internal_text() { # NAME FILE
  check_not_contains "$1: no internal exception text" "json.exception" "$(cat "$2")"
  check_not_contains "$1: no what()" "what():" "$(cat "$2")"
}

# --- not a workspace: a clear error, exit 2, nothing created.
mkdir -p "$T/empty"
(cd "$T/empty" && "$MLPC" verify > "$T/nows.out" 2>&1)
check_eq "no workspace here: exit 2" 2 "$?"
check_contains "no workspace here: says so" "no workspace here" "$(cat "$T/nows.out")"
"$MLPC" verify --workspace "$T/empty" > "$T/nows2.out" 2>&1
check_eq "--workspace that is not one: exit 2" 2 "$?"
check_contains "--workspace that is not one: names it" "no workspace at $T/empty: it has no meta.db" \
  "$(cat "$T/nows2.out")"
check_eq "--workspace that is not one: nothing is created in it" "" "$(ls -A "$T/empty")"
"$MLPC" verify --workspace "$T/nonexistent" > "$T/nows3.out" 2>&1
check_eq "--workspace that does not exist: exit 2" 2 "$?"
check_contains "--workspace that does not exist: says so" "no such directory" "$(cat "$T/nows3.out")"
check "--workspace that does not exist: not created" test ! -e "$T/nonexistent"
"$MLPC" verify --help > "$T/help.out" 2>&1
check_contains "verify --help documents --repair" "--repair" "$(cat "$T/help.out")"

# --- a clean workspace.
"$MLPC" run v.mlp --pipeline p --json > "$T/run1.json" 2> "$T/run1.err"
check_eq "the pipeline runs" 0 "$?"
RUN=$(run_id_of "$T/run1.json")
"$MLPC" verify > "$T/clean.out" 2>&1
check_eq "clean workspace: exit 0" 0 "$?"
check_contains "clean workspace: says intact" "the workspace is intact" "$(cat "$T/clean.out")"
check_not_contains "clean workspace: nothing unused" "unused:" "$(cat "$T/clean.out")"
(cd sub && "$MLPC" verify > "$T/sub.out" 2>&1)
check_eq "found from a subdirectory: exit 0" 0 "$?"
"$MLPC" verify --json > "$T/clean.json" 2> "$T/clean.err"
check_eq "--json: exit 0" 0 "$?"
check_eq "--json: ok" true "$(json_get "$T/clean.json" 'j["ok"]')"
check_eq "--json: keys" "checked garbage ok problems repair schema_version workspace" \
  "$(json_get "$T/clean.json" 'sorted(j.keys())' | xargs)"
SV=$(json_get "$T/clean.json" 'j["schema_version"]')
check "--json: a schema version" test "$SV" -ge 1
check_eq "--json: the version meta.db records" "$SV" "$(sqlite3 .mlp/meta.db 'SELECT version FROM schema_version')"
check_eq "--json: workspace" "$P/.mlp" "$(json_get "$T/clean.json" 'j["workspace"]')"
# data.csv, train.sh (the code the run kept), train's model, ev's report = 4 files; sh's parts =
# 1 directory.
check_eq "--json: files hashed" 4 "$(json_get "$T/clean.json" 'j["checked"]["files"]')"
check_eq "--json: directories hashed" 1 "$(json_get "$T/clean.json" 'j["checked"]["directories"]')"
check "--json: references resolved" test "$(json_get "$T/clean.json" 'j["checked"]["references"]')" -ge 8
check_eq "--json: no problems, no garbage, no repair" "0 0 None" \
  "$(json_get "$T/clean.json" '" ".join([str(len(j["problems"])), str(len(j["garbage"])), str(j["repair"])])')"

hash_of() { # NODE OUTPUT
  sqlite3 .mlp/meta.db "SELECT o.artifact_hash FROM execution_outputs o JOIN executions e
    ON e.id = o.execution_id WHERE e.run_id = '$RUN' AND e.node = '$1' AND o.name = '$2'"
}
obj() { echo ".mlp/objects/${1:0:2}/$1"; }
MODEL=$(hash_of train model)
REPORT=$(hash_of ev report)
PARTS=$(hash_of sh parts)
check "the model is a stored file" test -f "$(obj "$MODEL")"

# --- a flipped byte: named with the run and step that use it; --repair keeps it.
cp "$(obj "$MODEL")" "$T/model.bak"
chmod u+w "$(obj "$MODEL")"
printf 'X' | dd of="$(obj "$MODEL")" bs=1 seek=0 conv=notrunc status=none
chmod 444 "$(obj "$MODEL")"
"$MLPC" verify > "$T/flip.out" 2>&1
check_eq "flipped byte: exit 1" 1 "$?"
out=$(cat "$T/flip.out")
check_contains "flipped byte: names the object, the output, the step and the run" \
  "error: object ${MODEL:0:12}… (output \`model\` of step \`train\` in run $RUN, and " "$out"
check_contains "flipped byte: says it does not match its hash" "does not match its hash" "$out"
check_contains "flipped byte: lists the other users" "also input \`m\` of step \`ev\` in run $RUN" "$out"
check_contains "flipped byte: lists the model version" "also model version churn@1" "$out"
check_contains "flipped byte: says damaged" "the workspace is damaged: 1 problem" "$out"
"$MLPC" verify --json > "$T/flip.json" 2> /dev/null
check_eq "flipped byte --json: ok is false" false "$(json_get "$T/flip.json" 'j["ok"]')"
check_eq "flipped byte --json: the problem" "corrupt_object $MODEL file train model output" \
  "$(json_get "$T/flip.json" '" ".join([j["problems"][0][k] for k in ("kind", "object", "object_kind")] + [j["problems"][0]["used_by"][0][k] for k in ("step", "name", "role")])')"
check_eq "flipped byte --json: the run" "$RUN" "$(json_get "$T/flip.json" 'j["problems"][0]["used_by"][0]["run"]')"
"$MLPC" verify --repair > "$T/flip-repair.out" 2>&1
check_eq "flipped byte: --repair still exits 1" 1 "$?"
check "flipped byte: --repair does not remove a referenced object" test -f "$(obj "$MODEL")"
chmod u+w "$(obj "$MODEL")" && cp "$T/model.bak" "$(obj "$MODEL")" && chmod 444 "$(obj "$MODEL")"
"$MLPC" verify > /dev/null 2>&1
check_eq "restored: exit 0" 0 "$?"

# --- a deleted object: exit 1, named; --repair does not repair it.
cp "$(obj "$REPORT")" "$T/report.bak"
rm -f "$(obj "$REPORT")"
"$MLPC" verify > "$T/missing.out" 2>&1
check_eq "deleted object: exit 1" 1 "$?"
check_contains "deleted object: named with its output, step and run" \
  "error: object ${REPORT:0:12}… (output \`report\` of step \`ev\` in run $RUN) is missing from the store" \
  "$(cat "$T/missing.out")"
"$MLPC" verify --json > "$T/missing.json" 2> /dev/null
check_eq "deleted object --json" "missing_object $REPORT" \
  "$(json_get "$T/missing.json" '" ".join(j["problems"][0][k] for k in ("kind", "object"))')"
"$MLPC" verify --repair > "$T/missing-repair.out" 2>&1
check_eq "deleted object: --repair still exits 1" 1 "$?"
check_contains "deleted object: --repair still reports it" "is missing from the store" \
  "$(cat "$T/missing-repair.out")"
# The next run of the pipeline makes it again: the cache skips executions whose outputs are gone.
"$MLPC" run v.mlp --pipeline p --json > "$T/remake.json" 2> "$T/remake.err"
check_eq "deleted object: the next run succeeds" 0 "$?"
check_eq "deleted object: the next run re-runs only the step that made it" "ev" \
  "$(events_nodes "$T/remake.json" succeeded)"
check "deleted object: it is back in the store" test -f "$(obj "$REPORT")"

# A deleted directory object is named too.
mv ".mlp/trees/${PARTS:0:2}/$PARTS" "$T/parts.bak"
"$MLPC" verify > "$T/missing-dir.out" 2>&1
check_eq "deleted directory object: exit 1" 1 "$?"
check_contains "deleted directory object: named" \
  "error: directory object ${PARTS:0:12}… (output \`parts\` of step \`sh\` in run $RUN, and 1 more use) is missing from the store" \
  "$(cat "$T/missing-dir.out")"
check_contains "deleted directory object: the later run that reused it from the cache is named" \
  "also output \`parts\` of step \`sh\` in run" "$(cat "$T/missing-dir.out")"
mv "$T/parts.bak" ".mlp/trees/${PARTS:0:2}/$PARTS"
"$MLPC" verify > /dev/null 2>&1
check_eq "both restored: exit 0" 0 "$?"

# --- unused objects and abandoned staging entries: reported, exit 0, removed by --repair.
printf 'nobody uses me\n' > "$T/orphan"
ORPHAN=$(sha256sum "$T/orphan" | cut -d' ' -f1)
mkdir -p ".mlp/objects/${ORPHAN:0:2}"
cp "$T/orphan" "$(obj "$ORPHAN")" && chmod 444 "$(obj "$ORPHAN")"
# A directory object by hand: its manifest names one file.
printf 'unused dir file\n' > "$T/f"
mf=$(printf 'f\tfile\t%s\n' "$(sha256sum "$T/f" | cut -d' ' -f1)")
ODIR=$(printf '%s\n' "$mf" | sha256sum | cut -d' ' -f1)
D=".mlp/trees/${ODIR:0:2}/$ODIR"
mkdir -p "$D/root" && cp "$T/f" "$D/root/f" && printf '%s\n' "$mf" > "$D/manifest"
chmod 444 "$D/root/f" "$D/manifest" && chmod 555 "$D/root"
mkdir -p .mlp/tmp/old-put-dir && echo x > .mlp/tmp/old-put-dir/f && echo x > .mlp/tmp/old-put
touch -d '2 hours ago' .mlp/tmp/old-put-dir .mlp/tmp/old-put
echo x > .mlp/tmp/young-put
"$MLPC" verify > "$T/orphan.out" 2>&1
check_eq "unused objects: exit 0 (garbage is not damage)" 0 "$?"
out=$(cat "$T/orphan.out")
check_contains "unused file object: reported" \
  "unused: object ${ORPHAN:0:12}… (15 B) is not used by any run or model version" "$out"
check_contains "unused directory object: reported" \
  "unused: directory object ${ODIR:0:12}… (16 B) is not used by any run or model version" "$out"
check_contains "abandoned staging entry: reported" "unused: staging entry tmp/old-put was left" "$out"
check_not_contains "a young staging entry is not reported" "young-put" "$out"
check_contains "the summary says what --repair would remove" \
  "2 unused objects (31 B) and 2 abandoned staging entries can be removed with \`mlpc verify --repair\`" "$out"
check "without --repair nothing is removed" test -f "$(obj "$ORPHAN")" -a -d "$D" -a -e .mlp/tmp/old-put
"$MLPC" verify --json > "$T/orphan.json" 2> /dev/null
check_eq "unused --json: garbage kinds" "abandoned_tmp abandoned_tmp orphan_object orphan_object" \
  "$(json_get "$T/orphan.json" '[g["kind"] for g in j["garbage"]]' | xargs)"
check_eq "unused --json: the file orphan" "$ORPHAN file 15 True False" \
  "$(json_get "$T/orphan.json" '" ".join(str(g[k]) for g in j["garbage"] if g.get("object") == "'"$ORPHAN"'" for k in ("object", "object_kind", "size", "removable", "removed"))')"
check_eq "unused --json: still ok" true "$(json_get "$T/orphan.json" 'j["ok"]')"

# While a run holds the workspace, --repair removes no object (the run may have stored one it
# has not recorded yet).
"$MLPC" run v.mlp --pipeline slow > "$T/slow.out" 2>&1 &
slow=$!
for _ in $(seq 50); do
  [ -n "$(sqlite3 .mlp/meta.db "SELECT id FROM runs WHERE status = 'running'" 2>/dev/null)" ] && break
  sleep 0.1
done
"$MLPC" verify --repair > "$T/busy.out" 2>&1
check_eq "repair during a run: exit 0" 0 "$?"
check_contains "repair during a run: says why it removed no object" \
  "no object was removed: a run is using this workspace" "$(cat "$T/busy.out")"
check "repair during a run: the unused object stays" test -f "$(obj "$ORPHAN")"
wait "$slow"
check_eq "the slow run succeeds" 0 "$?"
# That run swept the abandoned staging entries itself (every run does); leave them again.
check_eq "the run swept the abandoned staging entries but the young one" "young-put" "$(ls .mlp/tmp | xargs)"
mkdir -p .mlp/tmp/old-put-dir && echo x > .mlp/tmp/old-put-dir/f && echo x > .mlp/tmp/old-put
touch -d '2 hours ago' .mlp/tmp/old-put-dir .mlp/tmp/old-put

"$MLPC" verify --repair > "$T/repair.out" 2>&1
check_eq "--repair: exit 0" 0 "$?"
out=$(cat "$T/repair.out")
check_contains "--repair: marks the file object removed" \
  "object ${ORPHAN:0:12}… (15 B) is not used by any run or model version [removed]" "$out"
check_contains "--repair: counts what it removed" "repair: removed 4 entries (31 B of objects)" "$out"
check "--repair: the unused file object is gone" test ! -e "$(obj "$ORPHAN")"
check "--repair: the unused directory object is gone" test ! -e "$D"
check "--repair: the abandoned staging entries are gone" test ! -e .mlp/tmp/old-put -a ! -e .mlp/tmp/old-put-dir
check "--repair: the young staging entry stays" test -e .mlp/tmp/young-put
check "--repair: referenced objects stay" \
  test -f "$(obj "$MODEL")" -a -f "$(obj "$REPORT")" -a -d ".mlp/trees/${PARTS:0:2}/$PARTS"
"$MLPC" verify --json > "$T/after.json" 2> /dev/null
check_eq "after --repair: a second verify is clean" "True 0 0" \
  "$(json_get "$T/after.json" '" ".join(str(x) for x in (j["ok"], len(j["problems"]), len(j["garbage"])))')"
"$MLPC" run v.mlp --pipeline p > "$T/rerun.out" 2>&1
check_eq "after --repair: the pipeline still runs (from the cache)" 0 "$?"
rm -f .mlp/tmp/young-put

# --- damaged metadata, each on a copy of the workspace.
copy() { rm -rf "$T/ws-$1"; cp -a .mlp "$T/ws-$1"; echo "$T/ws-$1"; }
W=$(copy orphanrow)
sqlite3 "$W/meta.db" "DELETE FROM runs WHERE id = '$RUN'"
"$MLPC" verify --workspace "$W" > "$T/norun.out" 2>&1
check_eq "a run row deleted: exit 1" 1 "$?"
check_contains "a run row deleted: its steps are named" \
  "error: step \`train\` (execution" "$(cat "$T/norun.out")"
check_contains "a run row deleted: says the run is gone" "belongs to run $RUN, which does not exist" \
  "$(cat "$T/norun.out")"
check_contains "a run row deleted: the model version's run too" \
  "model version churn@1 was registered by run $RUN, which does not exist" "$(cat "$T/norun.out")"

W=$(copy index)
sqlite3 "$W/meta.db" "DROP INDEX executions_by_run"
"$MLPC" verify --workspace "$W" > "$T/index.out" 2>&1
check_eq "a dropped index: exit 1" 1 "$?"
check_contains "a dropped index: named" "meta.db has no index \`executions_by_run\`" "$(cat "$T/index.out")"

W=$(copy version)
sqlite3 "$W/meta.db" "UPDATE schema_version SET version = 0"
"$MLPC" verify --workspace "$W" --json > "$T/version.json" 2> /dev/null
check_eq "a zero schema version: exit 1" 1 "$?"
check_contains "a zero schema version: reported" "meta.db records no schema version" \
  "$(json_get "$T/version.json" '[p["message"] for p in j["problems"] if p["kind"] == "schema"]')"
check_eq "a zero schema version: verify does not migrate it" 0 \
  "$(sqlite3 "$W/meta.db" 'SELECT version FROM schema_version')"
sqlite3 "$W/meta.db" "UPDATE schema_version SET version = 99"
"$MLPC" verify --workspace "$W" > "$T/newer.out" 2>&1
check_eq "a newer schema version: exit 1" 1 "$?"
check_contains "a newer schema version: reported" \
  "meta.db is at schema version 99, newer than this mlpc reads ($SV)" "$(cat "$T/newer.out")"

W=$(copy stray)
mkdir -p "$W/objects/ab" && echo junk > "$W/objects/ab/not-a-hash"
"$MLPC" verify --workspace "$W" --repair > "$T/stray.out" 2>&1
check_eq "a stray file in objects/: exit 1" 1 "$?"
check_contains "a stray file in objects/: named" \
  "$W/objects/ab/not-a-hash is not a stored object: its name is not a SHA-256" "$(cat "$T/stray.out")"
check "a stray file is not removed by --repair" test -f "$W/objects/ab/not-a-hash"

W=$(copy garbage)
head -c 8192 /dev/urandom > "$W/meta.db"
rm -f "$W/meta.db-wal" "$W/meta.db-shm"
"$MLPC" verify --workspace "$W" --repair > "$T/garbage.out" 2>&1
check_eq "an unreadable meta.db: exit 1" 1 "$?"
check_contains "an unreadable meta.db: says so" "error: cannot read the metadata" "$(cat "$T/garbage.out")"
check_contains "an unreadable meta.db: --repair says why it removed nothing" \
  "no object was removed: the metadata could not be read" "$(cat "$T/garbage.out")"
check "an unreadable meta.db: every object stays" test -f "$W/objects/${MODEL:0:2}/$MODEL"

for f in "$T"/*.out; do
  no_internal_text "$(basename "$f")" "$f"
done

finish
