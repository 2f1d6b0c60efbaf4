// Across a workspace: a file's local imports (the index's edges), the exported declaration under
// the cursor, and its uses in a file that imports the declaring one.
#include "query/describe.h"
#include "query/query.h"
#include "syntax/parse.h"

#include <filesystem>

namespace mlpc::query {

std::optional<std::vector<std::string>> localImports(const std::string& path,
                                                     const std::string& text) {
  SourceManager sm;
  DiagnosticSink sink;
  ast::Module m = syntax::parseFile(sm, sm.add(path, text), sink);
  if (sink.errorCount() > 0) return std::nullopt;
  std::string dir = std::filesystem::path(path).parent_path().string();
  std::vector<std::string> out;
  for (auto& d : m.decls) {
    if (d->kind != ast::DeclKind::Import) continue;
    std::string file = sema::localImportPath(dir, d->as<ast::ImportDecl>().path);
    if (!file.empty()) out.push_back(sema::canonicalPath(file));
  }
  return out;
}

namespace {

bool sameName(SourceRange a, SourceRange b) {
  return a.file == b.file && a.begin == b.begin && a.end == b.end;
}

/// Whether `name` is a top-level declaration's name, or a parameter's or output's of one.
bool declaresExported(const ast::Module& m, SourceRange name) {
  auto any = [&](const std::vector<ast::Param>& ps) {
    for (auto& p : ps)
      if (sameName(p.name.range, name)) return true;
    return false;
  };
  for (auto& d : m.decls) {
    if (d->kind == ast::DeclKind::Import) continue;
    if (sameName(d->name.range, name)) return true;
    if (d->kind == ast::DeclKind::Pipeline && any(d->as<ast::PipelineDecl>().params)) return true;
    if ((d->kind == ast::DeclKind::Step || d->kind == ast::DeclKind::Server) &&
        (any(d->as<ast::StepDecl>().params) || any(d->as<ast::StepDecl>().outputs)))
      return true;
  }
  return false;
}

} // namespace

std::optional<Exported> exportedAt(const sema::Program& prog, const sema::Module& m,
                                   uint32_t offset) {
  auto def = definition(prog, m, offset);
  if (!def || def->begin == def->end) return std::nullopt; // a module, or an unwritten `out`
  const sema::Module* owner = moduleOfFile(prog, def->file);
  if (!owner || !owner->stdlibName.empty() || !declaresExported(owner->ast, *def))
    return std::nullopt;
  return Exported{owner->path, def->begin, std::string(prog.sm.text(*def))};
}

std::vector<SourceRange> usesIn(const sema::Program& prog, const sema::Module& importer,
                                const Exported& decl) {
  std::vector<SourceRange> out;
  const sema::Module* owner = moduleByPath(prog, decl.path);
  if (!owner) return out;
  // The declaring file as this program loaded it: the same text the offset was taken from, unless
  // it changed in between (then its name is elsewhere and nothing is reported).
  auto def = definition(prog, *owner, decl.offset);
  if (!def || def->begin != decl.offset || prog.sm.text(*def) != decl.name ||
      !declaresExported(owner->ast, *def))
    return out;
  collectUses(prog, *def, importer.ast, out);
  return out;
}

} // namespace mlpc::query
