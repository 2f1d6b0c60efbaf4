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

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
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

private:
  TrafficTable& table_;
  Capture* capture_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<UpstreamPool> pool_;
  int port_ = 0;
  std::thread thread_;
};

/// Sets a SageMaker-style JSON error: `{"message": …}` and x-amzn-ErrorType.
void setJsonError(httplib::Response& res, int status, const std::string& type,
                  const std::string& message);

} // namespace mlpc::deploy
