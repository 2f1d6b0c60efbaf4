#!/usr/bin/env node
// The VS Code extension's language client, without VS Code: starts the server exactly as
// editors/vscode/extension.js does (server.js's serverExecutable from the mlpc.* settings, spawned
// as vscode-languageclient spawns an Executable), speaks LSP to it with vscode-languageserver-
// protocol (the library under vscode-languageclient), opens FILE, and prints what it saw as
// key=value lines for vscode_test.sh: the first diagnostic, a hover on `sklearn.Evaluate`, the
// definition of a binding (`split` in `data = split.train`) and of a step across an import
// (`local.Prepare`), and how the server ended after shutdown and exit. Every wait has a timeout.
//
//   node lsp_client_test.js MLPC STDLIB FILE
'use strict';

const cp = require('child_process');
const fs = require('fs');
const path = require('path');
const url = require('url');

const ext = path.join(__dirname, '..', '..', 'editors', 'vscode');
const { serverExecutable } = require(path.join(ext, 'server.js'));
const rpc = require(path.join(ext, 'node_modules', 'vscode-languageserver-protocol', 'node'));

const [mlpc, stdlib, file] = process.argv.slice(2);
const emit = (k, v) => console.log(`${k}=${String(v).replace(/\n/g, '\\n')}`);

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function positionOf(text, needle, delta) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i].indexOf(needle);
    if (c >= 0) return { line: i, character: c + (delta || 0) };
  }
  throw new Error(`not in the file: ${needle}`);
}

async function main() {
  const exe = serverExecutable({ path: mlpc, stdlibPath: stdlib }, process.env);
  emit('command', `${exe.command} ${exe.args.join(' ')}`);
  emit('server_mlp_path', exe.options.env.MLP_PATH);
  // As vscode-languageclient does for an Executable without a transport: spawn with its options
  // (cwd: the workspace folder), stdio pipes.
  const server = cp.spawn(exe.command, exe.args, Object.assign({ cwd: path.dirname(file) }, exe.options));
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  server.stderr.on('data', (d) => process.stderr.write(d));
  server.on('error', (e) => emit('error', `spawn: ${e.message}`));

  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
  const uri = url.pathToFileURL(file).href;
  let resolveDiag;
  const diagnostics = new Promise((resolve) => { resolveDiag = resolve; });
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    if (p.uri === uri && p.diagnostics.length > 0) resolveDiag(p);
  });
  conn.listen();

  try {
    const init = await within(15000, conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: url.pathToFileURL(path.dirname(file)).href,
      capabilities: { textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] } } },
    }), 'initialize');
    emit('server_name', init.serverInfo ? init.serverInfo.name : '');
    emit('hover_provider', !!init.capabilities.hoverProvider);
    conn.sendNotification('initialized', {});

    const text = fs.readFileSync(file, 'utf8');
    conn.sendNotification('textDocument/didOpen',
      { textDocument: { uri, languageId: 'mlp', version: 1, text } });

    const d = await within(30000, diagnostics, 'publishDiagnostics');
    const first = d.diagnostics[0];
    emit('diag_code', first.code);
    emit('diag_line', first.range.start.line + 1);
    emit('diag_message', first.message);

    const hover = await within(15000, conn.sendRequest('textDocument/hover', {
      textDocument: { uri }, position: positionOf(text, 'sklearn.Evaluate', 'sklearn.'.length),
    }), 'hover');
    emit('hover', hover && hover.contents ? (hover.contents.value || JSON.stringify(hover.contents)) : 'null');

    const def = async (needle, delta) => {
      const r = await within(15000, conn.sendRequest('textDocument/definition', {
        textDocument: { uri }, position: positionOf(text, needle, delta),
      }), `definition of ${needle}`);
      const loc = Array.isArray(r) ? r[0] : r;
      if (!loc) return ['null', 0];
      const target = loc.uri || loc.targetUri;
      const range = loc.range || loc.targetSelectionRange;
      return [path.basename(url.fileURLToPath(target)), range.start.line + 1];
    };
    let [f, l] = await def('data = split.train', 'data = s'.length);
    emit('def_binding_file', f);
    emit('def_binding_line', l);
    [f, l] = await def('local.Prepare', 'local.'.length);
    emit('def_import_file', f);
    emit('def_import_line', l);

    const comp = await within(15000, conn.sendRequest('textDocument/completion', {
      textDocument: { uri }, position: positionOf(text, 'data = split.train', 'data = split.'.length),
    }), 'completion');
    emit('completion', (comp.items || comp).map((i) => i.label).sort().join(','));
    const legend = init.capabilities.semanticTokensProvider.legend;
    const tokens = await within(15000, conn.sendRequest('textDocument/semanticTokens/full', {
      textDocument: { uri },
    }), 'semantic tokens');
    // The type of the token that starts where `pipeline train_churn` names the pipeline.
    const want = positionOf(text, 'pipeline train_churn', 'pipeline '.length);
    let line = 0, ch = 0, found = 'none';
    for (let i = 0; i + 4 < tokens.data.length; i += 5) {
      line += tokens.data[i];
      ch = tokens.data[i] ? tokens.data[i + 1] : ch + tokens.data[i + 1];
      if (line === want.line && ch === want.character) found = legend.tokenTypes[tokens.data[i + 3]];
    }
    emit('semantic_pipeline_name', found);

    await within(15000, conn.sendRequest('shutdown'), 'shutdown');
    conn.sendNotification('exit');
    const end = await within(15000, exited, 'the server to exit');
    emit('exit_code', end.code);
  } catch (e) {
    emit('error', e.message);
    server.kill();
  }
  conn.dispose();
}

main().then(() => process.exit(0), (e) => {
  emit('error', e && e.message ? e.message : e);
  process.exit(1);
});
