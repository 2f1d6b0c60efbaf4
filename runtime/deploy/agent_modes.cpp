// The `async` and `serverless` endpoint modes of the agent.
//
// async(queue = N): POST /endpoints/NAME/async-invocations (SageMaker's InvokeEndpointAsync) puts
// the request into the workspace's durable queue (AsyncStore) and answers 202 with its
// InferenceId and OutputLocation; `instances` workers per endpoint send the queued requests to
// the endpoint's fleet, one at a time each, and store the answers. GET of the output (or failure)
// location returns them.
//
// serverless(idle = D): no process until the first request, which waits for the cold start
// (the fleet started and health-checked); after D without a request the fleet is stopped.
#include "deploy/agent.h"

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace mlpc::deploy {

using nlohmann::json;

namespace {

constexpr size_t kDefaultQueue = 1000;
constexpr double kDefaultIdleS = 600;
constexpr uint64_t kMaxAsyncInputBytes = 1ULL << 30; // SageMaker's async payload limit: 1 GB

std::string header(const httplib::Request& req, const char* name) {
  return req.has_header(name) ? req.get_header_value(name) : "";
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The local file an InputLocation names: `file:///abs/path`, an absolute path, or a path
/// relative to `projectDir` (the directory holding the workspace). "" with `error` otherwise.
std::string inputPath(const std::string& loc, const std::string& projectDir, std::string& error) {
  std::string path = loc;
  if (auto colon = loc.find("://"); colon != std::string::npos) {
    std::string scheme = loc.substr(0, colon);
    if (scheme != "file") {
      error = "InputLocation " + loc +
              ": mlpc reads the payload from a local file; give a file:// "
              "URI or a path (" +
              scheme + ":// is not reachable from this machine)";
      return "";
    }
    std::string rest = loc.substr(colon + 3);
    if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
    if (rest.empty() || rest[0] != '/') {
      error = "InputLocation " + loc + ": a file:// URI needs an absolute path (file:///…)";
      return "";
    }
    path = percentDecode(rest);
  }
  if (path.empty()) {
    error = "InputLocation is empty";
    return "";
  }
  fs::path p(path);
  if (p.is_relative()) p = fs::path(projectDir) / p;
  return p.lexically_normal().string();
}

} // namespace

EndpointRt* Agent::find(const std::string& name) {
  for (auto& e : endpoints_)
    if (e->name == name) return e.get();
  return nullptr;
}

std::optional<ServedModel> Agent::served(const std::string& endpoint) {
  EndpointRt* ep = find(endpoint);
  if (!ep) return std::nullopt;
  std::shared_ptr<Fleet> live;
  std::optional<ServerTemplate> tmpl;
  {
    std::lock_guard lock(mu_);
    live = ep->live;
    tmpl = ep->tmpl;
  }
  ServedModel out;
  if (live) {
    out.group = live->server().group;
    out.version = live->version();
  } else if (tmpl) { // a serverless endpoint scaled to zero
    out.group = tmpl->group;
    out.version = tmpl->version;
    return out;
  } else {
    return std::nullopt;
  }
  // The stdlib servers name their features in their health answer; positional requests are
  // matched with those names.
  Fleet::Lease lease = live->acquire();
  if (lease.port == 0) return out;
  httplib::Client cli("127.0.0.1", lease.port);
  cli.set_connection_timeout(2);
  cli.set_read_timeout(2);
  if (auto res = cli.Get(live->server().healthPath); res && res->status == 200) {
    json h = json::parse(res->body, nullptr, false);
    if (auto f = h.is_object() ? h.find("features") : h.end(); f != h.end() && f->is_array())
      for (auto& name : *f)
        if (name.is_string()) out.features.push_back(name.get<std::string>());
  }
  return out;
}

size_t Agent::queueLimit(const EndpointRt& ep) const {
  const auto& q = ep.def.mode.queue;
  if (q && q->is_number_integer() && q->get<int64_t>() > 0)
    return static_cast<size_t>(q->get<int64_t>());
  return kDefaultQueue;
}

double Agent::idleSeconds(const EndpointRt& ep) const {
  const auto& d = ep.def.mode.idleS;
  if (d && d->is_number() && d->get<double>() > 0) return d->get<double>();
  return kDefaultIdleS;
}

json Agent::modeJson(EndpointRt& ep) {
  if (ep.def.mode.kind == "async")
    return {{"queue_limit", queueLimit(ep)}, {"unanswered", async_.unanswered(ep.name)}};
  std::lock_guard lock(mu_);
  const auto& mc = ep.def.mode.maxConcurrency;
  return {{"idle_s", idleSeconds(ep)},
          {"max_concurrency", mc && mc->is_number_integer() ? json(*mc) : json()},
          {"cold_starts", ep.coldStarts},
          {"last_cold_start_s", ep.coldStarts ? json(ep.lastColdStartS) : json()},
          {"scaled_to_zero", ep.live == nullptr}};
}

// ---- async ----

void Agent::addAsyncRoutes() {
  auto& http = router_.http();
  http.Post(R"(/endpoints/([^/]+)/async-invocations)",
            [this](const httplib::Request& req, httplib::Response& res) { asyncInvoke(req, res); });
  // The output and failure locations the 202 answer names.
  for (bool failure : {false, true})
    http.Get(failure ? R"(/mlpc/async/failures/([^/]+))" : R"(/mlpc/async/results/([^/]+))",
             [this, failure](const httplib::Request& req, httplib::Response& res) {
               std::string id = req.matches[1];
               AsyncStatus s = AsyncStore::lookup(opts_.ctx.workspace + "/async", id);
               std::string want = failure ? "Failed" : "Completed";
               res.set_header("X-Mlpc-Inference-Status", s.status.empty() ? "Unknown" : s.status);
               if (s.status != want) {
                 std::string msg =
                     s.status.empty()        ? "no inference " + id
                     : s.status == "Pending" ? "inference " + id + " is still pending"
                     : failure               ? "inference " + id + " did not fail"
                               : "inference " + id + " failed: see /mlpc/async/failures/" + id;
                 setJsonError(res, 404, "NotFound", msg);
                 return;
               }
               std::ifstream in(s.bodyPath, std::ios::binary);
               std::ostringstream ss;
               ss << in.rdbuf();
               if (failure) {
                 res.set_content(json{{"InferenceId", id},
                                      {"status", s.httpStatus},
                                      {"message", s.error},
                                      {"body", ss.str()}}
                                     .dump(),
                                 "application/json");
               } else {
                 res.set_content(ss.str(), s.contentType.empty() ? "application/octet-stream"
                                                                 : s.contentType);
               }
             });
}

void Agent::asyncInvoke(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  EndpointRt* ep = find(name);
  if (!ep) {
    setJsonError(res, 404, "ValidationError", "Endpoint " + name + " not found.");
    return;
  }
  if (ep->def.mode.kind != "async") {
    setJsonError(res, 400, "ValidationError",
                 "Endpoint " + name + " is a " + ep->def.mode.kind +
                     " endpoint, not an async one: send requests to /endpoints/" + name +
                     "/invocations");
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (ep->state == "Failed") {
      res.status = 503;
      setJsonError(res, 503, "ServiceUnavailable",
                   "Endpoint " + name + " is not in service: " + ep->reason);
      return;
    }
  }
  if (stopping_) {
    setJsonError(res, 503, "ServiceUnavailable", "the agent is stopping");
    return;
  }
  std::string loc = header(req, "X-Amzn-SageMaker-InputLocation"), src;
  if (!loc.empty()) {
    std::string error;
    src = inputPath(loc, fs::path(opts_.ctx.workspace).parent_path().string(), error);
    if (src.empty()) {
      setJsonError(res, 400, "ValidationError", error);
      return;
    }
    struct stat st {};
    if (::stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      setJsonError(res, 400, "ValidationError",
                   "InputLocation " + loc + ": no readable file " + src);
      return;
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxAsyncInputBytes) {
      setJsonError(res, 413, "ValidationError",
                   "InputLocation " + loc + " is larger than the 1 GB async payload limit");
      return;
    }
  } else if (req.body.empty()) {
    setJsonError(res, 400, "ValidationError",
                 "no payload: give X-Amzn-SageMaker-InputLocation (a file:// URI or a path) or "
                 "send the payload as the request body");
    return;
  }
  AsyncItem item;
  item.endpoint = name;
  item.id = header(req, "X-Amzn-SageMaker-Inference-Id");
  if (item.id.empty()) {
    item.id = AsyncStore::newId();
  } else if (!AsyncStore::validId(item.id)) {
    setJsonError(res, 400, "ValidationError",
                 "InferenceId must be 1 to 64 characters among A-Z a-z 0-9 . _ - (not starting "
                 "with .)");
    return;
  }
  item.contentType = header(req, "X-Amzn-SageMaker-Content-Type");
  if (item.contentType.empty() && loc.empty()) item.contentType = header(req, "Content-Type");
  if (item.contentType.empty()) item.contentType = "application/octet-stream";
  item.accept = header(req, "X-Amzn-SageMaker-Accept");
  if (item.accept.empty()) item.accept = header(req, "Accept");
  item.customAttributes = header(req, "X-Amzn-SageMaker-Custom-Attributes");
  std::string error;
  size_t limit = queueLimit(*ep);
  switch (async_.enqueue(item, loc.empty() ? req.body : std::string(), src, limit, error)) {
  case AsyncStore::Put::Full:
    setJsonError(res, 503, "ServiceUnavailable",
                 "the queue of endpoint " + name + " is full (" + std::to_string(limit) +
                     " requests not answered yet)");
    return;
  case AsyncStore::Put::Duplicate:
    setJsonError(res, 400, "ValidationError", "InferenceId " + item.id + " is already in use");
    return;
  case AsyncStore::Put::Failed:
    setJsonError(res, 500, "InternalFailure", "cannot queue the request: " + error);
    return;
  case AsyncStore::Put::Ok:
    break;
  }
  std::string out = baseUrl() + "/mlpc/async/results/" + item.id;
  std::string fail = baseUrl() + "/mlpc/async/failures/" + item.id;
  res.status = 202;
  res.set_header("X-Amzn-SageMaker-OutputLocation", out);
  res.set_header("X-Amzn-SageMaker-FailureLocation", fail);
  res.set_content(
      json{{"InferenceId", item.id}, {"OutputLocation", out}, {"FailureLocation", fail}}.dump(),
      "application/json");
}

void Agent::startAsyncWorkers(EndpointRt& ep) {
  int n = ep.def.instances.is_number_integer() ? std::max(1, ep.def.instances.get<int>()) : 1;
  std::lock_guard lock(workersMu_);
  if (stopping_) return;
  for (int i = 0; i < n; ++i)
    workers_.emplace_back([this, e = &ep] { asyncWorker(*e); });
}

void Agent::asyncWorker(EndpointRt& ep) {
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); };
  while (!stopping_) {
    auto item = async_.take(ep.name, 0.5);
    if (!item) continue;
    if (stopping_) { // left in the queue for the next agent
      async_.putBack(*item);
      return;
    }
    std::string body, error;
    if (!async_.readBody(*item, body, error)) {
      if (!async_.finish(*item, "Failed", 0, "", "", 0, error, error)) async_.putBack(*item);
      continue;
    }
    std::string why;
    std::shared_ptr<Fleet> fleet = table_.pick(ep.name, why);
    if (!fleet) { // no instance takes traffic right now: the request waits
      async_.putBack(*item);
      pause();
      continue;
    }
    Forwarded up;
    {
      InflightGuard guard(*fleet);
      up = forward(*fleet, item->contentType, item->accept, item->customAttributes, body);
    }
    if (!up.answered && (up.error.rfind("no healthy", 0) == 0 || stopping_)) {
      async_.putBack(*item); // an instance restarting, or the agent stopping: try again later
      if (stopping_) return;
      pause();
      continue;
    }
    std::string status = up.answered && up.status < 300 ? "Completed" : "Failed";
    std::string failure;
    if (!up.answered)
      failure = up.error;
    else if (up.status >= 300)
      failure =
          "version " + std::to_string(fleet->version()) + " answered " + std::to_string(up.status);
    if (!async_.finish(*item, status, up.status, up.contentType, up.answered ? up.body : "",
                       fleet->version(), failure, error)) {
      (void)log_.recordEvent(ep.name, std::nullopt, "async_store_failed",
                             json{{"id", item->id}, {"error", error}}.dump());
      async_.putBack(*item);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (up.answered)
      capture_.offer(ep.name, fleet->version(), item->contentType, body, up.contentType, up.body);
  }
}

// ---- serverless ----

void Agent::bringUpServerless(EndpointRt& ep) {
  std::string error;
  auto tmpl = resolveServer(plan_, ep.def, std::nullopt, meta_, store_, opts_.ctx, error);
  if (!tmpl) {
    std::string why = "model " + describeModelExpr(ep.def) + ": " + error;
    setState(ep, "Failed", why);
    table_.declare(ep.name, why);
    (void)log_.recordEvent(ep.name, std::nullopt, "failed", json{{"reason", why}}.dump());
    return;
  }
  meta::DeploymentRow d;
  d.endpoint = ep.name;
  d.group = tmpl->group;
  d.version = tmpl->version;
  d.strategy = "create";
  auto id = log_.startDeployment(d);
  {
    std::lock_guard lock(mu_);
    ep.tmpl = *tmpl;
    autoTried_[ep.name] = tmpl->version;
    if (id) ep.lastDeployment = *id;
  }
  table_.declare(ep.name, "scaled to zero");
  if (id) {
    (void)log_.recordTrafficStep(*id, "{}", "serverless: no instance until the first request");
    (void)log_.finishDeployment(*id, "Succeeded", "");
  }
  setState(ep, "InService", "");
}

bool Agent::coldStart(const std::string& name, std::string& why) {
  EndpointRt* ep = find(name);
  if (!ep || ep->def.mode.kind != "serverless") return false;
  std::lock_guard cold(ep->coldMu);
  if (!table_.routes(name).empty()) return true; // another request started it meanwhile
  std::optional<ServerTemplate> tmpl;
  {
    std::lock_guard lock(mu_);
    tmpl = ep->tmpl;
  }
  if (!tmpl) return false; // Failed: `why` already says why
  if (stopping_) {
    why = "the agent is stopping";
    return false;
  }
  double t0 = steadyNow();
  int size = ep->def.instances.is_number_integer() ? ep->def.instances.get<int>() : 1;
  auto fleet = std::make_shared<Fleet>(name, *tmpl, size, spawner_, logDir_, &log_);
  std::string error;
  if (!fleet->start(opts_.healthTimeoutS, error)) {
    fleet->stop();
    why = "the cold start failed: " + error;
    (void)log_.recordEvent(name, std::nullopt, "cold_start_failed",
                           json{{"version", tmpl->version}, {"error", error}}.dump());
    return false;
  }
  double secs = steadyNow() - t0;
  fleet->lastUsed = steadyNow();
  {
    std::lock_guard lock(mu_);
    ep->live = fleet;
    ++ep->coldStarts;
    ep->lastColdStartS = secs;
  }
  table_.set(name, {{fleet, 100}});
  (void)log_.recordEvent(
      name, std::nullopt, "cold_start",
      json{{"version", tmpl->version}, {"seconds", secs}, {"instances", size}}.dump());
  setState(*ep, "InService", "");
  return true;
}

void Agent::scaleIdleToZero() {
  for (auto& e : endpoints_) {
    EndpointRt& ep = *e;
    if (ep.def.mode.kind != "serverless") continue;
    std::shared_ptr<Fleet> live;
    {
      std::lock_guard lock(mu_);
      live = ep.live;
    }
    double idle = idleSeconds(ep);
    if (!live || live->inflight > 0 || steadyNow() - live->lastUsed < idle) continue;
    std::unique_lock cold(ep.coldMu, std::try_to_lock);
    if (!cold.owns_lock()) continue;
    if (live->inflight > 0 || steadyNow() - live->lastUsed < idle) continue;
    table_.declare(ep.name, "scaled to zero");
    {
      std::lock_guard lock(mu_);
      ep.live.reset();
    }
    live->stop(opts_.drainS);
    (void)log_.recordEvent(ep.name, std::nullopt, "scale_to_zero",
                           json{{"version", live->version()}, {"idle_s", idle}}.dump());
    setState(ep, "InService", "");
  }
}

} // namespace mlpc::deploy
