#include "lsp/workspace.h"

#include "query/query.h"
#include "sema/sema.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace mlpc::lsp {

namespace {

bool skipped(const fs::path& dir) {
  std::string name = dir.filename().string();
  return name == "build" || name == "node_modules" || (!name.empty() && name[0] == '.');
}

} // namespace

std::vector<std::string> Workspace::scan(std::string& limit) const {
  std::set<std::string> files;
  size_t entries = 0;
  for (const std::string& root : roots_) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
        end;
    for (; !ec && it != end; it.increment(ec)) {
      if (++entries > kMaxEntries) {
        limit = "the workspace has more than " + std::to_string(kMaxEntries) +
                " entries; only the first are searched";
        return {files.begin(), files.end()};
      }
      std::error_code e2;
      if (it->is_directory(e2)) {
        if (skipped(it->path())) it.disable_recursion_pending();
        continue;
      }
      if (it->path().extension() != ".mlp" || !it->is_regular_file(e2)) continue;
      if (files.size() >= kMaxFiles) {
        limit = "the workspace has more than " + std::to_string(kMaxFiles) +
                " .mlp files; only the first are searched";
        return {files.begin(), files.end()};
      }
      files.insert(sema::canonicalPath(it->path().string()));
    }
  }
  return {files.begin(), files.end()};
}

const std::optional<std::vector<std::string>>& Workspace::importsOnDisk(const std::string& path) {
  static const std::optional<std::vector<std::string>> kNone;
  std::error_code ec;
  auto mtime = fs::last_write_time(path, ec);
  if (ec) return kNone;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return kNone;
  auto it = cache_.find(path);
  if (it != cache_.end() && it->second.mtime == mtime && it->second.size == size)
    return it->second.imports;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Entry& e = cache_[path];
  e.mtime = mtime;
  e.size = size;
  e.imports = in ? query::localImports(path, text.str()) : std::nullopt;
  return e.imports;
}

std::vector<std::string> Workspace::importersOf(const std::string& canonical, const OpenText& open,
                                                const std::vector<std::string>& openPaths,
                                                std::string& limit) {
  std::vector<std::string> files = scan(limit);
  // Forget files that are gone, so the cache does not grow with renames.
  std::set<std::string> present(files.begin(), files.end());
  for (auto it = cache_.begin(); it != cache_.end();)
    it = present.count(it->first) ? std::next(it) : cache_.erase(it);
  for (const std::string& p : openPaths)
    if (present.insert(p).second) files.push_back(p);
  std::sort(files.begin(), files.end());

  std::vector<std::string> out;
  for (const std::string& f : files) {
    if (f == canonical) continue;
    std::optional<std::vector<std::string>> fromText;
    const std::optional<std::vector<std::string>>* imports = nullptr;
    if (const std::string* text = open(f)) {
      fromText = query::localImports(f, *text);
      imports = &fromText;
    } else {
      imports = &importsOnDisk(f);
    }
    if (*imports && std::count((*imports)->begin(), (*imports)->end(), canonical)) out.push_back(f);
  }
  return out;
}

} // namespace mlpc::lsp
