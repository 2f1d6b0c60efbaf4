// Language features on the checked program: hover, definition, references, rename, symbols.
#include "lsp/convert.h"
#include "lsp/server.h"
#include "lsp/uri.h"

#include "query/query.h"

namespace mlpc::lsp {

void Server::setWorkspace(const Json& params) {
  std::vector<std::string> roots;
  auto add = [&](const std::optional<std::string>& dir) {
    if (dir && !dir->empty()) roots.push_back(sema::canonicalPath(*dir));
  };
  if (auto f = params.find("workspaceFolders"); f != params.end() && f->is_array())
    for (const Json& folder : *f)
      add(uriToPath(folder.at("uri").get<std::string>()));
  if (roots.empty())
    if (auto r = params.find("rootUri"); r != params.end() && r->is_string())
      add(uriToPath(r->get<std::string>()));
  if (roots.empty())
    if (auto r = params.find("rootPath"); r != params.end() && r->is_string())
      add(r->get<std::string>());
  workspace_.setRoots(std::move(roots));
}

std::vector<Server::ImporterUses> Server::usesInImporters(const Analysis& a, uint32_t offset) {
  std::vector<ImporterUses> out;
  auto exported = query::exportedAt(*a.program, *a.module, offset);
  if (!exported) return out;
  std::string limit;
  auto importers = workspace_.importersOf(
      exported->path, [this](const std::string& p) { return docs_.openText(p); }, docs_.openPaths(),
      limit);
  if (!limit.empty()) log(limit);
  for (const std::string& path : importers) {
    if (query::moduleByPath(*a.program, path)) continue;
    auto importer = docs_.analyzePath(path);
    if (!importer) continue;
    auto uses = query::usesIn(*importer->program, *importer->module, *exported);
    if (!uses.empty()) out.push_back({std::move(importer), std::move(uses)});
  }
  return out;
}

void Server::registerFeatures() {
  // The analysis of the document a request names: an open one (checked now if it changed, and
  // its diagnostics published), or a closed file read from disk.
  auto analysisFor = [this](const Json& params) -> std::shared_ptr<const Analysis> {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    if (Document* doc = docs_.find(uri)) {
      if (doc->dirty) publish(*doc);
      return doc->analysis && doc->analysis->module ? doc->analysis : nullptr;
    }
    return docs_.analyzeClosed(uri);
  };
  auto offsetOf = [](Positions& pos, const Analysis& a, const Json& params) {
    const Json& p = params.at("position");
    return pos.offset(a.module->ast.file,
                      {p.at("line").get<uint32_t>(), p.at("character").get<uint32_t>()});
  };

  requests_["textDocument/hover"] = [=](const Json& params) -> Json {
    auto a = analysisFor(params);
    if (!a) return nullptr;
    Positions pos(*a);
    auto h = query::hover(*a->program, *a->module, offsetOf(pos, *a, params));
    if (!h) return nullptr;
    Json out = {{"contents", {{"kind", "markdown"}, {"value", h->markdown}}}};
    if (h->range.valid()) out["range"] = pos.range(h->range);
    return out;
  };

  requests_["textDocument/definition"] = [=](const Json& params) -> Json {
    auto a = analysisFor(params);
    if (!a) return nullptr;
    Positions pos(*a);
    auto r = query::definition(*a->program, *a->module, offsetOf(pos, *a, params));
    if (!r) return nullptr;
    return pos.location(*r);
  };

  requests_["textDocument/references"] = [=, this](const Json& params) -> Json {
    auto a = analysisFor(params);
    Json out = Json::array();
    if (!a) return out;
    Positions pos(*a);
    bool withDecl =
        params.contains("context") && params["context"].value("includeDeclaration", false);
    uint32_t offset = offsetOf(pos, *a, params);
    for (SourceRange r : query::references(*a->program, *a->module, offset, withDecl))
      if (Json loc = pos.location(r); !loc.is_null()) out.push_back(std::move(loc));
    for (auto& [importer, uses] : usesInImporters(*a, offset)) {
      Positions ipos(*importer);
      for (SourceRange r : uses)
        if (Json loc = ipos.location(r); !loc.is_null()) out.push_back(std::move(loc));
    }
    return out;
  };

  requests_["textDocument/prepareRename"] = [=](const Json& params) -> Json {
    auto a = analysisFor(params);
    if (!a) return nullptr;
    Positions pos(*a);
    auto plan = query::planRename(*a->program, *a->module, offsetOf(pos, *a, params), "");
    if (!plan.error.empty()) return nullptr;
    return {{"range", pos.range(plan.name)}, {"placeholder", plan.oldName}};
  };

  requests_["textDocument/rename"] = [=, this](const Json& params) -> Json {
    auto a = analysisFor(params);
    if (!a) throw RequestError(kRequestFailed, "the document is not a readable .mlp file");
    std::string newName = params.at("newName").get<std::string>();
    Positions pos(*a);
    uint32_t offset = offsetOf(pos, *a, params);
    auto plan = query::planRename(*a->program, *a->module, offset, newName);
    if (!plan.error.empty()) throw RequestError(kRequestFailed, plan.error);
    auto elsewhere = usesInImporters(*a, offset);
    for (auto& [importer, uses] : elsewhere)
      if (auto why = query::renameRefusal(*importer->program, uses, plan.oldName); !why.empty())
        throw RequestError(kRequestFailed, why);
    Json changes = Json::object();
    auto edit = [&](Positions& p, SourceRange r) {
      Json loc = p.location(r);
      changes[loc.at("uri").get<std::string>()].push_back(
          {{"range", loc.at("range")}, {"newText", newName}});
    };
    for (SourceRange r : plan.edits)
      edit(pos, r);
    for (auto& [importer, uses] : elsewhere) {
      Positions ipos(*importer);
      for (SourceRange r : uses)
        edit(ipos, r);
    }
    return {{"changes", changes}};
  };

  // The did-you-mean fixes of the diagnostics under the requested range, as quick fixes.
  requests_["textDocument/codeAction"] = [=](const Json& params) -> Json {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    auto a = analysisFor(params);
    if (!a) return Json::array();
    Positions pos(*a);
    const Json& r = params.at("range");
    auto at = [&](const Json& p) {
      return pos.offset(a->module->ast.file,
                        {p.at("line").get<uint32_t>(), p.at("character").get<uint32_t>()});
    };
    return quickFixes(*a, uri, at(r.at("start")), at(r.at("end")));
  };

  requests_["textDocument/documentSymbol"] = [=](const Json& params) -> Json {
    auto a = analysisFor(params);
    if (!a) return Json::array();
    Positions pos(*a);
    return symbols(pos, query::documentSymbols(a->module->ast));
  };
}

} // namespace mlpc::lsp
