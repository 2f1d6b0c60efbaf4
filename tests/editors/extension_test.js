#!/usr/bin/env node
// editors/vscode/extension.js with the `vscode` module and vscode-languageclient replaced by
// recording stand-ins: activation starts one client on what server.js says, for the mlp language;
// a change of mlpc.path restarts it with the new executable, a change of another setting does
// not; the restart command works; a server that cannot start gives an error message naming
// mlpc.path; deactivate stops the client. Prints key=value lines for vscode_test.sh.
//
//   node extension_test.js
'use strict';

const Module = require('module');
const path = require('path');

const ext = path.join(__dirname, '..', '..', 'editors', 'vscode');
const emit = (k, v) => console.log(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);

const settings = { path: '/opt/mlpc', stdlibPath: '/opt/stdlib' };
let configListener;
const commands = {};
const errors = [];
const clients = [];
let failNextStart = false;

const vscode = {
  workspace: {
    getConfiguration: (section) => ({ get: (k) => (section === 'mlpc' ? settings[k] : undefined) }),
    onDidChangeConfiguration: (f) => { configListener = f; return { dispose() {} }; },
    createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
  },
  window: {
    createOutputChannel: (name) => ({ name, dispose() {}, appendLine() {} }),
    showErrorMessage: (m) => { errors.push(m); },
  },
  commands: {
    registerCommand: (name, f) => { commands[name] = f; return { dispose() {} }; },
  },
};
class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
    clients.push(this);
  }
  async start() {
    if (failNextStart) {
      failNextStart = false;
      throw new Error('spawn /nowhere/mlpc ENOENT');
    }
    this.started = true;
  }
  async stop() { this.stopped = true; }
}

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode' || request === 'vscode-languageclient/node') return request;
  return resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
require.cache['vscode-languageclient/node'] = {
  id: 'vscode-languageclient/node', filename: 'vscode-languageclient/node', loaded: true,
  exports: { LanguageClient },
};

const extension = require(path.join(ext, 'extension.js'));
const { serverExecutable } = require(path.join(ext, 'server.js'));
const context = { subscriptions: [] };
const change = (names) => ({ affectsConfiguration: (s) => names.includes(s) });
const tick = () => new Promise((r) => setTimeout(r, 10));

async function main() {
  await extension.activate(context);
  const c = clients[0];
  emit('clients_after_activate', clients.length);
  emit('client_id', c.id);
  emit('client_started', c.started);
  emit('server_options_match', JSON.stringify(c.serverOptions) ===
    JSON.stringify(serverExecutable(settings, process.env)));
  emit('server_command', `${c.serverOptions.command} ${c.serverOptions.args.join(' ')}`);
  emit('server_mlp_path', c.serverOptions.options.env.MLP_PATH);
  emit('server_transport', String(c.serverOptions.transport));
  emit('document_selector', c.clientOptions.documentSelector);
  emit('restart_command', typeof commands['mlpc.restartServer']);

  configListener(change(['mlpc.trace.server', 'editor.fontSize']));
  await tick();
  emit('clients_after_other_setting', clients.length);

  settings.path = '/usr/local/bin/mlpc';
  configListener(change(['mlpc.path']));
  await tick();
  emit('clients_after_path_change', clients.length);
  emit('old_client_stopped', c.stopped);
  emit('new_server_command', clients[clients.length - 1].serverOptions.command);

  settings.stdlibPath = '/srv/stdlib';
  configListener(change(['mlpc.stdlibPath']));
  await tick();
  emit('new_mlp_path', clients[clients.length - 1].serverOptions.options.env.MLP_PATH);

  await commands['mlpc.restartServer']();
  emit('clients_after_restart_command', clients.length);

  failNextStart = true;
  settings.path = '/nowhere/mlpc';
  configListener(change(['mlpc.path']));
  await tick();
  emit('failed_start_message', errors[0] || '');

  await extension.deactivate();
  emit('subscriptions', context.subscriptions.length);
}

main().then(() => process.exit(0), (e) => {
  emit('error', e && e.stack ? e.stack.split('\n')[0] : e);
  process.exit(1);
});
