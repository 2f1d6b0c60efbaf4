// textDocument/formatting: `mlpc fmt`'s layout (compiler/format) for the document as the editor
// holds it, as one edit replacing the whole text; no edit when it is already formatted or does
// not parse (the diagnostics already say why).
#include "lsp/server.h"
#include "lsp/text.h"

#include "format/format.h"

namespace mlpc::lsp {

void Server::registerFormatting() {
  requests_["textDocument/formatting"] = [this](const Json& params) -> Json {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    Document* doc = docs_.find(uri);
    if (!doc) return Json::array(); // only open documents: the editor's text is the truth
    SourceManager sm;
    FileId f = sm.add(doc->path, doc->text);
    DiagnosticSink sink;
    std::string error;
    auto out = format::formatFile(sm, f, sink, error);
    if (!error.empty()) log(error);
    if (!out || *out == doc->text) return Json::array();
    LineIndex index(doc->text);
    Position end = index.positionOf(static_cast<uint32_t>(doc->text.size()));
    return Json::array({{{"range",
                          {{"start", {{"line", 0}, {"character", 0}}},
                           {"end", {{"line", end.line}, {"character", end.character}}}}},
                         {"newText", *out}}});
  };
}

} // namespace mlpc::lsp
