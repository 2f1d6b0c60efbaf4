#pragma once
/// A private temporary directory removed (read-only store objects included) when it goes out of
/// scope. Used by tests and by callers that need a scratch area.
#include "store/result.h"

#include <string>

namespace mlpc::store {

class ScopedTempDir {
public:
  /// Creates `<$TMPDIR or /tmp>/<prefix>XXXXXX`.
  static Result<ScopedTempDir> create(const std::string& prefix = "mlpc-");
  ScopedTempDir(ScopedTempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  ScopedTempDir& operator=(ScopedTempDir&&) = delete;
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir();

  const std::string& path() const { return path_; }
  /// `path() + "/" + rel`.
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
  explicit ScopedTempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

} // namespace mlpc::store
