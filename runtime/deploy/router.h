#pragma once
/// The router: one HTTP listener on loopback speaking SageMaker's runtime API, so existing
/// clients (boto3's `sagemaker-runtime`) work unchanged:
///   POST /endpoints/NAME/invocations  body, Content-Type, Accept and custom attributes passed
///                                     to an instance of a fleet chosen by the traffic table;
///                                     its answer passed back (X-Amzn-Invoked-Production-Variant
///                                     names the version that answered)
///   GET  /ping                        200 while the router runs
/// An unknown endpoint gets 404 with a JSON error (x-amzn-ErrorType: ValidationError); an
/// endpoint with no healthy instance 503; a payload over 6 MB 413. Other routes (the agent's
/// control API) are added through http().
#include "deploy/capture.h"
#include "deploy/traffic_table.h"
#include "deploy/upstream_pool.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace mlpc::deploy {

constexpr size_t kMaxPayloadBytes = 6 * 1024 * 1024;
/// Connections served at once (each kept-alive client holds a worker while it is connected).
constexpr size_t kWorkerThreads = 64;

class Router {
public:
  /// `capture`, when given, is offered every answered request (see capture.h).
  explicit Router(TrafficTable& table, Capture* capture = nullptr);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Binds 127.0.0.1:`port` (0: any free port); false with `error` when it cannot.
  bool bind(int port, std::string& error);
  int port() const { return port_; }
  /// Serves on a thread of its own until stop().
  void start();
  /// Stops accepting; requests in flight finish first.
  void stop();
  httplib::Server& http() { return *http_; }
  /// An endpoint's mode ("realtime" when not set): a synchronous request to an `async` endpoint
  /// is refused (400). Set before start().
  void setMode(const std::string& endpoint, const std::string& mode) { modes_[endpoint] = mode; }
  /// At most `limit` requests of `endpoint` at once (waiting for a cold start included); those
  /// beyond get 429 (ThrottlingException), as SageMaker's serverless throttling. Set before
  /// start().
  void setMaxConcurrency(const std::string& endpoint, int limit);
  /// Called when an endpoint has no fleet taking traffic (a `serverless` endpoint scaled to
  /// zero): starts one and returns true once it takes traffic, or false with `why`. Set before
  /// start().
  void setOnDemand(std::function<bool(const std::string&, std::string&)> f) {
    onDemand_ = std::move(f);
  }

private:
  void invoke(const httplib::Request& req, httplib::Response& res);

  TrafficTable& table_;
  Capture* capture_;
  std::map<std::string, std::string> modes_;
  struct Limit {
    int max = 0;
    std::atomic<int> now{0};
  };
  std::map<std::string, std::unique_ptr<Limit>> limits_;
  std::function<bool(const std::string&, std::string&)> onDemand_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::thread thread_;
};

/// The outcome of one request sent to a model server.
struct Forwarded {
  bool answered = false; ///< false: no healthy instance, or the server did not answer (`error`)
  int status = 0;
  std::string contentType, body, error;
};
/// Sends one request to a ready instance of `fleet` (round robin) and records its outcome in
/// the fleet's metrics (5xx and no answer are errors).
Forwarded forward(Fleet& fleet, const std::string& contentType, const std::string& accept,
                  const std::string& customAttributes, const std::string& body);

/// Counts a request in flight on a fleet for as long as it lives.
struct InflightGuard {
  Fleet& f;
  explicit InflightGuard(Fleet& fleet) : f(fleet) { ++f.inflight; }
  ~InflightGuard() { --f.inflight; }
  InflightGuard(const InflightGuard&) = delete;
  InflightGuard& operator=(const InflightGuard&) = delete;
};

/// Sets a SageMaker-style JSON error: `{"message": …}` and x-amzn-ErrorType.
void setJsonError(httplib::Response& res, int status, const std::string& type,
                  const std::string& message);

} // namespace mlpc::deploy
