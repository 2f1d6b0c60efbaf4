#!/usr/bin/env bash
# The VS Code extension in editors/vscode, without VS Code itself:
#  - the TextMate grammar: the scope assertions in editors/vscode/test/*.test.mlp pass
#    (vscode-tmgrammar-test), and fail on a copy of the grammar with a keyword removed; it is what
#    syntaxes/generate.py writes; every word of grammar/Mlp.g4's lexer (keywords, units) is in it;
#    every example and stdlib module tokenizes (vscode-textmate + vscode-oniguruma, as in VS Code)
#    without ending inside a string or comment, and an unclosed comment or string is caught;
#  - every snippet, its placeholders at their defaults, passes `mlpc check` where it belongs, and a
#    misspelt property in one is rejected;
#  - package.json's contributions point at files that exist; `vsce package` builds a .vsix with
#    the extension, the grammar, the snippets and vscode-languageclient, without tests or
#    development dependencies;
#  - server.js's serverExecutable (what extension.js starts); extension.js against stand-ins for
#    the VS Code API (activation, restarts on settings changes, an error when mlpc cannot start);
#    an LSP client launched through server.js: diagnostics for a file with a mistake, a hover, two
#    definitions, a completion, a semantic token, a clean exit.
# Needs node and editors/vscode/node_modules (./setup.sh installs both); skipped without node.
#
#   tests/editors/vscode_test.sh build/mlpc
source "$(dirname "$0")/../e2e/lib.sh" "$@"
need node
HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$ROOT/editors/vscode
BIN=$EXT/node_modules/.bin
GRAMMAR=$EXT/syntaxes/mlp.tmLanguage.json
if [ ! -x "$BIN/vscode-tmgrammar-test" ] || [ ! -d "$EXT/node_modules/vscode-languageclient" ]; then
  not_ok "editors/vscode/node_modules is missing or incomplete: run ./setup.sh --deps (or npm ci in editors/vscode)"
  finish
fi
echo "# node $(node --version)"

# ---- the grammar -------------------------------------------------------------------------------
check "syntaxes/mlp.tmLanguage.json is what syntaxes/generate.py writes" \
  "$PY" "$EXT/syntaxes/generate.py" --check

out=$(cd "$EXT" && "$BIN/vscode-tmgrammar-test" -g syntaxes/mlp.tmLanguage.json 'test/*.test.mlp' 2>&1)
check_eq "grammar scope assertions pass (vscode-tmgrammar-test)" 0 "$?"
check_eq "every grammar test file ran" "$(ls "$EXT"/test/*.test.mlp | wc -l)" \
  "$(grep -c 'run successfuly' <<< "$out")"
[ "$(ls "$EXT"/test/*.test.mlp | wc -l)" -ge 4 ] && ok "there are grammar test files" \
  || not_ok "fewer than 4 grammar test files"

# The assertions can fail: a copy of the grammar without `for` as a keyword must not pass.
mkdir -p "$T/mutated/syntaxes"
cp -r "$EXT/test" "$T/mutated/test"
"$PY" - "$GRAMMAR" "$T/mutated/syntaxes/mlp.tmLanguage.json" <<'PYEOF'
import json, sys
g = json.load(open(sys.argv[1]))
for p in g["repository"]["keywords"]["patterns"]:
    if p["name"] == "keyword.control.loop.mlp":
        assert "for|in" in p["match"], p["match"]
        p["match"] = p["match"].replace("for|in", "in")
json.dump(g, open(sys.argv[2], "w"), indent=2)
PYEOF
mut=$(cd "$T/mutated" && "$BIN/vscode-tmgrammar-test" -g syntaxes/mlp.tmLanguage.json 'test/*.test.mlp' 2>&1)
mut_rc=$?
check "the grammar tests fail on a grammar without the keyword \`for\`" test "$mut_rc" -ne 0
check_contains "... naming the missing scope" "missing required scopes: keyword.control.loop.mlp" "$mut"

# Drift: every word literal of grammar/Mlp.g4's lexer (keywords, duration and size units) is an
# alternative of some regex in the TextMate grammar.
drift=$("$PY" - "$ROOT/grammar/Mlp.g4" "$GRAMMAR" <<'PYEOF'
import json, re, sys
g4 = open(sys.argv[1]).read()
lexer = g4[g4.index("// ---- lexer"):]
words = set()
for m in re.finditer(r"^([A-Z_]+)\s*:(.*?);", lexer, re.M | re.S):
    words.update(w for w in re.findall(r"'([A-Za-z]+)'", m.group(2)))
alternatives = set()
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k in ("match", "begin") and isinstance(v, str):
                for grp in re.findall(r"\((?:\?:)?([A-Za-z|]+)\)", v):
                    alternatives.update(grp.split("|"))
            else:
                walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(json.load(open(sys.argv[2])))
print("words:", len(words))
for w in sorted(words - alternatives):
    print("missing:", w)
PYEOF
)
check_contains "grammar/Mlp.g4's lexer has its keywords and units" "words: " "$drift"
[ "$(sed -n 's/^words: //p' <<< "$drift")" -ge 30 ] && ok "... at least 30 of them" \
  || not_ok "fewer than 30 words found in grammar/Mlp.g4: $drift"
check_not_contains "every keyword and unit of grammar/Mlp.g4 is in the TextMate grammar" "missing:" "$drift"

# Every example and stdlib module, tokenized as VS Code would.
mapfile -t mlps < <(find "$ROOT/examples" "$ROOT/stdlib" -name '*.mlp' | sort)
out=$(node "$HERE/tokenize.js" "$GRAMMAR" "${mlps[@]}" 2>&1)
check_eq "examples and stdlib (${#mlps[@]} files) end outside strings and comments" 0 "$?"
check_contains "... all of them tokenized" "${#mlps[@]} files tokenized, 0 end inside" "$out"
[ "${#mlps[@]}" -ge 10 ] && ok "at least 10 .mlp files found" || not_ok "only ${#mlps[@]} .mlp files"
printf 'x = 1\n/* never closed\ny = 2\n' > "$T/unclosed_comment.mlp"
printf 'run = """\necho hi\n' > "$T/unclosed_string.mlp"
out=$(node "$HERE/tokenize.js" "$GRAMMAR" "$T/unclosed_comment.mlp" "$T/unclosed_string.mlp" 2>&1)
check_eq "an unclosed comment or triple-quoted string is caught" 1 "$?"
check_contains "... the comment" "unclosed_comment.mlp: ends inside comment.block.mlp" "$out"
check_contains "... the string" "unclosed_string.mlp: ends inside string.quoted.triple.mlp" "$out"
printf 'x = "one line\ny = 2\n' > "$T/one_line.mlp"
out=$(node "$HERE/tokenize.js" "$GRAMMAR" "$T/one_line.mlp" 2>&1)
check_eq "an unterminated one-line string ends at its line" 0 "$?"

# ---- snippets ----------------------------------------------------------------------------------
mkdir -p "$T/snippets"
listing=$(node "$HERE/snippets.js" "$EXT/snippets/mlp.json" "$T/snippets" 2>&1)
check_eq "every snippet expands and has a context" 0 "$?"
for kind in import data step pipeline model 'endpoint (realtime)' 'endpoint (canary)' \
  'endpoint (linear)' 'endpoint (serverless)' 'endpoint (async)' monitor schedule for if register; do
  check_contains "a snippet for $kind" "$kind	" "$listing"
done
while IFS=$'\t' read -r key file; do
  [ -f "$file" ] || continue
  out=$("$MLPC" check "$file" 2>&1)
  rc=$?
  if [ "$rc" = 0 ] && [[ "$out" != *"error["* ]]; then
    ok "snippet '$key' with its defaults passes mlpc check"
  else
    not_ok "snippet '$key' with its defaults fails mlpc check (exit $rc):"
    sed 's/^/       | /' "$file"
    printf '%s\n' "$out" | sed 's/^/       > /' | head -20
  fi
done <<< "$listing"
canary=$T/snippets/endpoint_canary.mlp
sed 's/^\(\s*\)strategy/\1stratgy/' "$canary" > "$T/misspelt.mlp"
check "the misspelt copy differs from the snippet" grep -q stratgy "$T/misspelt.mlp"
out=$("$MLPC" check "$T/misspelt.mlp" 2>&1)
check "a snippet with a misspelt property (stratgy) is rejected" test "$?" -ne 0
check_contains "... naming it" "stratgy" "$out"

# ---- language configuration --------------------------------------------------------------------
lc=$(node -e '
const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const start = new RegExp(c.folding.markers.start), end = new RegExp(c.folding.markers.end);
console.log([
  `line=${c.comments.lineComment}`, `block=${c.comments.blockComment.join(" ")}`,
  `brackets=${c.brackets.map((b) => b.join("")).join(" ")}`,
  `closes=${c.autoClosingPairs.map((p) => p.open + p.close).join(" ")}`,
  `fold_start=${["step S(x: int) {", "endpoint e {  // comment", "x = 1"].map((l) => start.test(l)).join(",")}`,
  `fold_end=${["}", "  }", "x = {}"].map((l) => end.test(l)).join(",")}`,
].join("\n"));' "$EXT/language-configuration.json" 2>&1)
check_contains "comments: // (grammar/Mlp.g4's LINE_COMMENT)" "line=//" "$lc"
check_contains "comments: /* */ (BLOCK_COMMENT)" "block=/* */" "$lc"
check_contains "brackets" "brackets={} [] ()" "$lc"
check_contains "auto-closing pairs" 'closes={} [] () "" /* */' "$lc"
check_contains "folding starts at a line ending in {" "fold_start=true,true,false" "$lc"
check_contains "folding ends at a line starting with }" "fold_end=true,true,false" "$lc"

# ---- package.json and the .vsix ----------------------------------------------------------------
manifest=$(node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
const p = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
const c = p.contributes, props = c.configuration.properties;
const exists = (f) => fs.existsSync(path.join(dir, f)) ? "exists" : "MISSING";
for (const f of ["language-configuration.json", "snippets/mlp.json"]) JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
console.log([
  `id=${p.publisher}.${p.name}`, `engine=${p.engines.vscode}`, `main=${p.main}:${exists(p.main)}`,
  `activation=${p.activationEvents.join(",")}`,
  `language=${c.languages[0].id}:${c.languages[0].extensions.join(",")}:${exists(c.languages[0].configuration)}`,
  `grammar=${c.grammars[0].scopeName}:${exists(c.grammars[0].path)}`,
  `snippets=${c.snippets[0].language}:${exists(c.snippets[0].path)}`,
  `settings=${Object.keys(props).sort().join(",")}`, `path_default=${props["mlpc.path"].default}`,
  `client=${p.dependencies["vscode-languageclient"]}`,
  `dev=${Object.entries(p.devDependencies).map(([k, v]) => k + "@" + v).sort().join(",")}`,
  `cheerio=${p.overrides.cheerio}`,
].join("\n"));' "$EXT" 2>&1)
for want in id=mlpc.mlpc engine=^1.82.0 main=./extension.js:exists activation=onLanguage:mlp \
  language=mlp:.mlp:exists grammar=source.mlp:exists snippets=mlp:exists \
  settings=mlpc.path,mlpc.stdlibPath,mlpc.trace.server path_default=mlpc client=9.0.1 \
  dev=@vscode/vsce@2.32.0,vscode-tmgrammar-test@0.1.3 cheerio=1.0.0-rc.12; do
  check_contains "package.json: $want" "$want" "$manifest"
done

# Debian 12's nodejs is 18: nothing in the lock file may ask for a newer node (the overrides in
# package.json pin vsce's Azure dependencies to versions that support 18).
engines=$(node -e '
const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let n = 0;
for (const [name, p] of Object.entries(lock.packages)) {
  const e = p.engines && p.engines.node;
  if (!e) continue;
  // The oldest major a range allows: the smallest of its alternatives lower bounds.
  const lows = e.split("||").map((alt) => { const m = /(\d+)/.exec(alt); return m ? Number(m[1]) : 0; });
  if (Math.min(...lows) > 18) { console.log(`${name}@${p.version} needs node ${e}`); n++; }
}
console.log(`packages needing node > 18: ${n}`);' "$EXT/package-lock.json" 2>&1)
check_contains "no locked package needs a node newer than Debian 12's (18)" \
  "packages needing node > 18: 0" "$engines"

out=$(cd "$EXT" && "$BIN/vsce" package --skip-license --allow-missing-repository -o "$T/mlpc.vsix" 2>&1)
check_eq "vsce package builds the .vsix" 0 "$?"
contents=$("$PY" - "$T/mlpc.vsix" <<'PYEOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
print("\n".join(names))
PYEOF
)
for f in extension/extension.js extension/server.js extension/package.json \
  extension/language-configuration.json extension/syntaxes/mlp.tmLanguage.json \
  extension/snippets/mlp.json extension/README.md \
  extension/node_modules/vscode-languageclient/node.js \
  extension/node_modules/vscode-languageserver-protocol/package.json \
  extension/node_modules/vscode-jsonrpc/package.json; do
  check_contains "the .vsix has $f" "$f" "$contents"
done
check_not_contains "the .vsix has no tests" "extension/test/" "$contents"
check_not_contains "the .vsix has no grammar generator" "generate.py" "$contents"
for dev in @vscode/vsce vscode-tmgrammar-test vscode-textmate vscode-oniguruma cheerio; do
  check_not_contains "the .vsix has no development dependency $dev" "extension/node_modules/$dev/" "$contents"
done
size=$(stat -c %s "$T/mlpc.vsix")
echo "# mlpc.vsix: $size bytes, $(wc -l <<< "$contents") files"
[ "$size" -lt 1000000 ] && ok "the .vsix is under 1 MB" || not_ok "the .vsix is $size bytes"

# ---- the language client -----------------------------------------------------------------------
exe=$(HOME=/home/u node -e '
const { serverExecutable } = require(process.argv[1]);
const show = (s, env) => { const e = serverExecutable(s, env); return `${e.command} ${e.args.join(" ")} MLP_PATH=${e.options.env.MLP_PATH} KEEP=${e.options.env.KEEP}`; };
console.log("default=" + show({}, { KEEP: "1" }));
console.log("blank=" + show({ path: "  ", stdlibPath: "" }, { MLP_PATH: "/env/stdlib" }));
console.log("set=" + show({ path: "/opt/mlpc/bin/mlpc", stdlibPath: "/opt/stdlib" }, { MLP_PATH: "/env/stdlib" }));
console.log("home=" + show({ path: "~/bin/mlpc", stdlibPath: "~/stdlib" }, {}));' "$EXT/server.js" 2>&1)
check_contains "server.js: mlpc lsp from PATH by default, environment kept" \
  "default=mlpc lsp MLP_PATH=undefined KEEP=1" "$exe"
check_contains "server.js: blank settings leave MLP_PATH alone" "blank=mlpc lsp MLP_PATH=/env/stdlib" "$exe"
check_contains "server.js: mlpc.path and mlpc.stdlibPath (as MLP_PATH, over the environment's)" \
  "set=/opt/mlpc/bin/mlpc lsp MLP_PATH=/opt/stdlib" "$exe"
check_contains "server.js: ~/ is the home directory" "home=/home/u/bin/mlpc lsp MLP_PATH=/home/u/stdlib" "$exe"

# extension.js itself, with stand-ins for the VS Code API and the client library.
out=$(node "$HERE/extension_test.js" 2>&1)
check_eq "extension.js runs against the stand-ins" 0 "$?"
check_not_contains "... without an error" "error=" "$out"
check_contains "activation starts one client" "clients_after_activate=1" "$out"
check_contains "... with the id mlpc (it reads mlpc.trace.server)" "client_id=mlpc" "$out"
check_contains "... started" "client_started=true" "$out"
check_contains "... on what server.js says" "server_options_match=true" "$out"
check_contains "... mlpc.path lsp" "server_command=/opt/mlpc lsp" "$out"
check_contains "... MLP_PATH from mlpc.stdlibPath" "server_mlp_path=/opt/stdlib" "$out"
check_contains "... no transport (stdio without an added --stdio)" "server_transport=undefined" "$out"
check_contains "... for .mlp files" 'document_selector=[{"scheme":"file","language":"mlp"}]' "$out"
check_contains "the restart command is registered" "restart_command=function" "$out"
check_contains "another setting does not restart the server" "clients_after_other_setting=1" "$out"
check_contains "a change of mlpc.path restarts it" "clients_after_path_change=2" "$out"
check_contains "... stopping the old client" "old_client_stopped=true" "$out"
check_contains "... with the new executable" "new_server_command=/usr/local/bin/mlpc" "$out"
check_contains "a change of mlpc.stdlibPath restarts it with the new MLP_PATH" "new_mlp_path=/srv/stdlib" "$out"
check_contains "the restart command restarts it" "clients_after_restart_command=4" "$out"
check_contains "a server that cannot start: an error naming mlpc.path" \
  "failed_start_message=mlpc: could not start \`/nowhere/mlpc lsp\` (spawn /nowhere/mlpc ENOENT). Set \`mlpc.path\`" "$out"

# The stdlib the server uses comes from mlpc.stdlibPath: a copy whose Evaluate has another doc
# comment, while $MLP_PATH points at the real one.
cp -r "$ROOT/stdlib" "$T/stdlib"
sed -i 's|^\(// Every field of both tasks\)|// (the copy from mlpc.stdlibPath)\n\1|' "$T/stdlib/std/sklearn.mlp"
cp -r "$ROOT/examples/churn" "$T/churn"
sed -i 's/sklearn\.Train(/sklearn.Trian(/' "$T/churn/churn.mlp"
line_of() { grep -n -m1 -F "$2" "$1" | cut -d: -f1; }
out=$(timeout 120 node "$HERE/lsp_client_test.js" "$MLPC" "$T/stdlib" "$T/churn/churn.mlp" 2> "$T/lsp.err")
check_eq "the client ran in time" 0 "$?"
check_not_contains "the client saw no error" "error=" "$out"
check_contains "launched as extension.js does: mlpc lsp" "command=$MLPC lsp" "$out"
check_contains "the server answers initialize" "server_name=mlpc" "$out"
check_contains "publishDiagnostics: the code" "diag_code=E008" "$out"
check_contains "publishDiagnostics: the line" "diag_line=$(line_of "$T/churn/churn.mlp" sklearn.Trian)" "$out"
check_contains "publishDiagnostics: the did-you-mean" "did you mean \`sklearn.Train\`" "$out"
check_contains "hover: the step's signature" "step Evaluate(model: Model<sklearn>" "$out"
check_contains "hover: from the stdlib in mlpc.stdlibPath" "(the copy from mlpc.stdlibPath)" "$out"
check_contains "definition of a binding" \
  "def_binding_line=$(line_of "$T/churn/churn.mlp" 'split  =')" "$out"
check_contains "definition across an import: the file" "def_import_file=steps.mlp" "$out"
check_contains "definition across an import: the line" \
  "def_import_line=$(line_of "$T/churn/steps.mlp" 'step Prepare(')" "$out"
check_contains "completion after split.: the outputs" "completion=test,train" "$out"
check_contains "semantic tokens: the pipeline's name is a function" \
  "semantic_pipeline_name=function" "$out"
check_contains "the server exits 0 after shutdown and exit" "exit_code=0" "$out"
finish
