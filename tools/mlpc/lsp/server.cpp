#include "lsp/server.h"

#include "mlpc/version.h"
#include "plan/plan.h"

#include <iostream>

namespace mlpc::lsp {

Server::Server(Transport& t, ServerOptions opts)
    : transport_(t), opts_(std::move(opts)), docs_(opts_.stdlibDirs) {
  requests_["initialize"] = [this](const Json& params) {
    initialized_ = true;
    setWorkspace(params);
    Json caps = {
        {"positionEncoding", "utf-16"},
        // 2: incremental; the client sends ranges, which are applied in order.
        {"textDocumentSync", {{"openClose", true}, {"change", 2}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"referencesProvider", true},
        {"renameProvider", {{"prepareProvider", true}}},
        {"documentSymbolProvider", true},
        {"documentFormattingProvider", true},
        {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
        // `.` for members, `"` for an import's path, `{` for a record's fields and `${`.
        {"completionProvider", {{"triggerCharacters", {".", "\"", "{"}}}},
        {"semanticTokensProvider", {{"legend", semanticTokensLegend()}, {"full", true}}},
    };
    return Json{{"capabilities", caps}, {"serverInfo", {{"name", "mlpc"}, {"version", kVersion}}}};
  };
  requests_["shutdown"] = [this](const Json&) {
    shutdown_ = true;
    return Json(nullptr);
  };
  notifications_["initialized"] = [](const Json&) {};
  notifications_["exit"] = [this](const Json&) { exit_ = true; };
  registerSync();
  registerFeatures();
  registerFormatting();
  registerCompletion();
  registerSemanticTokens();
}

void Server::log(const std::string& text) {
  std::cerr << "mlpc lsp: " << text << std::endl;
}

void Server::respond(const Json& id, Json result) {
  transport_.send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void Server::respondError(const Json& id, int code, const std::string& message) {
  transport_.send(
      {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

void Server::handle(const Json& msg) {
  if (!msg.is_object()) return respondError(nullptr, kInvalidRequest, "a message is not an object");
  auto m = msg.find("method");
  if (m == msg.end()) return; // a response to a request of ours: the server sends none
  bool isRequest = msg.contains("id");
  Json id = isRequest ? msg["id"] : Json(nullptr);
  if (isRequest && !id.is_number_integer() && !id.is_string())
    return respondError(nullptr, kInvalidRequest, "a request id must be a number or a string");
  if (!m->is_string())
    return isRequest ? respondError(id, kInvalidRequest, "`method` must be a string") : void();
  std::string method = m->get<std::string>();
  Json params = msg.contains("params") ? msg["params"] : Json::object();
  try {
    if (!isRequest) {
      if (!initialized_ && method != "exit") return; // dropped, as the protocol says
      auto it = notifications_.find(method);
      if (it != notifications_.end()) it->second(params);
      return;
    }
    if (!initialized_ && method != "initialize")
      return respondError(id, kServerNotInitialized, "the server is not initialized yet");
    if (shutdown_)
      return respondError(id, kInvalidRequest, "the server is shutting down (`" + method + "`)");
    auto it = requests_.find(method);
    if (it == requests_.end()) return respondError(id, kMethodNotFound, "unknown method " + method);
    respond(id, it->second(params));
  } catch (const RequestError& e) {
    if (isRequest) return respondError(id, e.code, e.what());
    log(e.what());
  } catch (const Json::exception& e) {
    std::string what = "invalid parameters for " + method + ": " + plan::describeException(e);
    if (isRequest) return respondError(id, kInvalidParams, what);
    log(what);
  } catch (const std::exception& e) {
    std::string what = method + " failed: " + plan::describeException(e);
    if (isRequest) return respondError(id, kInternalError, what);
    log(what);
  }
}

int Server::run() {
  for (;;) {
    // A burst of edits is checked once, when the client pauses.
    if (initialized_ && !shutdown_ && !transport_.inputPending()) {
      try {
        publishDirty();
      } catch (const std::exception& e) {
        log("checking failed: " + plan::describeException(e));
      }
      docs_.releaseReplaced(); // after the diagnostics are out
    }
    Json msg;
    std::string error;
    switch (transport_.read(msg, error)) {
    case Transport::Status::Eof:
      return shutdown_ ? 0 : 1;
    case Transport::Status::Malformed:
      respondError(nullptr, kParseError, error);
      continue;
    case Transport::Status::Message:
      break;
    }
    handle(msg);
    if (exit_) return shutdown_ ? 0 : 1;
  }
}

} // namespace mlpc::lsp
