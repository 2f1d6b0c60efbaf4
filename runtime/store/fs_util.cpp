#include "store/fs_util.h"

#include "store/posix.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace mlpc::store {

Status ensureDir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return {};
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  return osError("create directory", path, err);
}

Status ensureDirs(const std::string& path, unsigned mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0)
    if (Status s = ensureDirs(path.substr(0, slash), mode); !s) return s;
  return ensureDir(path, mode);
}

Status removeTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return osError("stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return osError("remove", path);
    return {};
  }
  if ((st.st_mode & 0700) != 0700 && ::chmod(path.c_str(), 0700) != 0)
    return osError("make writable", path);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) return osError("open directory", path);
  for (dirent* ent; (ent = ::readdir(dir.get())) != nullptr;) {
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    if (Status s = removeTree(path + "/" + std::string(name)); !s) return s;
  }
  dir.reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return osError("remove directory", path);
  return {};
}

Status fsyncDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return osError("open directory", path);
  if (::fsync(fd.get()) != 0) return osError("fsync", path);
  return {};
}

int renameNoReplace(const std::string& from, const std::string& to, bool isDir) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  int err = errno;
  if (err != EINVAL && err != ENOSYS) return err;
  if (isDir) {
    if (::rename(from.c_str(), to.c_str()) == 0) return 0;
    return errno == ENOTEMPTY ? EEXIST : errno;
  }
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

std::string uniqueName() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}-{}-{:08x}", ::getpid(), counter.fetch_add(1),
                     static_cast<uint32_t>(rng()));
}

} // namespace mlpc::store
