#pragma once
// JSON-RPC framing over a pair of file descriptors: `Content-Length: N\r\n\r\n` then N bytes of
// JSON, both ways. Reads are buffered, so the server can ask whether more input is already
// waiting (and put off rechecking until the client pauses).
#include <nlohmann/json.hpp>

#include <string>

namespace mlpc::lsp {

using Json = nlohmann::json;

class Transport {
public:
  Transport(int in, int out) : in_(in), out_(out) {}

  enum class Status {
    Message,   ///< `msg` holds the next message
    Malformed, ///< a message was skipped; `error` says why
    Eof,       ///< the input ended (or failed)
  };
  /// Blocks until the next message, a framing or JSON error, or the end of the input.
  Status read(Json& msg, std::string& error);
  /// Whether input is waiting: bytes already buffered, or readable now without blocking.
  bool inputPending();
  /// Writes one message; false when the output is closed.
  bool send(const Json& msg);

private:
  int in_, out_;
  std::string buf_;
  bool eof_ = false;
  /// Reads what is available (blocking until something is); false at the end of the input.
  bool fill();
};

} // namespace mlpc::lsp
