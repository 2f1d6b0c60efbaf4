// textDocument/completion: the document's current text for the context, the last version that
// parsed for the names (query::complete), converted to CompletionItems with text edits.
#include "lsp/convert.h"
#include "lsp/server.h"

#include "query/query.h"

namespace mlpc::lsp {

void Server::registerCompletion() {
  requests_["textDocument/completion"] = [this](const Json& params) -> Json {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Json& p = params.at("position");
    Position at{p.at("line").get<uint32_t>(), p.at("character").get<uint32_t>()};
    Document* doc = docs_.find(uri);
    if (!doc) return Json::array(); // only what the editor has open is being typed
    if (doc->dirty) publish(*doc);
    auto model = doc->lastParsed ? doc->lastParsed : doc->analysis;
    if (!model || !model->module) return Json::array();
    LineIndex lines(doc->text);
    auto result = query::complete(doc->text, lines.offsetOf(at), *model->program, *model->module,
                                  sema::stdlibModules(docs_.stdlibDirs()));
    Position b = lines.positionOf(result.replaceBegin), e = lines.positionOf(result.replaceEnd);
    Json range = {{"start", {{"line", b.line}, {"character", b.character}}},
                  {"end", {{"line", e.line}, {"character", e.character}}}};
    Json items = Json::array();
    for (auto& c : result.items) {
      Json item = {
          {"label", c.label},
          {"kind", static_cast<int>(c.kind)},
          {"textEdit",
           {{"range", range}, {"newText", c.insertText.empty() ? c.label : c.insertText}}}};
      if (!c.detail.empty()) item["detail"] = c.detail;
      items.push_back(std::move(item));
    }
    return {{"isIncomplete", false}, {"items", items}};
  };
}

} // namespace mlpc::lsp
