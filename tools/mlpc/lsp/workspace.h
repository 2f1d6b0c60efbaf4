#pragma once
// The workspace index: the `.mlp` files under the editor's workspace folders and the local files
// each one imports, so that references and rename reach the files that import the current one
// (which its own program never loads). Each file's edges are cached by its modification time and
// size; an open document's unsaved text is read instead of its file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlpc::lsp {

class Workspace {
public:
  /// At most this many `.mlp` files are indexed, and this many directory entries visited.
  static constexpr size_t kMaxFiles = 1000;
  static constexpr size_t kMaxEntries = 100000;

  /// The open document's text for a canonical path, or null when it is not open.
  using OpenText = std::function<const std::string*(const std::string& canonical)>;

  /// The folders given in `initialize` (canonical directories); replaces the previous ones.
  void setRoots(std::vector<std::string> roots) { roots_ = std::move(roots); }
  const std::vector<std::string>& roots() const { return roots_; }

  /// The indexed files (canonical paths, sorted) that import `canonical` directly. Scans the
  /// folders again (new and deleted files count) and parses only files whose stamp changed; a
  /// file with syntax errors imports nothing. `open` supplies unsaved text; open documents
  /// outside the folders are candidates too. `limit` receives a message when a cap was reached.
  std::vector<std::string> importersOf(const std::string& canonical, const OpenText& open,
                                       const std::vector<std::string>& openPaths,
                                       std::string& limit);

private:
  struct Entry {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    std::optional<std::vector<std::string>> imports; ///< nullopt: the file does not parse
  };
  std::vector<std::string> roots_;
  std::map<std::string, Entry> cache_; ///< files on disk, by canonical path

  /// The `.mlp` files under the roots, skipping `build/`, `node_modules/` and hidden directories.
  std::vector<std::string> scan(std::string& limit) const;
  const std::optional<std::vector<std::string>>& importsOnDisk(const std::string& path);
};

} // namespace mlpc::lsp
