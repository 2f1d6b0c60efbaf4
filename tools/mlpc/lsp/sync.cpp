// Text synchronisation (didOpen, didChange with ranges, didClose) and published diagnostics.
#include "lsp/convert.h"
#include "lsp/server.h"

#include "query/query.h"

namespace mlpc::lsp {

namespace {

Position positionOf(const Json& p) {
  return {p.at("line").get<uint32_t>(), p.at("character").get<uint32_t>()};
}

} // namespace

void Server::registerSync() {
  // Documents that loaded `path` (they import it) must be checked again when it changes.
  auto touch = [this](const std::string& path) {
    for (Document* d : docs_.all())
      if (d->analysis && d->analysis->program && query::moduleByPath(*d->analysis->program, path))
        d->dirty = true;
  };
  notifications_["textDocument/didOpen"] = [this, touch](const Json& params) {
    const Json& td = params.at("textDocument");
    std::string uri = td.at("uri").get<std::string>();
    if (!docs_.open(uri, td.value("version", 0), td.at("text").get<std::string>())) {
      log("not a local file, ignored: " + uri);
      return;
    }
    touch(docs_.find(uri)->path);
  };
  notifications_["textDocument/didChange"] = [this, touch](const Json& params) {
    const Json& td = params.at("textDocument");
    Document* doc = docs_.find(td.at("uri").get<std::string>());
    if (!doc) return;
    for (const Json& change : params.at("contentChanges")) {
      std::string text = change.at("text").get<std::string>();
      if (change.contains("range")) {
        const Json& r = change["range"];
        applyEdit(doc->text, positionOf(r.at("start")), positionOf(r.at("end")), text);
      } else {
        doc->text = std::move(text);
      }
    }
    if (td.contains("version") && td["version"].is_number_integer())
      doc->version = td["version"].get<int>();
    doc->dirty = true;
    touch(doc->path);
  };
  notifications_["textDocument/didClose"] = [this, touch](const Json& params) {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    Document* doc = docs_.find(uri);
    if (!doc) return;
    std::string path = doc->path;
    docs_.close(uri);
    touch(path);
    // The editor forgets a closed file's problems.
    transport_.send({{"jsonrpc", "2.0"},
                     {"method", "textDocument/publishDiagnostics"},
                     {"params", {{"uri", uri}, {"diagnostics", Json::array()}}}});
  };
}

void Server::publish(Document& doc) {
  auto a = docs_.analyze(doc);
  Json diags = a ? diagnostics(*a) : Json::array();
  transport_.send(
      {{"jsonrpc", "2.0"},
       {"method", "textDocument/publishDiagnostics"},
       {"params", {{"uri", doc.uri}, {"version", doc.version}, {"diagnostics", diags}}}});
}

void Server::publishDirty() {
  for (Document* d : docs_.dirty())
    publish(*d);
}

} // namespace mlpc::lsp
