#pragma once
/// Directory identity. A directory's hash is the SHA-256 of its canonical manifest: one line per
/// regular file, sorted bytewise by relative path,
///
///     <relative path>\t<file|exec>\t<sha256 of contents>\n
///
/// Paths use '/' and never start with "./". Only regular files are content: empty directories
/// are not represented (and are not kept in the store), and symlinks, sockets, FIFOs and devices
/// are an error naming the offending path, because their meaning depends on the machine.
#include "store/result.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc::store {

/// "exec" when the owner-execute bit is set; the other permission bits are not content.
enum class FileMode { File, Exec };
std::string_view toString(FileMode mode);

struct ManifestEntry {
  std::string path; ///< relative, '/'-separated
  FileMode mode = FileMode::File;
  std::string hash; ///< hex SHA-256 of the contents
  bool operator==(const ManifestEntry&) const = default;
};

/// The canonical manifest text; `entries` need not be sorted.
std::string renderManifest(std::vector<ManifestEntry> entries);
/// Parses (and checks the canonical order of) a manifest produced by renderManifest.
Result<std::vector<ManifestEntry>> parseManifest(std::string_view text);

/// A regular file found under a directory.
struct TreeFile {
  std::string relPath; ///< '/'-separated, relative to the listed directory
  FileMode mode = FileMode::File;
  uint64_t size = 0;
};

/// Lists every regular file below `dir`, sorted by relPath. Fails, naming the path, on symlinks
/// and special files, on names containing a tab or newline (they cannot appear in a manifest)
/// and on unreadable directories.
Result<std::vector<TreeFile>> listTree(const std::string& dir);

struct TreeHash {
  std::string hash;     ///< sha256 of `manifest`: the directory's identity
  std::string manifest; ///< canonical text
  std::vector<ManifestEntry> entries;
  uint64_t size = 0; ///< total bytes of the files
};

/// Hashes a file given its absolute path (e.g. sha256File, or HashCache::hashFile).
using FileHasher = std::function<Result<std::string>(const std::string& absPath)>;

/// Lists `dir`, hashes each file with `hasher` (sha256File when empty) and builds the manifest.
Result<TreeHash> hashTree(const std::string& dir, const FileHasher& hasher = {});

} // namespace mlpc::store
