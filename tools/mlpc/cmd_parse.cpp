// `mlpc parse FILE --dump-ast`: the syntax stage alone, for tests and curious users.
#include "commands.h"
#include "common.h"

#include "syntax/parse.h"

#include <iostream>

namespace mlpc::cli {

void registerParse(CLI::App& app) {
  struct Opts {
    std::string file;
    bool dump = false;
    DiagOptions diag;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("parse", "Parse one .mlp file (no imports, no checking)");
  cmd->add_option("FILE", opts->file, "The .mlp file")->required();
  cmd->add_flag("--dump-ast", opts->dump, "Print the syntax tree with source ranges");
  addDiagOptions(*cmd, opts->diag);
  cmd->callback([opts] {
    SourceManager sm;
    DiagnosticSink sink;
    std::string text, err;
    if (!readFile(opts->file, text, err)) {
      std::cerr << "error: cannot read " << opts->file << ": " << err << "\n";
      exitCode() = 2;
      return;
    }
    FileId id = sm.add(opts->file, std::move(text));
    ast::Module m = syntax::parseFile(sm, id, sink);
    if (opts->dump) std::cout << ast::dump(m, sm);
    exitCode() = emitDiagnostics(sink, sm, opts->diag);
  });
}

} // namespace mlpc::cli
