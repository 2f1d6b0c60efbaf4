#pragma once
// The open documents and the checked program of each: what the handlers query. A document is
// checked as an entry file, with every open document's text in place of its file on disk.
#include "lsp/reaper.h"
#include "sema/sema.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlpc::lsp {

/// One run of the checker over a document's current text.
struct Analysis {
  SourceManager sm;
  DiagnosticSink sink;
  std::unique_ptr<sema::Program> program; ///< declared last: it refers to `sm`
  const sema::Module* module = nullptr;   ///< the document's own module; null if unreadable
  double seconds = 0;                     ///< how long the check took
};

struct Document {
  std::string uri;
  std::string path; ///< canonical
  int version = 0;
  std::string text;
  bool dirty = true; ///< changed since `analysis` was made
  std::shared_ptr<const Analysis> analysis;
  /// The last analysis whose text had no syntax errors in this document: completion reads its
  /// declarations while the current text is half-typed.
  std::shared_ptr<const Analysis> lastParsed;
};

class Documents {
public:
  explicit Documents(std::vector<std::string> stdlibDirs) : stdlibDirs_(std::move(stdlibDirs)) {}

  /// Adds or replaces an open document; false when the URI is not a local file.
  bool open(const std::string& uri, int version, std::string text);
  void close(const std::string& uri);
  /// The open document, or null.
  Document* find(const std::string& uri);
  /// Documents whose text changed since they were last checked.
  std::vector<Document*> dirty();
  /// Every open document (to recheck the others when one changes: they may import it).
  std::vector<Document*> all();

  /// The current analysis of `doc`, checking it first when it is dirty. The analyses it
  /// replaces are kept until releaseReplaced.
  std::shared_ptr<const Analysis> analyze(Document& doc);
  /// Hands the analyses `analyze` replaced to the reaper's thread to free. The server calls it
  /// once the new diagnostics are out (a handler may still read the old analysis until then).
  void releaseReplaced() {
    reaper_.release(std::move(replaced_));
    replaced_.clear();
  }
  /// A check of a file that is not open (a definition's target), from disk; null when the URI
  /// is not a readable local file.
  std::shared_ptr<const Analysis> analyzeClosed(const std::string& uri);
  /// A check of the file at a canonical path as the entry (open documents' text in place of
  /// theirs); a clean open document's own analysis is reused. Null when it cannot be read.
  std::shared_ptr<const Analysis> analyzePath(const std::string& canonical);
  /// The unsaved text of the open document at a canonical path, or null.
  const std::string* openText(const std::string& canonical) const;
  /// The canonical paths of the open documents.
  std::vector<std::string> openPaths() const;

  const std::vector<std::string>& stdlibDirs() const { return stdlibDirs_; }

private:
  std::vector<std::string> stdlibDirs_;
  std::map<std::string, Document> docs_; ///< by URI
  std::vector<std::shared_ptr<const Analysis>> replaced_;
  Reaper reaper_; ///< frees what releaseReplaced hands it, off the server's thread
  std::shared_ptr<const Analysis> check(const std::string& path);
};

} // namespace mlpc::lsp
