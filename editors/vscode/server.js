// How the extension starts the language server: the executable, its arguments and environment.
// Pure logic, no `vscode` import, so tests run it in plain node (tests/editors/lsp_client_test.js)
// and launch the server exactly as extension.js does.
'use strict';

const os = require('os');
const path = require('path');

// `~` and `~/…` at the start of a setting mean the home directory (as in a shell).
function expandHome(p, env) {
  if (p === '~' || p.startsWith('~/')) {
    const home = env.HOME || os.homedir();
    return path.join(home, p.slice(1));
  }
  return p;
}

// settings: the `mlpc.*` settings ({ path, stdlibPath }); env: the environment to start from
// (process.env). Returns a vscode-languageclient `Executable`: `mlpc lsp` over stdio, with
// MLP_PATH set when `mlpc.stdlibPath` is. `transport` is left unset on purpose: with
// TransportKind.stdio the client would append `--stdio` to the arguments.
function serverExecutable(settings, env) {
  const s = settings || {};
  const base = env || {};
  const exe = typeof s.path === 'string' && s.path.trim() !== '' ? s.path.trim() : 'mlpc';
  const childEnv = Object.assign({}, base);
  const stdlib = typeof s.stdlibPath === 'string' ? s.stdlibPath.trim() : '';
  if (stdlib !== '') {
    childEnv.MLP_PATH = path.resolve(expandHome(stdlib, base));
  }
  return {
    command: expandHome(exe, base),
    args: ['lsp'],
    options: { env: childEnv },
  };
}

// The documents the client sends to the server: .mlp files on disk.
const documentSelector = [{ scheme: 'file', language: 'mlp' }];

// The settings that need a restart of the server when they change.
const restartSettings = ['mlpc.path', 'mlpc.stdlibPath'];

module.exports = { serverExecutable, documentSelector, restartSettings };
