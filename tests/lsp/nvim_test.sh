#!/usr/bin/env bash
# Neovim's built-in LSP client, configured by editors/vim, against `mlpc lsp`: a copy of the churn
# example with a misspelt step opens with its diagnostic, hover answers, go-to-definition jumps
# within the file and across an import, and completion answers on a half-typed line. Skipped
# when nvim is not installed.
#
#   tests/lsp/nvim_test.sh build/mlpc
source "$(dirname "$0")/../e2e/lib.sh" "$@"
need nvim timeout
HERE=$(cd "$(dirname "$0")" && pwd)

cp -r "$ROOT/examples/churn" "$T/churn"
sed -i 's/sklearn\.Train(/sklearn.Trian(/' "$T/churn/churn.mlp"
export MLP_FILE=$T/churn/churn.mlp OUT=$T/nvim.out
export XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
timeout 120 nvim --headless --clean --cmd "set runtimepath^=$ROOT/editors/vim" \
  -c "luafile $HERE/nvim_check.lua" > "$T/nvim.log" 2>&1 < /dev/null
check_eq "nvim finished in time" 0 "$?"
out=$(cat "$OUT" 2>/dev/null)
line_of() { grep -n -m1 -F "$2" "$1" | cut -d: -f1; }

check_not_contains "the Lua script ran without errors" "error=" "$out"
check_contains "ftdetect: *.mlp is filetype mlp" "filetype=mlp" "$out"
check_contains "ftplugin: // comments" "commentstring=// %s" "$out"
check_contains "syntax/mlp.vim is loaded" "syntax=mlp" "$out"
check_eq "no Vim error on the way" "" "$(sed -n 's/^errmsg=//p' "$OUT")"

check_contains "the diagnostic arrives" "diagnostics_arrived=true" "$out"
check_contains "the diagnostic's code" "diag_code=E008" "$out"
check_contains "the diagnostic's line" "diag_line=$(line_of "$MLP_FILE" sklearn.Trian)" "$out"
check_contains "the diagnostic's did-you-mean" "did you mean \`sklearn.Train\`" "$out"
check_contains "hover shows the step's signature" "step Evaluate(model: Model<sklearn>" "$out"
check_contains "definition in the file: the binding's line" \
  "def_binding_line=$(line_of "$MLP_FILE" 'split  =')" "$out"
check_contains "definition across an import: the file" "def_import_file=steps.mlp" "$out"
check_contains "definition across an import: the line" \
  "def_import_line=$(line_of "$T/churn/steps.mlp" 'step Prepare(')" "$out"
check_contains "the setup completes with the server (omnifunc)" \
  "omnifunc=v:lua.vim.lsp.omnifunc" "$out"
check_contains "completion after \`split.\` on a half-typed line: the outputs" \
  "completion=test,train" "$out"
finish
