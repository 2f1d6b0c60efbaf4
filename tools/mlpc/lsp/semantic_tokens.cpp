// textDocument/semanticTokens/full: query::semanticTokens, cut at line ends (clients need not
// support tokens over several lines) and encoded relative to the previous token, as LSP asks.
#include "lsp/convert.h"
#include "lsp/server.h"

#include "query/query.h"

namespace mlpc::lsp {

Json semanticTokensLegend() {
  return {{"tokenTypes", query::semanticTypeNames()},
          {"tokenModifiers", query::semanticModifierNames()}};
}

void Server::registerSemanticTokens() {
  requests_["textDocument/semanticTokens/full"] = [this](const Json& params) -> Json {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    std::shared_ptr<const Analysis> a;
    if (Document* doc = docs_.find(uri)) {
      if (doc->dirty) publish(*doc);
      a = doc->analysis;
    } else {
      a = docs_.analyzeClosed(uri);
    }
    Json data = Json::array();
    if (!a || !a->module) return {{"data", data}};
    std::string_view text = a->sm.file(a->module->ast.file).text();
    LineIndex lines(text);
    Position last;
    auto piece = [&](uint32_t b, uint32_t e, const query::SemanticToken& t) {
      while (e > b && (text[e - 1] == '\r' || text[e - 1] == '\n'))
        --e;
      if (e <= b) return;
      Position pb = lines.positionOf(b), pe = lines.positionOf(e);
      data.push_back(pb.line - last.line);
      data.push_back(pb.line == last.line ? pb.character - last.character : pb.character);
      data.push_back(pe.character - pb.character);
      data.push_back(static_cast<int>(t.type));
      data.push_back(t.modifiers);
      last = pb;
    };
    for (const query::SemanticToken& t : query::semanticTokens(*a->program, *a->module)) {
      uint32_t b = t.begin;
      for (size_t nl = text.find('\n', b); nl != std::string_view::npos && nl < t.end;
           nl = text.find('\n', b)) {
        piece(b, static_cast<uint32_t>(nl), t);
        b = static_cast<uint32_t>(nl + 1);
      }
      piece(b, t.end, t);
    }
    return {{"data", data}};
  };
}

} // namespace mlpc::lsp
