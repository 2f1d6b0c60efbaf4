#include "deploy/agent.h"

#include "deploy/agent_files.h"
#include "meta/process.h"

#include <httplib.h>

#include <csignal>
#include <filesystem>
#include <thread>

namespace mlpc::deploy {

using nlohmann::json;

Agent::Agent(const plan::Plan& plan, AgentOptions options, meta::MetaStore& meta,
             const store::Store& store, meta::DeployLog& log)
    : plan_(plan), opts_(std::move(options)), meta_(meta), store_(store), log_(log),
      logDir_(opts_.ctx.workspace + "/agent/logs"), capture_(opts_.ctx.workspace + "/capture"),
      router_(table_, &capture_), async_(opts_.ctx.workspace + "/async") {
  for (auto& [name, def] : plan_.endpoints) {
    auto ep = std::make_unique<EndpointRt>();
    ep->name = name;
    ep->def = def;
    table_.declare(name, "the endpoint is being created");
    if (def.capturePercent.is_number()) capture_.setPercent(name, def.capturePercent.get<double>());
    router_.setMode(name, def.mode.kind);
    if (def.mode.kind == "serverless" && def.mode.maxConcurrency &&
        def.mode.maxConcurrency->is_number_integer() && def.mode.maxConcurrency->get<int>() > 0)
      router_.setMaxConcurrency(name, def.mode.maxConcurrency->get<int>());
    endpoints_.push_back(std::move(ep));
  }
  if (!plan_.schedules.empty()) {
    ScheduleOptions so;
    so.programFile = opts_.programFile;
    so.workspace = opts_.ctx.workspace;
    so.baseDir = opts_.ctx.baseDir;
    so.logDir = logDir_;
    so.marksFile = agentDir(opts_.ctx.workspace) + "/schedules.json";
    schedules_ = std::make_unique<ScheduleRunner>(plan_, so, spawner_, log_);
  }
  if (!plan_.monitors.empty()) {
    MonitorOptions mo;
    mo.launch = {opts_.programFile, opts_.ctx.workspace, logDir_};
    mo.baseDir = opts_.ctx.baseDir;
    mo.captureDir = opts_.ctx.workspace + "/capture";
    mo.outDir = opts_.ctx.workspace + "/monitoring";
    monitors_ = std::make_unique<MonitorRunner>(
        plan_, mo, spawner_, log_, meta_, store_,
        [this](const std::string& endpoint) { return served(endpoint); });
  }
  router_.setOnDemand(
      [this](const std::string& name, std::string& why) { return coldStart(name, why); });
  addControlRoutes();
  addAsyncRoutes();
}

Agent::~Agent() {
  shutdown();
}

std::string Agent::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(router_.port());
}

bool Agent::listen(std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(logDir_, ec);
  // A previous agent killed with -9: its servers died with it (PR_SET_PDEATHSIG); any process
  // still recorded and alive with the same start time is one of them and is stopped now.
  if (auto rows = log_.instances())
    for (auto& r : *rows) {
      if (meta::processAlive(r.pid, r.pidStart)) ::kill(-static_cast<pid_t>(r.pid), SIGKILL);
      (void)log_.removeInstance(r.endpoint, r.pid);
    }
  (void)log_.stopUnfinishedDeployments("the agent stopped during the deployment");
  (void)log_.stopUnfinishedScheduleRuns();
  (void)log_.stopUnfinishedRetrains();
  async_.recover(); // requests a previous agent accepted and did not answer
  if (!router_.bind(opts_.port, error)) return false;
  router_.start();
  for (auto& ep : endpoints_)
    setState(*ep, "Creating", "");
  return true;
}

void Agent::setState(EndpointRt& ep, const std::string& state, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    ep.state = state;
    ep.reason = reason;
  }
  meta::EndpointStateRow row;
  row.endpoint = ep.name;
  row.url = baseUrl() + "/endpoints/" + ep.name +
            (ep.def.mode.kind == "async" ? "/async-invocations" : "/invocations");
  row.mode = ep.def.mode.kind;
  row.state = state;
  row.reason = reason;
  row.trafficJson = trafficJson(ep.name).dump();
  (void)log_.setEndpointState(row);
}

json Agent::trafficJson(const std::string& endpoint) {
  json t = json::object();
  for (auto& r : table_.routes(endpoint))
    t[std::to_string(r.fleet->version())] = r.weight;
  return t;
}

void Agent::bringUpOne(EndpointRt& ep) {
  if (ep.def.mode.kind == "serverless") {
    bringUpServerless(ep);
    return;
  }
  std::string error;
  Reconcile rec = reconcile(ep.name);
  std::optional<ServerTemplate> tmpl;
  if (rec.pin) { // an update did not finish: the last version fully deployed serves again
    tmpl = resolveServer(plan_, ep.def, rec.pin, meta_, store_, opts_.ctx, error);
    if (!tmpl) rec = {}; // that version is gone from the registry: start as if anew
  }
  if (!tmpl) tmpl = resolveServer(plan_, ep.def, std::nullopt, meta_, store_, opts_.ctx, error);
  if (!tmpl) {
    std::string why = "model " + describeModelExpr(ep.def) + ": " + error;
    setState(ep, "Failed", why);
    table_.declare(ep.name, why);
    (void)log_.recordEvent(ep.name, std::nullopt, "failed", json{{"reason", why}}.dump());
    return;
  }
  {
    std::lock_guard lock(mu_);
    autoTried_[ep.name] = rec.tried.value_or(tmpl->version);
  }
  meta::DeploymentRow d;
  d.endpoint = ep.name;
  d.group = tmpl->group;
  d.version = tmpl->version;
  d.strategy = "create";
  auto id = log_.startDeployment(d);
  std::optional<int64_t> depId = id ? std::optional<int64_t>(*id) : std::nullopt;
  {
    std::lock_guard lock(mu_);
    ep.lastDeployment = depId;
  }
  int size = ep.def.instances.is_number_integer() ? ep.def.instances.get<int>() : 1;
  auto fleet = std::make_shared<Fleet>(ep.name, *tmpl, size, spawner_, logDir_, &log_);
  if (!fleet->start(opts_.healthTimeoutS, error)) {
    fleet->stop();
    setState(ep, "Failed", error);
    table_.declare(ep.name, error);
    if (depId) (void)log_.finishDeployment(*depId, "Failed", error);
    return;
  }
  {
    std::lock_guard lock(mu_);
    ep.live = fleet;
  }
  table_.set(ep.name, {{fleet, 100}});
  if (depId) {
    if (rec.pin)
      (void)log_.recordEvent(ep.name, depId, "reconciled", json{{"reason", rec.why}}.dump());
    (void)log_.recordTrafficStep(*depId, trafficJson(ep.name).dump(),
                                 rec.pin ? "created at the last version fully deployed"
                                         : "created");
    (void)log_.finishDeployment(*depId, "Succeeded", "");
  }
  setState(ep, "InService", "");
  if (ep.def.mode.kind == "async") startAsyncWorkers(ep);
}

Agent::Reconcile Agent::reconcile(const std::string& endpoint) {
  Reconcile r;
  auto rows = log_.deployments(endpoint);
  if (!rows || rows->empty()) return r;
  const meta::DeploymentRow& last = rows->back();
  if (last.status == "Succeeded" || last.strategy == "create" || !last.version) return r;
  std::optional<int64_t> good;
  for (auto& d : *rows)
    if (d.status == "Succeeded" && d.version) good = d.version;
  if (!good || *good == *last.version) return r;
  r.pin = good;
  // A version that rolled back or failed is not tried again by itself (as while the agent
  // runs); an update the agent's stop interrupted starts again from the beginning.
  r.tried = last.status == "Stopped" ? good : last.version;
  r.why = "deployment " + std::to_string(last.id) + " to version " + std::to_string(*last.version) +
          " ended " + last.status + (last.reason.empty() ? "" : " (" + last.reason + ")") +
          "; version " + std::to_string(*good) + " was the last fully deployed";
  return r;
}

void Agent::bringUp() {
  std::vector<std::thread> threads;
  for (auto& ep : endpoints_)
    threads.emplace_back([this, e = ep.get()] { bringUpOne(*e); });
  for (auto& t : threads)
    t.join();
  if (schedules_) schedules_->start();
  if (monitors_) monitors_->start();
}

void Agent::supervise(const std::function<bool()>& stopRequested) {
  auto lastFollow = std::chrono::steady_clock::now();
  auto lastScale = lastFollow;
  while (!stopRequested()) {
    if (std::chrono::steady_clock::now() - lastFollow > std::chrono::seconds(2)) {
      followRegistry();
      lastFollow = std::chrono::steady_clock::now();
    }
    for (auto& ep : endpoints_) {
      std::shared_ptr<Fleet> live, green;
      {
        std::lock_guard lock(mu_);
        live = ep->live;
        green = ep->green;
      }
      for (auto& f : {live, green})
        if (f) f->supervise(opts_.healthTimeoutS);
    }
    scaleIdleToZero();
    if (std::chrono::steady_clock::now() - lastScale >= std::chrono::seconds(1)) {
      autoscale();
      lastScale = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Agent::shutdown() {
  if (down_) return;
  down_ = true;
  stopping_ = true;
  if (schedules_) schedules_->stop(); // scheduled runs are stopped and recorded Stopped
  if (monitors_) monitors_->stop();   // so are retraining runs
  {
    std::lock_guard lock(rolloutMu_);
    for (auto& t : rollouts_)
      if (t.joinable()) t.join();
  }
  for (auto& ep : endpoints_)
    if (ep->scaler.joinable()) ep->scaler.join();
  router_.stop(); // no new requests; those in flight finish
  async_.wake();  // the async workers take no new request
  for (auto& ep : endpoints_) {
    std::shared_ptr<Fleet> live, green;
    {
      std::lock_guard lock(mu_);
      live = std::move(ep->live);
      green = std::move(ep->green);
    }
    for (auto& f : {live, green})
      if (f) f->stop(opts_.drainS);
    table_.declare(ep->name, "the agent stopped");
    meta::EndpointStateRow row;
    row.endpoint = ep->name;
    row.mode = ep->def.mode.kind;
    row.state = "Stopped";
    row.reason = "the agent stopped";
    (void)log_.setEndpointState(row);
  }
  // An async request still being answered was given drainS by its fleet's stop; one whose
  // server was stopped meanwhile stays in the durable queue for the next agent.
  std::lock_guard lock(workersMu_);
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

json Agent::endpointJson(EndpointRt& ep) {
  std::string state, reason;
  std::optional<int64_t> lastDep;
  {
    std::lock_guard lock(mu_);
    state = ep.state;
    reason = ep.reason;
    lastDep = ep.lastDeployment;
  }
  json versions = json::array();
  for (auto& r : table_.routes(ep.name)) {
    auto& f = *r.fleet;
    json inst = json::array();
    for (auto& i : f.instances())
      inst.push_back({{"pid", i.pid}, {"port", i.port}, {"ready", i.ready}});
    FleetTotals t = f.metrics().totals();
    versions.push_back({{"version", f.version()},
                        {"traffic", r.weight},
                        {"instances", f.readyCount()},
                        {"processes", inst},
                        {"requests", t.requests},
                        {"errors", t.errors},
                        {"crashes", t.crashes}});
  }
  std::string path = ep.def.mode.kind == "async" ? "/async-invocations" : "/invocations";
  json j{{"name", ep.name},          {"url", baseUrl() + "/endpoints/" + ep.name + path},
         {"mode", ep.def.mode.kind}, {"model", describeModelExpr(ep.def)},
         {"state", state},           {"reason", reason},
         {"versions", versions},     {"last_deployment", nullptr}};
  if (lastDep)
    if (auto ds = log_.deployments(ep.name))
      for (auto& d : *ds)
        if (d.id == *lastDep)
          j["last_deployment"] = {{"id", d.id},
                                  {"version", d.version ? json(*d.version) : json()},
                                  {"status", d.status},
                                  {"started_at", d.startedAt}};
  if (ep.def.mode.kind != "realtime") j[ep.def.mode.kind] = modeJson(ep);
  if (ep.def.autoscale) j["autoscale"] = autoscaleJson(ep);
  return j;
}

json Agent::status() {
  json eps = json::array();
  for (auto& ep : endpoints_)
    eps.push_back(endpointJson(*ep));
  return {{"agent", {{"pid", ::getpid()}, {"port", port()}, {"url", baseUrl()}}},
          {"endpoints", eps},
          {"schedules", schedules_ ? schedules_->status() : json::array()},
          {"monitors", monitors_ ? monitors_->status() : json::array()}};
}

void Agent::addControlRoutes() {
  router_.http().Get("/mlpc/endpoints", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(status().dump(), "application/json");
  });
  router_.http().Post("/mlpc/deploy", [this](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("endpoint") || !body.at("endpoint").is_string()) {
      setJsonError(res, 400, "ValidationError", "expected {\"endpoint\": NAME, \"version\": N}");
      return;
    }
    std::optional<int64_t> version;
    if (body.contains("version") && body.at("version").is_number_integer())
      version = body.at("version").get<int64_t>();
    DeployStart d = deploy(body.at("endpoint").get<std::string>(), version);
    if (d.status != 200) {
      setJsonError(res, d.status, "ValidationError", d.error);
      return;
    }
    res.set_content(json{{"deployment", d.id}}.dump(), "application/json");
  });
  router_.http().Get(R"(/mlpc/deployments/(\d+))",
                     [this](const httplib::Request& req, httplib::Response& res) {
                       json j = deploymentJson(std::stoll(req.matches[1]));
                       if (j.is_null()) {
                         setJsonError(res, 404, "ValidationError", "no such deployment");
                         return;
                       }
                       res.set_content(j.dump(), "application/json");
                     });
}

} // namespace mlpc::deploy
