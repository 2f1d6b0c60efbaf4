#include "lsp/convert.h"

#include "lsp/uri.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

namespace mlpc::lsp {

const LineIndex& Positions::indexOf(FileId f) {
  auto& slot = index_[f];
  if (!slot) slot = std::make_unique<LineIndex>(a_.sm.file(f).text());
  return *slot;
}

Json Positions::range(SourceRange r) {
  Position b, e;
  if (r.valid() && r.file < a_.sm.size()) {
    const LineIndex& idx = indexOf(r.file);
    b = idx.positionOf(r.begin);
    e = idx.positionOf(r.end);
  }
  return {{"start", {{"line", b.line}, {"character", b.character}}},
          {"end", {{"line", e.line}, {"character", e.character}}}};
}

Json Positions::location(SourceRange r) {
  if (!r.valid() || !a_.program) return nullptr;
  const sema::Module* m = query::moduleOfFile(*a_.program, r.file);
  if (!m) return nullptr;
  return {{"uri", pathToUri(m->path)}, {"range", range(r)}};
}

uint32_t Positions::offset(FileId file, Position p) {
  return indexOf(file).offsetOf(p);
}

namespace {

int severity(Severity s) {
  switch (s) {
  case Severity::Error:
    return 1;
  case Severity::Warning:
    return 2;
  case Severity::Note:
    return 3;
  }
  return 1;
}

Json one(const Diagnostic& d, Positions& pos, SourceRange at, const std::string& prefix) {
  std::string message = prefix + d.message;
  for (auto& n : d.notes)
    if (!n.range.valid()) message += "\nnote: " + n.message;
  for (auto& f : d.fixits)
    message += "\nhelp: replace with `" + f.replacement + "`";
  Json related = Json::array();
  for (auto& l : d.labels)
    if (Json loc = pos.location(l.range); !loc.is_null())
      related.push_back({{"location", loc}, {"message", l.message}});
  for (auto& n : d.notes)
    if (Json loc = pos.location(n.range); !loc.is_null())
      related.push_back({{"location", loc}, {"message", n.message}});
  // An error shown on an import points at where it really is.
  if (at.file != d.range.file || at.begin != d.range.begin)
    if (Json loc = pos.location(d.range); !loc.is_null())
      related.push_back({{"location", loc}, {"message", d.message}});
  Json j = {{"range", pos.range(at)},
            {"severity", severity(d.severity)},
            {"code", diagInfo(d.code).code},
            {"source", "mlpc"},
            {"message", message}};
  if (!related.empty()) j["relatedInformation"] = std::move(related);
  return j;
}

/// The import of `entry` through which `target` was loaded, directly or not.
const ast::ImportDecl* importLeadingTo(const sema::Module& entry, const sema::Module* target) {
  for (auto& d : entry.ast.decls) {
    if (d->kind != ast::DeclKind::Import) continue;
    auto it = entry.imports.find(d->name.name);
    if (it == entry.imports.end()) continue;
    std::set<const sema::Module*> seen;
    std::function<bool(const sema::Module*)> reaches = [&](const sema::Module* m) {
      if (m == target) return true;
      if (!seen.insert(m).second) return false;
      for (auto& [_, dep] : m->imports)
        if (reaches(dep)) return true;
      return false;
    };
    if (reaches(it->second)) return &d->as<ast::ImportDecl>();
  }
  return nullptr;
}

} // namespace

Json diagnostics(const Analysis& a) {
  Json out = Json::array();
  if (!a.program) return out;
  Positions pos(a);
  const sema::Module* m = a.module;
  FileId own = m ? m->ast.file : kNoFile;
  for (const Diagnostic& d : a.sink.diagnostics()) {
    if (!d.range.valid() || d.range.file == own) {
      out.push_back(one(d, pos, d.range.valid() ? d.range : SourceRange{own, 0, 0}, ""));
      continue;
    }
    if (!m || d.severity != Severity::Error) continue;
    const sema::Module* where = query::moduleOfFile(*a.program, d.range.file);
    const ast::ImportDecl* imp = importLeadingTo(*m, where);
    SourceRange at = imp ? imp->pathRange : SourceRange{own, 0, 0};
    LineCol lc = a.sm.start(d.range);
    std::string prefix = "in " + a.sm.file(d.range.file).path() + ":" + std::to_string(lc.line) +
                         ":" + std::to_string(lc.col) + ": ";
    out.push_back(one(d, pos, at, prefix));
  }
  return out;
}

namespace {
bool isIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}
} // namespace

Json quickFixes(const Analysis& a, const std::string& uri, uint32_t from, uint32_t to) {
  Json out = Json::array();
  if (!a.program || !a.module) return out;
  Positions pos(a);
  FileId own = a.module->ast.file;
  static const std::string kLead = "did you mean `";
  for (const Diagnostic& d : a.sink.diagnostics()) {
    if (!d.range.valid() || d.range.file != own || d.range.end < from || d.range.begin > to)
      continue;
    // Only a name replaced by a name: a misspelt path, unit or string is left to the author.
    std::string_view written = a.sm.text(d.range);
    if (!isIdentifier(written)) continue;
    for (const Note& n : d.notes) {
      if (n.message.rfind(kLead, 0) != 0) continue;
      size_t close = n.message.find('`', kLead.size());
      if (close == std::string::npos) continue;
      std::string fix = n.message.substr(kLead.size(), close - kLead.size());
      // `sklearn.Train` for the misspelt member `Trian` of `sklearn.`: the member is replaced.
      if (size_t dot = fix.rfind('.'); dot != std::string::npos) fix = fix.substr(dot + 1);
      if (!isIdentifier(fix) || fix == written) continue;
      Json edit = {{"range", pos.range(d.range)}, {"newText", fix}};
      out.push_back({{"title", "Change `" + std::string(written) + "` to `" + fix + "`"},
                     {"kind", "quickfix"},
                     {"isPreferred", true},
                     {"diagnostics", Json::array({one(d, pos, d.range, "")})},
                     {"edit", {{"changes", {{uri, Json::array({edit})}}}}}});
    }
  }
  return out;
}

Json symbols(Positions& pos, const std::vector<query::Symbol>& syms) {
  Json out = Json::array();
  for (auto& s : syms) {
    Json j = {{"name", s.name},
              {"kind", static_cast<int>(s.kind)},
              {"range", pos.range(s.range)},
              {"selectionRange", pos.range(s.selection)}};
    if (!s.detail.empty()) j["detail"] = s.detail;
    if (!s.children.empty()) j["children"] = symbols(pos, s.children);
    out.push_back(std::move(j));
  }
  return out;
}

} // namespace mlpc::lsp
