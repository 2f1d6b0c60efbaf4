#include "lsp/documents.h"

#include "lsp/uri.h"

#include <chrono>
#include <filesystem>

namespace mlpc::lsp {

bool Documents::open(const std::string& uri, int version, std::string text) {
  auto path = uriToPath(uri);
  if (!path) return false;
  Document& d = docs_[uri];
  d.uri = uri;
  d.path = sema::canonicalPath(*path);
  d.version = version;
  d.text = std::move(text);
  d.dirty = true;
  d.analysis.reset();
  d.lastParsed.reset();
  return true;
}

void Documents::close(const std::string& uri) {
  docs_.erase(uri);
}

Document* Documents::find(const std::string& uri) {
  auto it = docs_.find(uri);
  return it == docs_.end() ? nullptr : &it->second;
}

std::vector<Document*> Documents::dirty() {
  std::vector<Document*> out;
  for (auto& [_, d] : docs_)
    if (d.dirty) out.push_back(&d);
  return out;
}

std::vector<Document*> Documents::all() {
  std::vector<Document*> out;
  for (auto& [_, d] : docs_)
    out.push_back(&d);
  return out;
}

namespace {
bool hasSyntaxErrors(const Analysis& a) {
  for (auto& d : a.sink.diagnostics())
    if (sema::stopsChecking(d.code) && d.range.file == a.module->ast.file) return true;
  return false;
}
} // namespace

std::shared_ptr<const Analysis> Documents::check(const std::string& path) {
  auto a = std::make_shared<Analysis>();
  sema::Options opts;
  opts.stdlibDirs = stdlibDirs_;
  opts.overlay = [this](const std::string& canonical, std::string& text) {
    const std::string* open = openText(canonical);
    if (open) text = *open;
    return open != nullptr;
  };
  auto start = std::chrono::steady_clock::now();
  a->program = sema::analyze(path, opts, a->sm, a->sink);
  a->sink.sort(a->sm);
  a->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  a->module = a->program->entry;
  return a;
}

std::shared_ptr<const Analysis> Documents::analyze(Document& doc) {
  if (!doc.dirty && doc.analysis) return doc.analysis;
  // Clean before checking: a check that throws is not retried on every message.
  doc.dirty = false;
  replaced_.push_back(std::move(doc.analysis));
  doc.analysis = check(doc.path);
  if (doc.analysis->module && !hasSyntaxErrors(*doc.analysis)) {
    replaced_.push_back(std::move(doc.lastParsed));
    doc.lastParsed = doc.analysis;
  }
  return doc.analysis;
}

std::shared_ptr<const Analysis> Documents::analyzeClosed(const std::string& uri) {
  auto path = uriToPath(uri);
  std::error_code ec;
  if (!path || !std::filesystem::is_regular_file(*path, ec)) return nullptr;
  return analyzePath(sema::canonicalPath(*path));
}

std::shared_ptr<const Analysis> Documents::analyzePath(const std::string& canonical) {
  for (auto& [_, d] : docs_)
    if (d.path == canonical && !d.dirty && d.analysis)
      return d.analysis->module ? d.analysis : nullptr;
  auto a = check(canonical);
  return a->module ? a : nullptr;
}

const std::string* Documents::openText(const std::string& canonical) const {
  for (auto& [_, d] : docs_)
    if (d.path == canonical) return &d.text;
  return nullptr;
}

std::vector<std::string> Documents::openPaths() const {
  std::vector<std::string> out;
  for (auto& [_, d] : docs_)
    out.push_back(d.path);
  return out;
}

} // namespace mlpc::lsp
