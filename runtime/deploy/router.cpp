#include "deploy/router.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <sys/socket.h>

namespace mlpc::deploy {

void setJsonError(httplib::Response& res, int status, const std::string& type,
                  const std::string& message) {
  res.status = status;
  res.set_header("x-amzn-ErrorType", type);
  res.set_content(nlohmann::json{{"ErrorCode", type}, {"message", message}}.dump(),
                  "application/json");
}

namespace {

/// Counts a request in flight on a fleet for as long as it lives.
struct InflightGuard {
  Fleet& f;
  explicit InflightGuard(Fleet& fleet) : f(fleet) { ++f.inflight; }
  ~InflightGuard() { --f.inflight; }
  InflightGuard(const InflightGuard&) = delete;
  InflightGuard& operator=(const InflightGuard&) = delete;
};

void invoke(TrafficTable& table, Capture* capture, UpstreamPool& pool, const httplib::Request& req,
            httplib::Response& res) {
  std::string name = req.matches[1];
  if (!table.known(name)) {
    setJsonError(res, 404, "ValidationError", "Endpoint " + name + " not found.");
    return;
  }
  std::string why;
  std::shared_ptr<Fleet> fleet = table.pick(name, why);
  if (!fleet) {
    setJsonError(res, 503, "ServiceUnavailable", "Endpoint " + name + " is not in service: " + why);
    return;
  }
  InflightGuard guard(*fleet);
  auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  int port = fleet->pickPort();
  if (port == 0) {
    fleet->metrics().record(true, seconds());
    setJsonError(res, 503, "ServiceUnavailable",
                 "Endpoint " + name + " has no healthy instance of version " +
                     std::to_string(fleet->version()) + " right now");
    return;
  }
  httplib::Headers headers;
  for (const char* h : {"Accept", "X-Amzn-SageMaker-Custom-Attributes"})
    if (req.has_header(h)) headers.emplace(h, req.get_header_value(h));
  std::string contentType = req.has_header("Content-Type") ? req.get_header_value("Content-Type")
                                                           : "application/octet-stream";
  auto lease = pool.acquire(port);
  auto up = lease.client->Post(fleet->server().invokePath, headers, req.body, contentType);
  // httplib reconnects when an idle connection was closed by the server; one closed just then
  // fails while sending, before the server has read the request, and is tried once more on a new
  // connection. A read error is not retried: the server may have acted on the request.
  if (!up && lease.reused && up.error() != httplib::Error::Read) {
    lease = {UpstreamPool::fresh(port), false};
    up = lease.client->Post(fleet->server().invokePath, headers, req.body, contentType);
  }
  if (up) pool.release(port, std::move(lease.client));
  double secs = seconds();
  if (!up) {
    fleet->metrics().record(true, secs);
    setJsonError(res, 502, "ModelError",
                 "version " + std::to_string(fleet->version()) + " of endpoint " + name +
                     " did not answer: " + httplib::to_string(up.error()));
    return;
  }
  fleet->metrics().record(up->status >= 500, secs);
  res.status = up->status;
  std::string ct = up->has_header("Content-Type") ? up->get_header_value("Content-Type")
                                                  : "application/octet-stream";
  res.set_content(up->body, ct);
  res.set_header("X-Amzn-Invoked-Production-Variant", "v" + std::to_string(fleet->version()));
  if (capture) capture->offer(name, fleet->version(), contentType, req.body, ct, up->body);
}

} // namespace

Router::Router(TrafficTable& table, Capture* capture)
    : table_(table), capture_(capture), http_(std::make_unique<httplib::Server>()),
      pool_(std::make_unique<UpstreamPool>()) {
  // httplib's default also sets SO_REUSEPORT, which would let a second agent share the port.
  http_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_->set_payload_max_length(kMaxPayloadBytes);
  // httplib's defaults (8 worker threads, a connection closed after 5 requests, Nagle on) cap a
  // keep-alive client at a few hundred requests a second: 40 ms per request waits for a delayed
  // ACK. A worker serves one connection at a time, so the pool is sized for many clients.
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(100000);
  http_->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  http_->Post(R"(/endpoints/([^/]+)/invocations)",
              [this](const httplib::Request& req, httplib::Response& res) {
                invoke(table_, capture_, *pool_, req, res);
              });
  http_->Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\": \"ok\"}", "application/json");
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        setJsonError(res, 500, "InternalFailure", "the router failed on this request");
      });
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      setJsonError(res, 404, "UnknownOperationException", "no route for " + req.path);
    else if (res.status == 413)
      setJsonError(res, 413, "ValidationError", "the request body is larger than 6 MB");
    else
      setJsonError(res, res.status, "ValidationError", "bad request");
  });
}

Router::~Router() {
  stop();
}

bool Router::bind(int port, std::string& error) {
  if (port == 0) {
    port_ = http_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) {
      error = "cannot listen on 127.0.0.1 (no free port)";
      return false;
    }
    return true;
  }
  if (!http_->bind_to_port("127.0.0.1", port)) {
    error = "cannot listen on 127.0.0.1:" + std::to_string(port) +
            ": the port is in use (choose another with --port, or --port 0 for any free one)";
    return false;
  }
  port_ = port;
  return true;
}

void Router::start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
}

void Router::stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

} // namespace mlpc::deploy
