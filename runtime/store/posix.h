#pragma once
/// Thin POSIX helpers shared by the store: an owning file descriptor and error messages that name
/// the path and the OS error, which is what a user needs to act on ENOSPC, EACCES or EROFS.
#include "store/result.h"

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

namespace mlpc::store {

/// Owns a file descriptor; closes it on destruction (which also drops any flock on it).
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

/// "cannot <what> '<path>': <strerror> [ENAME]", e.g.
/// "cannot write '/w/.mlp/tmp/1-2-ab': No space left on device [ENOSPC]".
Error osError(std::string_view what, std::string_view path, int err = errno);

/// read(2) until `size` bytes or end of file; retries EINTR. Returns bytes read or -1 (errno set).
ptrdiff_t readFull(int fd, void* buf, size_t size);
/// write(2) all of `data`; retries EINTR and short writes. Returns false with errno set on failure.
bool writeAll(int fd, const void* data, size_t size);

} // namespace mlpc::store
