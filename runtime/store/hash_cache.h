#pragma once
/// Remembers file hashes by their stat tuple (device, inode, size, mtime in ns), like git's
/// index, so unchanged inputs and code files are not re-read on every run.
///
/// Persistence is pluggable through HashCacheBackend: mlpc_meta backs it with the file_hashes
/// table of meta.db (one durable, concurrency-safe place per workspace); the memory backend is
/// for tests and one-shot tools.
#include "store/manifest.h"
#include "store/result.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlpc::store {

/// What must be unchanged for a remembered hash to be trusted.
struct FileStamp {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtimeNs = 0;
  bool operator==(const FileStamp&) const = default;
};

struct HashCacheEntry {
  std::string path; ///< absolute, lexically normalised
  FileStamp stamp;
  std::string hash;
};

/// Storage for remembered hashes. HashCache serialises its calls, so an implementation is only
/// ever used from one thread at a time.
class HashCacheBackend {
public:
  virtual ~HashCacheBackend() = default;
  /// The entry for `path`, or nullopt if none is stored.
  virtual Result<std::optional<HashCacheEntry>> load(const std::string& path) = 0;
  /// Inserts or replaces entries (by path), preferably in one transaction.
  virtual Status save(const std::vector<HashCacheEntry>& entries) = 0;
};

/// Keeps entries in a map; nothing survives the process.
class MemoryHashCacheBackend final : public HashCacheBackend {
public:
  Result<std::optional<HashCacheEntry>> load(const std::string& path) override;
  Status save(const std::vector<HashCacheEntry>& entries) override;

private:
  std::unordered_map<std::string, HashCacheEntry> entries_;
};

/// Thread-safe: hashing happens outside the lock, so several threads can hash different files.
class HashCache {
public:
  /// A file modified this close to the moment it is hashed is hashed but not remembered: a
  /// second write within the filesystem's timestamp granularity could keep the same stamp
  /// ("racy git"). Such files are simply re-hashed next time.
  static constexpr int64_t kRacyWindowNs = 2'000'000'000;

  /// `backend` may be null (remember in memory only); it must outlive the cache.
  explicit HashCache(HashCacheBackend* backend = nullptr);
  /// Flushes pending entries, ignoring errors; call flush() to see them.
  ~HashCache();
  HashCache(const HashCache&) = delete;
  HashCache& operator=(const HashCache&) = delete;

  /// The hex SHA-256 of a regular file, re-read only when its stamp changed.
  Result<std::string> hashFile(const std::string& path);
  /// hashTree(dir) with every file going through hashFile.
  Result<TreeHash> hashTree(const std::string& dir);
  /// Writes entries learnt since the last flush to the backend (one save call).
  Status flush();

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

private:
  Result<std::optional<HashCacheEntry>> lookup(const std::string& key);

  HashCacheBackend* backend_;
  std::mutex mu_; // guards entries_, pending_ and calls to backend_
  std::unordered_map<std::string, HashCacheEntry> entries_;
  std::vector<HashCacheEntry> pending_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

} // namespace mlpc::store
