// The VS Code extension for .mlp files: starts `mlpc lsp` (tools/mlpc/lsp, docs/lsp.md) through
// vscode-languageclient and restarts it when `mlpc.path` or `mlpc.stdlibPath` change. What is
// started and with which environment is decided in server.js.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const { serverExecutable, documentSelector, restartSettings } = require('./server');

let client;
let output;

function settings() {
  const c = vscode.workspace.getConfiguration('mlpc');
  return { path: c.get('path'), stdlibPath: c.get('stdlibPath') };
}

async function start() {
  const exe = serverExecutable(settings(), process.env);
  const clientOptions = {
    documentSelector,
    outputChannel: output,
    // The server checks whole programs (imports, the stdlib): tell it about .mlp files that change
    // on disk too.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.mlp') },
  };
  // The client id `mlpc` makes the client read the `mlpc.trace.server` setting.
  client = new LanguageClient('mlpc', 'mlpc language server', exe, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const why = err && err.message ? err.message : String(err);
    vscode.window.showErrorMessage(
      `mlpc: could not start \`${exe.command} lsp\` (${why}). Set \`mlpc.path\` to the mlpc executable.`);
    client = undefined;
  }
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    try {
      await c.stop();
    } catch (_) {
      // The server may already have exited; nothing to clean up.
    }
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  output = vscode.window.createOutputChannel('mlpc');
  context.subscriptions.push(output);
  context.subscriptions.push(vscode.commands.registerCommand('mlpc.restartServer', restart));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (restartSettings.some((s) => e.affectsConfiguration(s))) {
        restart();
      }
    }));
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
