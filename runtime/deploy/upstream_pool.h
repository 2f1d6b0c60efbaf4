#pragma once
/// Keep-alive connections from the router to the model servers, reused across requests so that
/// a request does not pay a TCP connect (and the server an accept) each time. A connection is
/// used by one request at a time: acquire() lends one (new when none is idle), release() gives
/// it back. Servers that close connections (HTTP/1.0) simply get a new one per request.
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace httplib {
class Client;
} // namespace httplib

namespace mlpc::deploy {

class UpstreamPool {
public:
  UpstreamPool();
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  struct Lease {
    std::unique_ptr<httplib::Client> client;
    bool reused = false; // an idle connection: it may have been closed by the server meanwhile
  };
  Lease acquire(int port);
  /// Back to the pool (kept only while the pool for that port is small).
  void release(int port, std::unique_ptr<httplib::Client> client);
  /// A client set up as every upstream request wants it (timeouts, no Nagle delay).
  static std::unique_ptr<httplib::Client> fresh(int port);

private:
  std::mutex mu_;
  std::unordered_map<int, std::vector<std::unique_ptr<httplib::Client>>> idle_;
};

} // namespace mlpc::deploy
