#include "store/hash_cache.h"

#include "store/posix.h"
#include "store/sha256.h"

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>

#include <fmt/format.h>

namespace mlpc::store {
namespace {

FileStamp stampOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string cacheKey(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

} // namespace

Result<std::optional<HashCacheEntry>> MemoryHashCacheBackend::load(const std::string& path) {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::optional<HashCacheEntry>();
  return std::optional<HashCacheEntry>(it->second);
}

Status MemoryHashCacheBackend::save(const std::vector<HashCacheEntry>& entries) {
  for (const HashCacheEntry& e : entries)
    entries_[e.path] = e;
  return {};
}

HashCache::HashCache(HashCacheBackend* backend) : backend_(backend) {}

HashCache::~HashCache() {
  (void)flush();
}

Result<std::optional<HashCacheEntry>> HashCache::lookup(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end())
    return std::optional<HashCacheEntry>(it->second);
  if (!backend_) return std::optional<HashCacheEntry>();
  Result<std::optional<HashCacheEntry>> loaded = backend_->load(key);
  if (loaded && loaded->has_value()) entries_[key] = **loaded;
  return loaded;
}

Result<std::string> HashCache::hashFile(const std::string& path) {
  std::string key = cacheKey(path);
  // Stat the descriptor we read from, so the stamp describes exactly the bytes we hash.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return osError("open", path);
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) return osError("stat", path);
  if (!S_ISREG(before.st_mode)) return fail(fmt::format("'{}' is not a regular file", path));
  FileStamp stamp = stampOf(before);

  Result<std::optional<HashCacheEntry>> cached = lookup(key);
  if (!cached) return cached.err();
  if (cached->has_value() && (*cached)->stamp == stamp) {
    ++hits_;
    return (*cached)->hash;
  }

  ++misses_;
  int64_t startedNs = nowNs();
  Result<std::string> hash = sha256Fd(fd.get(), path);
  if (!hash) return hash;
  struct stat after {};
  bool stable = ::fstat(fd.get(), &after) == 0 && stampOf(after) == stamp;
  bool racy = stamp.mtimeNs > startedNs - kRacyWindowNs;
  if (stable && !racy) {
    HashCacheEntry entry{key, stamp, *hash};
    std::lock_guard lock(mu_);
    entries_[key] = entry;
    pending_.push_back(std::move(entry));
  }
  return hash;
}

Result<TreeHash> HashCache::hashTree(const std::string& dir) {
  return store::hashTree(dir, [this](const std::string& p) { return hashFile(p); });
}

Status HashCache::flush() {
  std::lock_guard lock(mu_);
  if (!backend_ || pending_.empty()) return {};
  Status s = backend_->save(pending_);
  if (s) pending_.clear();
  return s;
}

} // namespace mlpc::store
