// W003: a `string` that names a file is only a string. Its text is part of a step's cache key,
// the file's bytes are not, so when such a string reaches `run` an edit to the file would leave
// cached results standing. An artifact-typed parameter (File, Dir, Dataset, Model) is hashed by
// its bytes instead; the warning says so. It runs at check time, when the file is looked up
// relative to the directory of the declaring file (where `run` executes).
#include "sema/checker.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <unordered_map>

namespace fs = std::filesystem;

namespace mlpc::sema {

namespace {

/// The indices of the params of `d` that its `run` interpolates (`${p}`).
std::set<size_t> runParams(const Program& prog, const ast::StepDecl& d) {
  std::set<size_t> out;
  const ast::Property* run = prog.property(d, "run");
  if (!run || run->value->kind != ast::ExprKind::String) return out;
  for (auto& part : run->value->as<ast::StringLit>().parts) {
    if (!part.expr) continue;
    const Resolution* r = prog.resolution(part.expr.get());
    if (r && r->kind == RefKind::StepParam && r->decl == &d) out.insert(r->index);
  }
  return out;
}

/// "file" or "directory" when `p` is a `string` whose literal default names one that exists.
std::optional<std::string> namedFile(const Program& prog, const ast::Param& p, const Module& m) {
  if (!p.defaultValue || p.defaultValue->kind != ast::ExprKind::String) return std::nullopt;
  if (prog.paramType(p).kind != TypeKind::String) return std::nullopt;
  auto& s = p.defaultValue->as<ast::StringLit>();
  if (!s.isPlain()) return std::nullopt;
  std::string text = s.plainText();
  if (text.empty() || text.find('\n') != std::string::npos || text.size() > 4096)
    return std::nullopt;
  std::error_code ec;
  fs::file_type ft = fs::status(fs::path(m.dir) / text, ec).type();
  if (ec) return std::nullopt;
  if (ft == fs::file_type::regular) return "file";
  if (ft == fs::file_type::directory) return "directory";
  return std::nullopt;
}

struct Hazard {
  const ast::Param* param;
  std::string kind;               ///< "file" or "directory"
  const ast::StepDecl* step;      ///< whose `run` interpolates it
  const ast::Expr* use = nullptr; ///< the call argument that passes it, for a pipeline param
};

bool before(SourceRange a, SourceRange b) {
  return a.file != b.file ? a.file < b.file : a.begin < b.begin;
}

} // namespace

void Checker::checkUnhashedFiles() {
  if (!opts.checkFiles) return;
  std::map<const ast::Param*, Hazard> found;
  // A step's own parameter, interpolated into its `run`.
  for (auto& m : prog.modules)
    for (auto& d : m->ast.decls) {
      if (d->kind != ast::DeclKind::Step && d->kind != ast::DeclKind::Server) continue;
      auto& sd = d->as<ast::StepDecl>();
      for (size_t i : runParams(prog, sd))
        if (auto kind = namedFile(prog, sd.params[i], *m))
          found.emplace(&sd.params[i], Hazard{&sd.params[i], *kind, &sd});
    }
  // A pipeline parameter passed as is to a step parameter that `run` interpolates. Each step's
  // interpolated parameters are found once, not at each of its (possibly 100,000) calls.
  std::unordered_map<const ast::StepDecl*, std::set<size_t>> interpolatedOf;
  for (auto& [call, cb] : prog.calls) {
    if (!cb.callee || cb.callee->kind != ast::DeclKind::Step) continue;
    auto& sd = cb.callee->as<ast::StepDecl>();
    auto known = interpolatedOf.find(&sd);
    if (known == interpolatedOf.end())
      known = interpolatedOf.emplace(&sd, runParams(prog, sd)).first;
    const std::set<size_t>& interpolated = known->second;
    for (size_t i = 0; i < cb.args.size(); ++i) {
      const ast::Expr* a = cb.args[i];
      if (!a || !interpolated.count(i)) continue;
      const Resolution* r = prog.resolution(a);
      if (!r || r->kind != RefKind::PipelineParam) continue;
      auto& pd = r->decl->as<ast::PipelineDecl>();
      const ast::Param& p = pd.params[r->index];
      auto mit = prog.declModule.find(r->decl);
      if (mit == prog.declModule.end()) continue;
      auto kind = namedFile(prog, p, *mit->second);
      if (!kind) continue;
      auto [it, fresh] = found.emplace(&p, Hazard{&p, *kind, &sd, a});
      if (!fresh && it->second.use && before(a->range, it->second.use->range)) {
        it->second.step = &sd;
        it->second.use = a;
      }
    }
  }
  std::vector<Hazard> list;
  for (auto& [_, h] : found)
    list.push_back(h);
  std::sort(list.begin(), list.end(), [](const Hazard& a, const Hazard& b) {
    return before(a.param->defaultValue->range, b.param->defaultValue->range);
  });
  for (auto& h : list) {
    const std::string& name = h.param->name.name;
    std::string text = h.param->defaultValue->as<ast::StringLit>().plainText();
    auto& d = sink.report(DiagCode::UnhashedFileParam, h.param->defaultValue->range,
                          "`" + name + "` names the " + h.kind + " `" + text +
                              "`, but as a `string` only its text is hashed")
                  .withLabel("an existing " + h.kind);
    if (h.use)
      d.secondary(h.use->range, "passed to `" + h.step->name.name + "`, whose `run` uses it");
    d.note("a change to the " + h.kind + "'s bytes would not re-run `" + h.step->name.name +
           "`: its cached result would be reused")
        .note(std::string("declare `") + name + "` as `" +
              (h.kind == "file" ? "File` or `Dataset<…>`" : "Dir`") +
              (h.use ? " with a `" + std::string(h.kind == "file" ? "file" : "dir") + "(\"" + text +
                           "\")` default,"
                     // A step parameter of an artifact type has no default: callers pass one.
                     : " and pass it a `data` or an artifact-typed pipeline parameter,") +
              " so its bytes are part of the cache key");
  }
}

} // namespace mlpc::sema
