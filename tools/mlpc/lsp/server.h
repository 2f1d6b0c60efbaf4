#pragma once
/// `mlpc lsp`: a language server over stdio (LSP 3.17). The server reads one message at a time;
/// edits only mark a document dirty, and dirty documents are checked (and their diagnostics
/// published) when no more input is waiting, so a burst of edits is checked once. A request
/// about a dirty document checks it first. Every handler's exception becomes a JSON-RPC error.
#include "lsp/documents.h"
#include "lsp/transport.h"
#include "lsp/workspace.h"

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace mlpc::lsp {

struct ServerOptions {
  std::vector<std::string> stdlibDirs;
};

/// Thrown by a handler to answer its request with this error (code and message) instead.
struct RequestError : std::runtime_error {
  RequestError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
  int code;
};

/// The semantic tokens legend the server announces (token types and modifiers).
Json semanticTokensLegend();

class Server {
public:
  Server(Transport& t, ServerOptions opts);
  /// Serves until `exit` or the end of the input; returns the process exit code (0 after a
  /// shutdown request, 1 otherwise, as the protocol says).
  int run();

  // JSON-RPC error codes used by the handlers.
  static constexpr int kParseError = -32700;
  static constexpr int kInvalidRequest = -32600;
  static constexpr int kMethodNotFound = -32601;
  static constexpr int kInvalidParams = -32602;
  static constexpr int kInternalError = -32603;
  static constexpr int kServerNotInitialized = -32002;
  static constexpr int kRequestFailed = -32803;

private:
  using Handler = std::function<Json(const Json& params)>;
  using Notification = std::function<void(const Json& params)>;

  Transport& transport_;
  ServerOptions opts_;
  Documents docs_;
  Workspace workspace_;
  std::map<std::string, Handler> requests_;
  std::map<std::string, Notification> notifications_;
  bool initialized_ = false;
  bool shutdown_ = false;
  bool exit_ = false;

  void handle(const Json& msg);
  void respond(const Json& id, Json result);
  void respondError(const Json& id, int code, const std::string& message);
  void log(const std::string& text);

  // sync.cpp: the document lifecycle and diagnostics.
  void registerSync();
  void publish(Document& doc);
  /// Checks every dirty document and publishes its diagnostics.
  void publishDirty();

  // features.cpp: hover, definition, references, rename, document symbols.
  void registerFeatures();
  /// The uses, in the workspace files that import its file, of the exported declaration at
  /// `offset` of `a`'s document (none for a local name): each importer's analysis and its uses.
  /// Importers that `a`'s program loads are left out (references already searched them).
  struct ImporterUses {
    std::shared_ptr<const Analysis> analysis;
    std::vector<SourceRange> uses;
  };
  std::vector<ImporterUses> usesInImporters(const Analysis& a, uint32_t offset);
  /// The workspace folders of an `initialize` request (workspaceFolders, rootUri or rootPath).
  void setWorkspace(const Json& params);
  void registerFormatting();
  // completion.cpp, semantic_tokens.cpp
  void registerCompletion();
  void registerSemanticTokens();
};

} // namespace mlpc::lsp
