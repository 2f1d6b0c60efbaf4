#pragma once
/// SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA extensions when present).
/// Every digest in mlpc is spelled as 64 lower-case hex characters.
#include "store/result.h"

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX, kept out of our headers

namespace mlpc::store {

/// Read size for file hashing. Large reads keep the syscall count negligible next to the
/// hashing itself; see docs/runtime-store.md for the measurement.
inline constexpr size_t kHashBufferSize = size_t{1} << 20;

/// Incremental hasher, for data that is hashed while it is copied.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  /// The hex digest; the hasher is reset and can be reused afterwards.
  std::string finishHex();

private:
  evp_md_ctx_st* ctx_;
};

/// Hex SHA-256 of `bytes`.
std::string sha256Bytes(std::string_view bytes);

/// Hex SHA-256 of the file's contents, read sequentially with read(2) in kHashBufferSize chunks.
/// The error names the path and the OS error.
Result<std::string> sha256File(const std::string& path);

/// Same as sha256File for an already open descriptor, read from its current offset to EOF.
/// `pathForErrors` only appears in messages.
Result<std::string> sha256Fd(int fd, std::string_view pathForErrors);

/// True for exactly 64 lower-case hex characters (what the store accepts as an object name).
bool isSha256Hex(std::string_view s);

/// A per-thread scratch buffer of kHashBufferSize bytes, shared by hashing and copying so that
/// hashing many small files does not allocate (and page-fault) a fresh megabyte each time.
char* scratchBuffer();

} // namespace mlpc::store
