// Rename: the declaration and every use, checked before anything is rewritten.
#include "query/query.h"

#include <algorithm>
#include <cctype>

namespace mlpc::query {

namespace {

bool isName(const std::string& s) {
  static const char* const kKeywords[] = {
      "import", "as",       "if",    "else",     "for",     "in",      "register", "with",
      "fail",   "and",      "or",    "not",      "true",    "false",   "data",     "step",
      "server", "pipeline", "model", "endpoint", "monitor", "schedule"};
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  if (!std::all_of(s.begin(), s.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
    return false;
  return std::none_of(std::begin(kKeywords), std::end(kKeywords),
                      [&](const char* k) { return s == k; });
}

} // namespace

std::string renameRefusal(const sema::Program& prog, const std::vector<SourceRange>& places,
                          const std::string& oldName) {
  for (SourceRange r : places) {
    const sema::Module* owner = moduleOfFile(prog, r.file);
    if (!owner) return "`" + oldName + "` is used outside the loaded files";
    if (!owner->stdlibName.empty())
      return "`" + oldName + "` is declared in the standard library (`" + owner->stdlibName +
             "`), which is not renamed";
    // Every place must spell the old name (an output named `out` by default is written nowhere).
    if (prog.sm.text(r) != oldName)
      return "`" + oldName + "` cannot be renamed: it is not written out everywhere";
  }
  return "";
}

RenamePlan planRename(const sema::Program& prog, const sema::Module& m, uint32_t offset,
                      const std::string& newName) {
  RenamePlan plan;
  Target tg = locate(m.ast, offset);
  switch (tg.kind) {
  case TargetKind::Expr:
    if (tg.expr->kind == ast::ExprKind::Name) plan.name = tg.range;
    break;
  case TargetKind::MemberName:
  case TargetKind::ArgName:
  case TargetKind::DeclName:
  case TargetKind::ParamName:
  case TargetKind::BindingName:
  case TargetKind::LoopVarName:
    plan.name = tg.range;
    break;
  default:
    break;
  }
  std::vector<SourceRange> refs;
  if (plan.name.valid()) refs = references(prog, m, offset, true);
  if (refs.empty()) {
    plan.error = "there is no declared name here to rename";
    return plan;
  }
  plan.oldName = std::string(prog.sm.text(plan.name));
  plan.error = renameRefusal(prog, refs, plan.oldName);
  if (!plan.error.empty()) return plan;
  if (!newName.empty() && !isName(newName)) {
    plan.error = "`" + newName + "` is not a valid name (letters, digits and `_`, not a keyword)";
    return plan;
  }
  plan.edits = std::move(refs);
  return plan;
}

} // namespace mlpc::query
