#include "lsp/transport.h"

#include <cctype>
#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace mlpc::lsp {

namespace {
constexpr size_t kMaxHeader = 64 * 1024;
constexpr size_t kMaxBody = size_t(1) << 30;

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
} // namespace

bool Transport::fill() {
  if (eof_) return false;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(in_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, size_t(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    eof_ = true;
    return false;
  }
}

bool Transport::inputPending() {
  if (!buf_.empty()) return true;
  if (eof_) return false;
  pollfd p{in_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Transport::Status Transport::read(Json& msg, std::string& error) {
  // The header: lines up to an empty line.
  size_t headerEnd;
  while ((headerEnd = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (buf_.size() > kMaxHeader) {
      buf_.clear();
      error = "a message header is longer than 64 KiB";
      return Status::Malformed;
    }
    if (!fill()) return Status::Eof;
  }
  std::string header = buf_.substr(0, headerEnd);
  buf_.erase(0, headerEnd + 4);
  long long length = -1;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t eol = header.find("\r\n", pos);
    std::string line = header.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos && lower(line.substr(0, colon)) == "content-length") {
      std::string v = line.substr(colon + 1);
      size_t i = 0;
      while (i < v.size() && v[i] == ' ')
        ++i;
      length = 0;
      bool digits = false;
      for (; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i) {
        digits = true;
        length = length * 10 + (v[i] - '0');
        if (length > static_cast<long long>(kMaxBody)) break;
      }
      if (!digits) length = -1;
    }
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  if (length < 0 || length > static_cast<long long>(kMaxBody)) {
    error = "a message header has no valid Content-Length";
    return Status::Malformed;
  }
  while (buf_.size() < size_t(length))
    if (!fill()) return Status::Eof;
  std::string body = buf_.substr(0, size_t(length));
  buf_.erase(0, size_t(length));
  msg = Json::parse(body, nullptr, false);
  if (msg.is_discarded()) {
    error = "a message is not valid JSON";
    return Status::Malformed;
  }
  return Status::Message;
}

bool Transport::send(const Json& msg) {
  // Invalid UTF-8 (from a file's bytes) is replaced rather than thrown on.
  std::string body = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(out_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

} // namespace mlpc::lsp
