#pragma once
/// The workspace lock (`<workspace>/lock`) keeps `mlpc verify --repair` from removing an object
/// that a run is about to refer to. Between Store::put and the metadata that names the new
/// object, nothing refers to it; a cache hit or a `data` declaration that finds an object
/// already stored also relies on it staying until its execution is recorded. So every process
/// that adds objects or references holds the lock shared for its whole life, and removing
/// unreferenced objects takes it exclusively: it never overlaps a writer.
///
/// The lock is an flock(2) on the file; the kernel drops it when its holder exits (kill -9
/// too), so a crash never leaves the workspace locked.
#include "store/posix.h"
#include "store/result.h"

#include <optional>
#include <string>

namespace mlpc::store {

class WorkspaceLock {
public:
  /// Shared: any number of writers at once. Waits while a repair holds it exclusively.
  static Result<WorkspaceLock> shared(const std::string& workspaceDir);
  /// Exclusive, without waiting: nullopt when some process holds it (a run is in progress).
  static Result<std::optional<WorkspaceLock>> tryExclusive(const std::string& workspaceDir);

  static std::string pathIn(const std::string& workspaceDir) { return workspaceDir + "/lock"; }

private:
  explicit WorkspaceLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

} // namespace mlpc::store
