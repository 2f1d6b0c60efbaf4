#!/usr/bin/env node
// Expands every snippet of editors/vscode/snippets/mlp.json as VS Code would when each
// placeholder keeps its default (a choice its first option, a mirror `$N` the value of
// placeholder N, `$0` nothing), and writes one .mlp file per snippet into OUTDIR, inside the
// context the snippet is meant for (a statement inside a pipeline, an endpoint after its model
// group, …), for `mlpc check`.
//
//   node snippets.js SNIPPETS_JSON OUTDIR
//
// Prints one line per file: "KEY FILE". Exits 1 when a snippet has no context below (a new
// snippet must say where it goes) or cannot be expanded.
'use strict';

const fs = require('fs');
const path = require('path');

const SKLEARN = 'import "std/sklearn"\n';
const DATA = 'import "std/data"\n';
const CHURN = 'model churn {\n  approval = auto\n  serve    = sklearn.Serve\n}\n';
const TRAIN = 'pipeline train() {\n}\n';
const BINDINGS = [
  '  raw    = data.LoadExample(name = "iris", label = "species")',
  '  split  = data.Split(raw, test_fraction = 0.3)',
  '  m      = sklearn.Train(data = split.train, label = "species")',
  '  scores = sklearn.Evaluate(model = m, data = split.test, label = "species")',
].join('\n') + '\n';
const inPipeline = (prelude, bindings) => (body) =>
  `${prelude}pipeline p() {\n${bindings}${body.replace(/^/gm, '  ')}\n}\n`;
const after = (prelude) => (body) => `${prelude}${body}\n`;

// Where each snippet goes.
const CONTEXT = {
  'import': after(''),
  'data': after(''),
  'step': after(''),
  'pipeline': after(''),
  'model': after(SKLEARN),
  'endpoint (realtime)': after(SKLEARN + CHURN),
  'endpoint (canary)': after(SKLEARN + CHURN),
  'endpoint (linear)': after(SKLEARN + CHURN),
  'endpoint (serverless)': after(SKLEARN + CHURN),
  'endpoint (async)': after(SKLEARN + CHURN),
  'monitor': after(SKLEARN + CHURN + TRAIN +
    'endpoint churn_api {\n  model   = churn.latest\n  capture = 50%\n}\n'),
  'schedule': after(TRAIN),
  'for': inPipeline('', ''),
  'if': inPipeline(SKLEARN + DATA, BINDINGS),
  'register': inPipeline(SKLEARN + DATA + CHURN, BINDINGS),
};

// Snippet syntax (https://code.visualstudio.com/docs/editor/userdefinedsnippets#_grammar), the
// parts these snippets use: $N, ${N}, ${N:default}, ${N|a,b|}, escapes \$ \} \\.
function expand(text) {
  const defaults = {};
  function parse(i, inside) {
    const parts = [];
    while (i < text.length) {
      const c = text[i];
      if (c === '\\' && i + 1 < text.length && '$}\\,|'.includes(text[i + 1])) {
        parts.push(text[i + 1]);
        i += 2;
      } else if (inside && c === '}') {
        return [parts, i + 1];
      } else if (c === '$') {
        const rest = text.slice(i);
        let m;
        if ((m = /^\$(\d+)/.exec(rest)) || (m = /^\$\{(\d+)\}/.exec(rest))) {
          parts.push({ ref: m[1] });
          i += m[0].length;
        } else if ((m = /^\$\{(\d+)\|([^|]*)\|\}/.exec(rest))) {
          defaults[m[1]] = [m[2].split(',')[0]];
          parts.push({ ref: m[1] });
          i += m[0].length;
        } else if ((m = /^\$\{(\d+):/.exec(rest))) {
          const [inner, next] = parse(i + m[0].length, true);
          defaults[m[1]] = inner;
          parts.push({ ref: m[1] });
          i = next;
        } else {
          throw new Error(`unsupported snippet syntax at "${rest.slice(0, 20)}"`);
        }
      } else {
        parts.push(c);
        i += 1;
      }
    }
    if (inside) throw new Error('unclosed placeholder');
    return [parts, i];
  }
  const [parts] = parse(0, false);
  const render = (ps) => ps.map((p) => (typeof p === 'string' ? p
    : p.ref === '0' || !defaults[p.ref] ? '' : render(defaults[p.ref]))).join('');
  return render(parts);
}

function main() {
  const [snippetsPath, outDir] = process.argv.slice(2);
  if (!snippetsPath || !outDir) {
    console.error('usage: snippets.js SNIPPETS_JSON OUTDIR');
    process.exit(2);
  }
  const snippets = JSON.parse(fs.readFileSync(snippetsPath, 'utf8'));
  let bad = 0;
  for (const [key, s] of Object.entries(snippets)) {
    const where = CONTEXT[key];
    if (!where) {
      console.error(`snippet "${key}": no context in tests/editors/snippets.js`);
      bad++;
      continue;
    }
    if (!s.prefix || !Array.isArray(s.body) || !s.description) {
      console.error(`snippet "${key}": needs prefix, body (a list of lines) and description`);
      bad++;
      continue;
    }
    let text;
    try {
      text = where(expand(s.body.join('\n')));
    } catch (e) {
      console.error(`snippet "${key}": ${e.message}`);
      bad++;
      continue;
    }
    const file = path.join(outDir, key.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '') + '.mlp');
    fs.writeFileSync(file, text);
    console.log(`${key}\t${file}`);
  }
  process.exit(bad ? 1 : 0);
}

main();
