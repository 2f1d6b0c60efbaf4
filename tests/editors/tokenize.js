#!/usr/bin/env node
// Tokenizes .mlp files with the VS Code extension's TextMate grammar, through the same libraries
// VS Code uses (vscode-textmate and vscode-oniguruma, installed with vscode-tmgrammar-test in
// editors/vscode/node_modules).
//
//   node tokenize.js GRAMMAR --dump FILE      print each token with its scopes
//   node tokenize.js GRAMMAR FILE...          check: no file ends inside a string or a comment
//
// The check prints one line per file that ends inside one ("FILE: ends inside SCOPE") and exits 1
// if there is any; otherwise it prints "N files tokenized" and exits 0.
'use strict';

const fs = require('fs');
const path = require('path');

const nodeModules = path.join(__dirname, '..', '..', 'editors', 'vscode', 'node_modules');
const vsctm = require(path.join(nodeModules, 'vscode-textmate'));
const oniguruma = require(path.join(nodeModules, 'vscode-oniguruma'));

async function loadGrammar(grammarPath) {
  const wasm = fs.readFileSync(path.join(nodeModules, 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.mlp') return null;
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
    },
  });
  return registry.loadGrammar('source.mlp');
}

// The scopes still open after the last line: those of an empty line tokenized after it.
function tokenize(grammar, text) {
  const lines = text.split(/\r?\n/);
  let stack = vsctm.INITIAL;
  const out = [];
  for (const line of lines) {
    const r = grammar.tokenizeLine(line, stack);
    out.push({ line, tokens: r.tokens });
    stack = r.ruleStack;
  }
  const after = grammar.tokenizeLine('', stack).tokens;
  const open = after.length ? after[0].scopes : ['source.mlp'];
  return { lines: out, open };
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length < 2) {
    console.error('usage: tokenize.js GRAMMAR (--dump FILE | FILE...)');
    process.exit(2);
  }
  const grammar = await loadGrammar(args[0]);
  if (args[1] === '--dump') {
    const { lines, open } = tokenize(grammar, fs.readFileSync(args[2], 'utf8'));
    lines.forEach(({ line, tokens }, i) => {
      for (const t of tokens) {
        const s = line.slice(t.startIndex, t.endIndex);
        if (s.trim() === '') continue;
        console.log(`${i + 1}:${t.startIndex + 1} ${JSON.stringify(s)} ${t.scopes.slice(1).join(' ')}`);
      }
    });
    console.log(`open at the end: ${open.join(' ')}`);
    return;
  }
  let bad = 0;
  const files = args.slice(1);
  for (const f of files) {
    const { open } = tokenize(grammar, fs.readFileSync(f, 'utf8'));
    const inside = open.find((s) => s.startsWith('string.') || s.startsWith('comment.'));
    if (inside) {
      console.log(`${f}: ends inside ${inside}`);
      bad++;
    }
  }
  console.log(`${files.length} files tokenized, ${bad} end inside a string or comment`);
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(`tokenize.js: ${e && e.message ? e.message : e}`);
  process.exit(2);
});
