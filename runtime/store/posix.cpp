#include "store/posix.h"

#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

namespace mlpc::store {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Error osError(std::string_view what, std::string_view path, int err) {
  const char* name = ::strerrorname_np(err);
  return fail(
      fmt::format("cannot {} '{}': {} [{}]", what, path, std::strerror(err), name ? name : "?"));
}

ptrdiff_t readFull(int fd, void* buf, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, static_cast<char*>(buf) + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ptrdiff_t>(done);
}

bool writeAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace mlpc::store
