#include "store/workspace_lock.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

namespace mlpc::store {
namespace {

Result<UniqueFd> openLockFile(const std::string& workspaceDir) {
  std::string path = WorkspaceLock::pathIn(workspaceDir);
  // O_CLOEXEC: step processes must not inherit (and so keep holding) the lock.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid() && (errno == EACCES || errno == EROFS)) {
    // A read-only workspace: lock an existing file; if there is none, the first error says why.
    int err = errno;
    fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return osError("create the workspace lock", path, err);
  }
  if (!fd.valid()) return osError("open the workspace lock", path);
  return fd;
}

} // namespace

Result<WorkspaceLock> WorkspaceLock::shared(const std::string& workspaceDir) {
  Result<UniqueFd> fd = openLockFile(workspaceDir);
  if (!fd) return fd.err();
  while (::flock(fd->get(), LOCK_SH) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOLCK || errno == EOPNOTSUPP) break; // no flock here: nothing to coordinate
    return osError("lock", pathIn(workspaceDir));
  }
  return WorkspaceLock(std::move(*fd));
}

Result<std::optional<WorkspaceLock>> WorkspaceLock::tryExclusive(const std::string& workspaceDir) {
  Result<UniqueFd> fd = openLockFile(workspaceDir);
  if (!fd) return fd.err();
  while (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return std::optional<WorkspaceLock>();
    // Without flock, writers cannot be seen either: not being sure is "in use".
    return osError("lock", pathIn(workspaceDir));
  }
  return std::optional<WorkspaceLock>(WorkspaceLock(std::move(*fd)));
}

} // namespace mlpc::store
