// `mlpc lsp`: the language server, speaking LSP over stdin and stdout (see docs/lsp.md).
#include "commands.h"
#include "frontend.h"

#include "lsp/server.h"

#include <csignal>
#include <unistd.h>

namespace mlpc::cli {

void registerLsp(CLI::App& app) {
  auto* cmd = app.add_subcommand("lsp", "Run the language server on stdin/stdout (for editors)");
  auto stdio = std::make_shared<bool>(false);
  cmd->add_flag("--stdio", *stdio, "Talk over stdin/stdout (the default and only transport)");
  cmd->callback([stdio] {
    // A client that goes away closes the pipe: writes then fail instead of killing the server.
    std::signal(SIGPIPE, SIG_IGN);
    lsp::Transport transport(STDIN_FILENO, STDOUT_FILENO);
    lsp::ServerOptions opts;
    opts.stdlibDirs = sema::defaultStdlibDirs(exePath());
    lsp::Server server(transport, opts);
    exitCode() = server.run();
  });
}

} // namespace mlpc::cli
