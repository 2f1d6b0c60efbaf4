#include "store/sha256.h"

#include "store/posix.h"

#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <unistd.h>

namespace mlpc::store {
namespace {

// Fetching the implementation once avoids OpenSSL 3's per-init provider lookup, which is
// measurable when hashing thousands of small source files.
const EVP_MD* sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md ? md : EVP_sha256();
}

std::string toHex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

} // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, sha256Md(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_, data, size);
}

std::string Sha256::finishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, digest, &len);
  EVP_DigestInit_ex(ctx_, sha256Md(), nullptr);
  return toHex(digest, len);
}

std::string sha256Bytes(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finishHex();
}

char* scratchBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kHashBufferSize]);
  return buffer.get();
}

Result<std::string> sha256Fd(int fd, std::string_view pathForErrors) {
  // Tell the kernel to read ahead aggressively; it is only advice, so failure is ignored.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  char* buf = scratchBuffer();
  Sha256 h;
  for (;;) {
    ssize_t n = ::read(fd, buf, kHashBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      return osError("read", pathForErrors);
    }
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.finishHex();
}

Result<std::string> sha256File(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return osError("open", path);
  return sha256Fd(fd.get(), path);
}

bool isSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

} // namespace mlpc::store
