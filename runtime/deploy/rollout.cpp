// Blue/green updates of an endpoint (Agent::deploy): SageMaker's deployment guardrails.
#include "deploy/agent.h"

#include "deploy/alarm.h"
#include "plan/expr_text.h"

#include <chrono>
#include <cmath>
#include <thread>

namespace mlpc::deploy {

using nlohmann::json;

namespace {

double number(const std::optional<plan::Value>& v, double fallback) {
  return v && v->is_number() ? v->get<double>() : fallback;
}

/// The green fleet's share after each shift, ending at 100.
std::vector<double> shiftSteps(const plan::Strategy& s) {
  if (s.kind == "canary") return {std::clamp(number(s.sizePercent, 10), 0.0, 100.0), 100};
  if (s.kind == "linear") {
    double step = std::clamp(number(s.stepPercent, 10), 1.0, 100.0);
    std::vector<double> out;
    for (int i = 1; i * step < 100 - 1e-9; ++i)
      out.push_back(i * step);
    out.push_back(100);
    return out;
  }
  return {100};
}

std::string fmtNum(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string strategyText(const plan::Strategy& s) {
  std::string wait = "wait " + fmtNum(number(s.waitS, 0)) + "s";
  if (s.kind == "canary") return "canary(" + fmtNum(number(s.sizePercent, 10)) + "%, " + wait + ")";
  if (s.kind == "linear") return "linear(" + fmtNum(number(s.stepPercent, 10)) + "%, " + wait + ")";
  return "all_at_once";
}

std::string readingsText(const std::map<std::string, double>& r) {
  std::string out;
  for (auto& [k, v] : r) {
    std::string val = k == "error_rate" ? fmtNum(std::round(v * 100) / 100) + "%"
                      : k == "requests" ? fmtNum(v)
                                        : fmtNum(std::round(v * 1e4) / 10) + "ms";
    out += (out.empty() ? "" : ", ") + k + " " + val;
  }
  return out;
}

} // namespace

Agent::DeployStart Agent::deploy(const std::string& endpoint, std::optional<int64_t> version,
                                 const std::string& why) {
  EndpointRt* ep = nullptr;
  for (auto& e : endpoints_)
    if (e->name == endpoint) ep = e.get();
  if (!ep) return {404, "no endpoint `" + endpoint + "` in the program the agent serves", 0};
  if (ep->def.mode.kind == "serverless")
    return {409,
            "blue/green updates of serverless endpoints are planned, not built yet (restart the "
            "agent to serve another version)",
            0};
  if (stopping_) return {409, "the agent is stopping", 0};
  std::string error;
  auto tmpl = resolveServer(plan_, ep->def, version, meta_, store_, opts_.ctx, error);
  if (!tmpl) return {422, error, 0};
  std::shared_ptr<Fleet> blue;
  {
    std::lock_guard lock(mu_);
    if (ep->busy)
      return {409,
              "an update of `" + endpoint + "` is already running (deployment " +
                  std::to_string(ep->lastDeployment.value_or(0)) + ")",
              0};
    blue = ep->live;
    if (blue && blue->version() == tmpl->version)
      return {409,
              "`" + endpoint + "` already serves " + tmpl->group + " version " +
                  std::to_string(tmpl->version),
              0};
    ep->busy = true;
    autoTried_[ep->name] = tmpl->version;
  }
  meta::DeploymentRow d;
  d.endpoint = endpoint;
  d.group = tmpl->group;
  d.version = tmpl->version;
  if (blue) d.fromVersion = blue->version();
  d.strategy = strategyText(ep->def.strategy);
  d.reason = why;
  auto id = log_.startDeployment(d);
  if (!id) {
    std::lock_guard lock(mu_);
    ep->busy = false;
    return {500, "cannot record the deployment: " + id.error(), 0};
  }
  {
    std::lock_guard lock(mu_);
    ep->lastDeployment = *id;
  }
  setState(*ep, "Updating", "");
  std::lock_guard lock(rolloutMu_);
  rollouts_.emplace_back([this, ep, blue, t = *tmpl, i = *id] { rollout(*ep, blue, t, i); });
  return {200, "", *id};
}

void Agent::setTraffic(EndpointRt& ep, const std::vector<Route>& routes, int64_t id,
                       const std::string& note) {
  table_.set(ep.name, routes);
  (void)log_.recordTrafficStep(id, trafficJson(ep.name).dump(), note);
  std::string state, reason;
  {
    std::lock_guard lock(mu_);
    state = ep.state;
    reason = ep.reason;
  }
  setState(ep, state, reason);
}

bool Agent::watch(EndpointRt& ep, Fleet& green, double seconds, int64_t id, std::string& why) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    if (stopping_) {
      why = "the agent stopped during the deployment";
      return false;
    }
    if (ep.def.rollback) {
      auto readings = alarmReadings(green.metrics().window());
      std::string err;
      auto trips = alarmTrips(*ep.def.rollback, readings, err);
      if (trips && *trips) {
        why =
            "alarm `" + plan::sourceText(ep.def.rollback) + "` tripped: " + readingsText(readings);
        (void)log_.recordEvent(ep.name, id, "alarm",
                               json{{"alarm", plan::sourceText(ep.def.rollback)},
                                    {"readings", readings},
                                    {"version", green.version()}}
                                   .dump());
        return false;
      }
    }
    if (std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (ep.def.rollback)
    (void)log_.recordEvent(
        ep.name, id, "alarm_ok",
        json{{"readings", alarmReadings(green.metrics().window())}, {"version", green.version()}}
            .dump());
  return true;
}

void Agent::rollout(EndpointRt& ep, std::shared_ptr<Fleet> blue, ServerTemplate tmpl, int64_t id) {
  // Green starts as large as blue is now (an autoscaled blue may have grown); a scaling action
  // under way ends first (autoscaling waits while a rollout runs).
  while (ep.scaling && !stopping_)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int size = ep.def.instances.is_number_integer() ? ep.def.instances.get<int>() : 1;
  if (blue && ep.def.autoscale) size = blue->size();
  auto green = std::make_shared<Fleet>(ep.name, tmpl, size, spawner_, logDir_, &log_);
  auto finish = [&](const std::string& status, const std::string& reason,
                    const std::string& state) {
    (void)log_.finishDeployment(id, status, reason);
    {
      std::lock_guard lock(mu_);
      ep.busy = false;
    }
    setState(ep, state, state == "Failed" ? reason : "");
  };
  std::string error;
  // Green starts at full size and is health-checked while blue serves.
  if (!green->start(opts_.healthTimeoutS, error)) {
    green->stop();
    (void)log_.recordEvent(ep.name, id, "green_failed", json{{"error", error}}.dump());
    finish("Failed", error, blue ? "InService" : "Failed");
    return;
  }
  {
    std::lock_guard lock(mu_);
    ep.green = green;
  }
  if (!blue) { // nothing served before: the new fleet takes everything
    {
      std::lock_guard lock(mu_);
      ep.live = green;
      ep.green = nullptr;
    }
    setTraffic(ep, {{green, 100}}, id, "created");
    finish("Succeeded", "", "InService");
    return;
  }
  std::vector<double> steps = shiftSteps(ep.def.strategy);
  double wait = number(ep.def.strategy.waitS, 0);
  double bake = ep.def.bakeS.is_number() ? ep.def.bakeS.get<double>() : 0;
  green->metrics().resetWindow();
  std::string why;
  bool ok = true;
  for (size_t i = 0; i < steps.size() && ok; ++i) {
    double g = steps[i];
    std::vector<Route> routes = {{blue, 100 - g}, {green, g}};
    setTraffic(ep, routes, id, fmtNum(g) + "% to version " + std::to_string(tmpl.version));
    bool last = i + 1 == steps.size();
    ok = watch(ep, *green, last ? bake : wait, id, why);
  }
  if (!ok) {
    // Roll back: all traffic to blue at once, then green stops once its requests finished.
    setState(ep, "RollingBack", why);
    setTraffic(ep, {{blue, 100}}, id,
               "rollback: all traffic to version " + std::to_string(blue->version()));
    (void)log_.recordEvent(ep.name, id, "rollback",
                           json{{"reason", why}, {"to_version", blue->version()}}.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    green->stop(opts_.drainS);
    {
      std::lock_guard lock(mu_);
      ep.green = nullptr;
    }
    finish(stopping_ && why.find("agent stopped") != std::string::npos ? "Stopped" : "RolledBack",
           why, "InService");
    return;
  }
  setTraffic(ep, {{green, 100}}, id, "done");
  {
    std::lock_guard lock(mu_);
    ep.live = green;
    ep.green = nullptr;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  blue->stop(opts_.drainS);
  finish("Succeeded", "", "InService");
}

void Agent::followRegistry() {
  for (auto& e : endpoints_) {
    EndpointRt& ep = *e;
    if (!ep.def.model || !ep.def.model->value.is_string() || ep.def.mode.kind == "serverless")
      continue;
    std::optional<int64_t> tried;
    {
      std::lock_guard lock(mu_);
      if (ep.busy) continue;
      if (auto it = autoTried_.find(ep.name); it != autoTried_.end()) tried = it->second;
    }
    std::string error;
    auto t = resolveServer(plan_, ep.def, std::nullopt, meta_, store_, opts_.ctx, error);
    if (!t || (tried && *tried == t->version)) continue;
    deploy(ep.name, t->version,
           "automatic: " + describeModelExpr(ep.def) + " is now version " +
               std::to_string(t->version));
  }
}

json Agent::deploymentJson(int64_t id) {
  std::optional<meta::DeploymentRow> row;
  for (auto& e : endpoints_)
    if (auto ds = log_.deployments(e->name))
      for (auto& d : *ds)
        if (d.id == id) row = d;
  if (!row) return nullptr;
  json steps = json::array();
  if (auto ts = log_.trafficSteps(id))
    for (auto& t : *ts)
      steps.push_back({{"at", t.at},
                       {"traffic", json::parse(t.trafficJson, nullptr, false)},
                       {"note", t.note}});
  json events = json::array();
  if (auto es = log_.events(row->endpoint))
    for (auto& ev : *es)
      if (ev.deploymentId == id)
        events.push_back({{"at", ev.at},
                          {"kind", ev.kind},
                          {"detail", json::parse(ev.detailJson, nullptr, false)}});
  return {{"id", row->id},
          {"endpoint", row->endpoint},
          {"group", row->group},
          {"version", row->version ? json(*row->version) : json()},
          {"from_version", row->fromVersion ? json(*row->fromVersion) : json()},
          {"strategy", row->strategy},
          {"status", row->status},
          {"reason", row->reason},
          {"started_at", row->startedAt},
          {"finished_at", row->finishedAt ? json(*row->finishedAt) : json()},
          {"traffic_steps", steps},
          {"events", events}};
}

} // namespace mlpc::deploy
