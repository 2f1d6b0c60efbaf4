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

Forwarded forward(Fleet& fleet, const std::string& contentType, const std::string& accept,
                  const std::string& customAttributes, const std::string& body) {
  Forwarded out;
  auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  fleet.lastUsed = steadyNow();
  Fleet::Lease instance = fleet.acquire();
  int port = instance.port;
  if (port == 0) {
    out.error = "no healthy instance of version " + std::to_string(fleet.version()) + " right now";
    return out;
  }
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  if (!customAttributes.empty())
    headers.emplace("X-Amzn-SageMaker-Custom-Attributes", customAttributes);
  const std::string& ct = contentType.empty() ? "application/octet-stream" : contentType;
  // One per agent, for the router's and the async workers' requests; never destroyed, so no
  // thread still forwarding at exit meets a dead pool.
  static auto& pool = *new UpstreamPool;
  auto lease = pool.acquire(port);
  auto up = lease.client->Post(fleet.server().invokePath, headers, body, ct);
  // httplib reconnects when an idle connection was closed by the server; one closed just then
  // fails while sending, before the server has read the request, and is tried once more on a new
  // connection. A read error is not retried: the server may have acted on the request.
  if (!up && lease.reused && up.error() != httplib::Error::Read) {
    lease = {UpstreamPool::fresh(port), false};
    up = lease.client->Post(fleet.server().invokePath, headers, body, ct);
  }
  if (up) pool.release(port, std::move(lease.client));
  double secs = seconds();
  if (!up) {
    fleet.metrics().record(true, secs);
    out.error = "version " + std::to_string(fleet.version()) +
                " did not answer: " + httplib::to_string(up.error());
    return out;
  }
  fleet.metrics().record(up->status >= 500, secs);
  out.answered = true;
  out.status = up->status;
  out.contentType = up->has_header("Content-Type") ? up->get_header_value("Content-Type")
                                                   : "application/octet-stream";
  out.body = std::move(up->body);
  return out;
}

void Router::setMaxConcurrency(const std::string& endpoint, int limit) {
  auto l = std::make_unique<Limit>();
  l->max = limit;
  limits_[endpoint] = std::move(l);
}

void Router::invoke(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  if (!table_.known(name)) {
    setJsonError(res, 404, "ValidationError", "Endpoint " + name + " not found.");
    return;
  }
  Limit* limit = nullptr;
  if (auto l = limits_.find(name); l != limits_.end()) limit = l->second.get();
  if (limit && ++limit->now > limit->max) {
    --limit->now;
    setJsonError(res, 429, "ThrottlingException",
                 "Endpoint " + name + " is at its max_concurrency (" + std::to_string(limit->max) +
                     " requests at once)");
    return;
  }
  struct Release {
    Limit* l;
    ~Release() {
      if (l) --l->now;
    }
  } release{limit};
  if (auto m = modes_.find(name); m != modes_.end() && m->second == "async") {
    setJsonError(res, 400, "ValidationError",
                 "Endpoint " + name + " is an async endpoint: send requests to /endpoints/" + name +
                     "/async-invocations");
    return;
  }
  std::string why;
  std::shared_ptr<Fleet> fleet = table_.pick(name, why);
  if (!fleet && onDemand_ && onDemand_(name, why)) fleet = table_.pick(name, why);
  if (!fleet) {
    setJsonError(res, 503, "ServiceUnavailable", "Endpoint " + name + " is not in service: " + why);
    return;
  }
  std::string contentType = req.has_header("Content-Type") ? req.get_header_value("Content-Type")
                                                           : "application/octet-stream";
  std::string accept = req.has_header("Accept") ? req.get_header_value("Accept") : "";
  std::string attrs = req.has_header("X-Amzn-SageMaker-Custom-Attributes")
                          ? req.get_header_value("X-Amzn-SageMaker-Custom-Attributes")
                          : "";
  Forwarded up;
  {
    InflightGuard guard(*fleet);
    up = forward(*fleet, contentType, accept, attrs, req.body);
  }
  if (!up.answered && up.status == 0 && up.error.rfind("no healthy", 0) == 0 && onDemand_) {
    // A serverless fleet stopped for idleness just as this request picked it: start another.
    if (onDemand_(name, why))
      if ((fleet = table_.pick(name, why))) {
        InflightGuard guard(*fleet);
        up = forward(*fleet, contentType, accept, attrs, req.body);
      }
  }
  if (!up.answered) {
    bool noInstance = up.error.rfind("no healthy", 0) == 0;
    if (noInstance) fleet->metrics().record(true, 0);
    setJsonError(res, noInstance ? 503 : 502, noInstance ? "ServiceUnavailable" : "ModelError",
                 "Endpoint " + name + (noInstance ? " has " : ": ") + up.error);
    return;
  }
  res.status = up.status;
  res.set_content(up.body, up.contentType);
  res.set_header("X-Amzn-Invoked-Production-Variant", "v" + std::to_string(fleet->version()));
  if (capture_)
    capture_->offer(name, fleet->version(), contentType, req.body, up.contentType, up.body);
}

Router::Router(TrafficTable& table, Capture* capture)
    : table_(table), capture_(capture), http_(std::make_unique<httplib::Server>()) {
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
              [this](const httplib::Request& req, httplib::Response& res) { invoke(req, res); });
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
