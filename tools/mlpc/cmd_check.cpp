// `mlpc check FILE`: parse and type-check a program and its imports; print what it declares.
#include "commands.h"
#include "frontend.h"

#include <iostream>

namespace mlpc::cli {

void registerCheck(CLI::App& app) {
  struct Opts {
    std::string file;
    DiagOptions diag;
    bool quiet = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("check", "Type-check a program and its imports");
  cmd->add_option("FILE", opts->file, "The entry .mlp file")->required();
  cmd->add_flag("-q,--quiet", opts->quiet, "Print only diagnostics");
  addDiagOptions(*cmd, opts->diag);
  cmd->callback([opts] {
    auto fe = loadProgram(opts->file, opts->diag);
    if (!fe) return;
    if (opts->quiet || opts->diag.format == "json") return releaseAtExit(std::move(fe));
    const auto& entry = *fe->program->entry;
    std::map<ast::DeclKind, int> counts;
    for (auto& d : entry.ast.decls)
      counts[d->kind]++;
    std::cout << entry.displayPath << ": ok";
    const std::pair<ast::DeclKind, const char*> kinds[] = {
        {ast::DeclKind::Data, "data"},        {ast::DeclKind::Step, "steps"},
        {ast::DeclKind::Server, "servers"},   {ast::DeclKind::Pipeline, "pipelines"},
        {ast::DeclKind::Model, "models"},     {ast::DeclKind::Endpoint, "endpoints"},
        {ast::DeclKind::Monitor, "monitors"}, {ast::DeclKind::Schedule, "schedules"}};
    std::string parts;
    for (auto& [k, name] : kinds)
      if (counts[k]) {
        // "1 step", "2 steps"; "data" is the same either way.
        std::string word = name;
        if (counts[k] == 1 && word != "data") word.pop_back();
        parts += (parts.empty() ? "" : ", ") + std::to_string(counts[k]) + " " + word;
      }
    if (!parts.empty()) std::cout << " (" << parts << ")";
    std::cout << "; " << fe->program->modules.size() << " module"
              << (fe->program->modules.size() == 1 ? "" : "s") << " loaded\n";
    releaseAtExit(std::move(fe));
  });
}

} // namespace mlpc::cli
