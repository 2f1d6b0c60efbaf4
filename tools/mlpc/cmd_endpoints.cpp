// `mlpc endpoints [--json]`, `mlpc invoke ENDPOINT …` and `mlpc down`: the running agent of a
// workspace, seen and driven from the command line.
#include "agent_client.h"
#include "commands.h"
#include "history_support.h"

#include "deploy/async_store.h"
#include "meta/deploy_log.h"
#include "meta/process.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <httplib.h>
#include <iostream>
#include <sstream>
#include <thread>

namespace mlpc::cli {

using nlohmann::json;

void printEndpointsTable(const json& status) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> failures;
  for (auto& e : status.at("endpoints")) { // the agent status (GET /mlpc/endpoints), not a plan
    std::string versions;
    for (auto& v : e["versions"]) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "v%lld %.0f%% (%d inst)",
                    static_cast<long long>(v["version"].get<int64_t>()), v["traffic"].get<double>(),
                    v["instances"].get<int>());
      versions += (versions.empty() ? "" : ", ") + std::string(buf);
    }
    if (versions.empty() && e.contains("serverless") &&
        e["serverless"].value("scaled_to_zero", false))
      versions = "none (scaled to zero)";
    if (e.contains("autoscale")) {
      auto& a = e["autoscale"];
      char buf[96];
      std::snprintf(buf, sizeof buf, ", autoscale %d-%d at %g/inst/min", a.value("min", 0),
                    a.value("max", 0), a.value("target", 0.0));
      versions += buf;
    }
    if (e.contains("async"))
      versions += (versions.empty() ? "" : ", ") +
                  std::to_string(e["async"].value("unanswered", 0)) + " queued";
    rows.push_back({e["name"], e["state"], e["mode"], e["model"], versions.empty() ? "-" : versions,
                    e["url"]});
    if (!e["reason"].get<std::string>().empty())
      failures.push_back(e["name"].get<std::string>() + ": " + e["reason"].get<std::string>());
  }
  std::cout << table({"ENDPOINT", "STATE", "MODE", "MODEL", "LIVE", "URL"}, rows);
  for (auto& f : failures)
    std::cout << "  " << f << "\n";
}

namespace {

struct AgentCmdOpts {
  std::string workspace;
  bool json = false;
  std::string endpoint, data, file, contentType = "text/csv", accept;
  std::string version;
  std::string resultId;
};

std::string clock(double t) {
  return formatTime(t);
}

std::string trafficText(const json& t) {
  std::string out;
  if (t.is_object())
    for (auto& [v, w] : t.items()) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "v%s %.0f%%", v.c_str(), w.is_number() ? w.get<double>() : 0);
      out += (out.empty() ? "" : ", ") + std::string(buf);
    }
  return out.empty() ? "-" : out;
}

std::string eventText(const json& ev) {
  const json& d = ev.at("detail");
  std::string kind = ev.at("kind");
  if ((kind == "alarm" || kind == "alarm_ok") && d.is_object() && d.contains("readings")) {
    std::string r;
    for (auto& [k, v] : d.at("readings").items()) {
      char buf[64];
      double x = v.is_number() ? v.get<double>() : 0;
      if (k == "error_rate")
        std::snprintf(buf, sizeof buf, "%s %.2f%%", k.c_str(), x);
      else if (k == "requests")
        std::snprintf(buf, sizeof buf, "%s %.0f", k.c_str(), x);
      else
        std::snprintf(buf, sizeof buf, "%s %.1fms", k.c_str(), x * 1000);
      r += (r.empty() ? "" : ", ") + std::string(buf);
    }
    return (kind == "alarm" ? "ALARM " : "alarm clear: ") + r;
  }
  auto num = [&](const char* k) {
    return d.is_object() && d.contains(k) && d.at(k).is_number() ? d.at(k).get<double>() : 0.0;
  };
  if (kind == "cold_start") {
    char buf[96];
    std::snprintf(buf, sizeof buf, "cold start: %.2f s (version %.0f, %.0f instance%s)",
                  num("seconds"), num("version"), num("instances"),
                  num("instances") == 1 ? "" : "s");
    return buf;
  }
  if (kind == "scale_out" || kind == "scale_in" || kind == "scale_failed") {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s from %.0f to %.0f instances (version %.0f): %.0f invocations/min, %.0f per "
                  "instance against a target of %g; took %.2f s",
                  kind == "scale_out"  ? "scaled out"
                  : kind == "scale_in" ? "scaled in"
                                       : "scaling FAILED",
                  num("from"), num("to"), num("version"), num("invocations_per_minute"),
                  num("per_instance"), num("target"), num("seconds"));
    std::string text = buf;
    if (d.contains("error") && d.at("error").is_string())
      text += ": " + d.at("error").get<std::string>();
    return text;
  }
  if (kind == "scale_to_zero") {
    char buf[96];
    std::snprintf(buf, sizeof buf, "scaled to zero after %g s without requests (version %.0f)",
                  num("idle_s"), num("version"));
    return buf;
  }
  if (d.is_object() && d.contains("reason")) return kind + ": " + d.at("reason").get<std::string>();
  if (d.is_object() && d.contains("error")) return kind + ": " + d.at("error").get<std::string>();
  return kind + " " + d.dump();
}

/// `s` percent-encoded for one URL path segment.
std::string pathSegment(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

void endpointsCmd(const AgentCmdOpts& o) {
  auto a = connectAgent(o.workspace);
  if (!a) return;
  auto st = agentGet(*a, "/mlpc/endpoints");
  if (!st) return;
  if (o.json)
    std::cout << st->dump(2) << "\n";
  else
    printEndpointsTable(*st);
}

/// `mlpc invoke --result ID`: an async inference's answer, read from the workspace's files (the
/// agent need not run). Exit 0 with the answer, 3 while it is pending, 1 when it failed, 2 for an
/// unknown id.
void resultCmd(const AgentCmdOpts& o) {
  if (!o.endpoint.empty() || !o.data.empty() || !o.file.empty()) {
    std::cerr << "error: --result ID takes no ENDPOINT, --data or --file\n";
    exitCode() = 2;
    return;
  }
  auto ws = findWorkspaceDir(o.workspace);
  if (!ws) return;
  if (!deploy::AsyncStore::validId(o.resultId)) {
    std::cerr << "error: `" << o.resultId << "` is not an inference id\n";
    exitCode() = 2;
    return;
  }
  deploy::AsyncStatus s = deploy::AsyncStore::lookup(*ws + "/async", o.resultId);
  if (s.status.empty()) {
    std::cerr << "error: no async inference `" << o.resultId << "` in this workspace\n";
    exitCode() = 2;
    return;
  }
  if (s.status == "Pending") {
    std::cerr << "inference " << o.resultId << " of " << s.endpoint
              << " is pending: queued, not answered yet\n";
    exitCode() = 3;
    return;
  }
  std::ifstream in(s.bodyPath, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string body = ss.str();
  if (s.status == "Failed") {
    std::cerr << "error: inference " << o.resultId << " of " << s.endpoint << " failed: " << s.error
              << (body.empty() ? "" : "\n" + body) << "\n";
    exitCode() = 1;
    return;
  }
  std::cout << body;
  if (!body.empty() && body.back() != '\n') std::cout << "\n";
}

void invokeCmd(const AgentCmdOpts& o) {
  if (!o.resultId.empty()) {
    resultCmd(o);
    return;
  }
  if (o.endpoint.empty()) {
    std::cerr << "error: name the ENDPOINT to invoke (or give --result ID)\n";
    exitCode() = 2;
    return;
  }
  if (o.data.empty() == o.file.empty()) {
    std::cerr << "error: give the request body with exactly one of --data TEXT or --file F\n";
    exitCode() = 2;
    return;
  }
  std::string body = o.data;
  if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
      std::cerr << "error: cannot read " << o.file << "\n";
      exitCode() = 2;
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  auto a = connectAgent(o.workspace);
  if (!a) return;
  httplib::Client cli("127.0.0.1", a->info.port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(120, 0);
  httplib::Headers headers;
  if (!o.accept.empty()) headers.emplace("Accept", o.accept);
  bool async = false;
  auto st = agentGet(*a, "/mlpc/endpoints");
  if (!st) return;
  for (auto& e : st->at("endpoints")) // the agent's status, not a plan
    if (e.at("name") == o.endpoint && e.at("mode") == "async") async = true;
  auto res = cli.Post("/endpoints/" + pathSegment(o.endpoint) +
                          (async ? "/async-invocations" : "/invocations"),
                      headers, body, o.contentType);
  if (!res) {
    std::cerr << "error: the agent did not answer: " << httplib::to_string(res.error()) << "\n";
    exitCode() = 1;
    return;
  }
  if (res->status >= 300) {
    std::string msg = res->body;
    auto j = json::parse(res->body, nullptr, false);
    for (const char* key : {"message", "error"})
      if (j.is_object() && j.contains(key) && j[key].is_string()) msg = j[key];
    std::cerr << "error: " << o.endpoint << " answered " << res->status << ": " << msg << "\n";
    exitCode() = 1;
    return;
  }
  if (async) {
    json j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || !j.contains("InferenceId") || !j.at("InferenceId").is_string()) {
      std::cerr << "error: the agent's answer names no InferenceId\n";
      exitCode() = 1;
      return;
    }
    std::string id = j.at("InferenceId");
    std::cout << id << "\n";
    std::cerr << "queued; fetch the result with: mlpc invoke --result " << id << "\n";
    return;
  }
  std::cout << res->body;
  if (!res->body.empty() && res->body.back() != '\n') std::cout << "\n";
}

void deployCmd(const AgentCmdOpts& o) {
  json req{{"endpoint", o.endpoint}, {"version", nullptr}};
  if (!o.version.empty()) {
    int64_t n = parseVersionNumber(o.version);
    if (!n) {
      std::cerr << "error: `" << o.version << "` is not a version number (1, 2, ...)\n";
      exitCode() = 2;
      return;
    }
    req["version"] = n;
  }
  auto a = connectAgent(o.workspace);
  if (!a) return;
  httplib::Client cli("127.0.0.1", a->info.port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(30, 0);
  auto res = cli.Post("/mlpc/deploy", req.dump(), "application/json");
  if (!res) {
    std::cerr << "error: the agent did not answer: " << httplib::to_string(res.error()) << "\n";
    exitCode() = 1;
    return;
  }
  json body = json::parse(res->body, nullptr, false);
  if (res->status != 200 || !body.is_object() || !body.contains("deployment")) {
    std::string msg = res->body; // the agent's answer (not a plan): {"message": …}
    if (auto it = body.is_object() ? body.find("message") : body.end();
        it != body.end() && it->is_string())
      msg = it->get<std::string>();
    std::cerr << "error: cannot deploy " << o.endpoint << ": " << msg << "\n";
    exitCode() = 1;
    return;
  }
  int64_t id = body.at("deployment").get<int64_t>();
  std::string path = "/mlpc/deployments/" + std::to_string(id);
  size_t stepsShown = 0, eventsShown = 0;
  bool header = false;
  for (;;) {
    auto d = agentGet(*a, path);
    if (!d) return;
    if (!header) {
      std::cout << "deployment " << id << ": " << o.endpoint << " to "
                << d->at("group").get<std::string>() << " version " << d->at("version").dump()
                << " (" << d->at("strategy").get<std::string>() << ")\n";
      header = true;
    }
    auto& steps = d->at("traffic_steps");
    for (; stepsShown < steps.size(); ++stepsShown)
      std::cout << "  " << clock(steps[stepsShown].at("at")) << "  traffic "
                << trafficText(steps[stepsShown].at("traffic")) << "  ("
                << steps[stepsShown].at("note").get<std::string>() << ")\n";
    auto& events = d->at("events");
    for (; eventsShown < events.size(); ++eventsShown)
      std::cout << "  " << clock(events[eventsShown].at("at")) << "  "
                << eventText(events[eventsShown]) << "\n";
    std::cout << std::flush;
    std::string status = d->at("status");
    if (status != "InProgress") {
      std::string reason = d->at("reason");
      std::cout << "deployment " << id << " " << status << (reason.empty() ? "" : ": " + reason)
                << "\n";
      exitCode() = status == "Succeeded" ? 0 : 1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void showCmd(const AgentCmdOpts& o) {
  auto ws = findWorkspaceDir(o.workspace);
  if (!ws) return;
  auto log = meta::DeployLog::open(*ws);
  if (!log) {
    std::cerr << "error: " << log.error() << "\n";
    exitCode() = 2;
    return;
  }
  auto ds = (*log)->deployments(o.endpoint);
  auto states = (*log)->endpointStates();
  if (!ds || !states) {
    std::cerr << "error: cannot read the deployment records\n";
    exitCode() = 2;
    return;
  }
  std::optional<meta::EndpointStateRow> state;
  for (auto& s : *states)
    if (s.endpoint == o.endpoint) state = s;
  if (!state && ds->empty()) {
    std::cerr << "error: no endpoint `" << o.endpoint << "` was ever served in this workspace\n";
    exitCode() = 1;
    return;
  }
  json out{{"endpoint", o.endpoint}, {"deployments", json::array()}};
  if (state)
    out["state"] = {{"state", state->state},
                    {"reason", state->reason},
                    {"url", state->url},
                    {"mode", state->mode},
                    {"traffic", json::parse(state->trafficJson, nullptr, false)},
                    {"updated_at", state->updatedAt}};
  auto events = (*log)->events(o.endpoint);
  for (auto& d : *ds) {
    json steps = json::array(), evs = json::array();
    if (auto ts = (*log)->trafficSteps(d.id))
      for (auto& t : *ts)
        steps.push_back({{"at", t.at},
                         {"traffic", json::parse(t.trafficJson, nullptr, false)},
                         {"note", t.note}});
    if (events)
      for (auto& e : *events)
        if (e.deploymentId == d.id)
          evs.push_back({{"at", e.at},
                         {"kind", e.kind},
                         {"detail", json::parse(e.detailJson, nullptr, false)}});
    out["deployments"].push_back({{"id", d.id},
                                  {"group", d.group},
                                  {"version", d.version ? json(*d.version) : json()},
                                  {"from_version", d.fromVersion ? json(*d.fromVersion) : json()},
                                  {"strategy", d.strategy},
                                  {"status", d.status},
                                  {"reason", d.reason},
                                  {"started_at", d.startedAt},
                                  {"finished_at", d.finishedAt ? json(*d.finishedAt) : json()},
                                  {"traffic_steps", steps},
                                  {"events", evs}});
  }
  // Events outside deployments: crashes, restarts, cold starts, scaling to zero.
  out["events"] = json::array();
  if (events)
    for (auto& e : *events)
      if (!e.deploymentId)
        out["events"].push_back({{"at", e.at},
                                 {"kind", e.kind},
                                 {"detail", json::parse(e.detailJson, nullptr, false)}});
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (state)
    std::cout << o.endpoint << ": " << state->state << " (" << state->mode << "), traffic "
              << trafficText(json::parse(state->trafficJson, nullptr, false)) << ", as of "
              << clock(state->updatedAt) << "\n"
              << (state->reason.empty() ? "" : "  " + state->reason + "\n");
  for (auto& d : out["deployments"]) {
    std::string from = d["from_version"].is_null() ? "" : " from v" + d["from_version"].dump();
    std::cout << "\ndeployment " << d["id"].dump() << ": " << d.at("group").get<std::string>()
              << " v" << d["version"].dump() << from << ", " << d["strategy"].get<std::string>()
              << ": " << d["status"].get<std::string>() << ", started "
              << clock(d["started_at"].get<double>()) << "\n";
    if (!d["reason"].get<std::string>().empty())
      std::cout << "  " << d["reason"].get<std::string>() << "\n";
    for (auto& t : d["traffic_steps"])
      std::cout << "  " << clock(t["at"].get<double>()) << "  traffic " << trafficText(t["traffic"])
                << "  (" << t["note"].get<std::string>() << ")\n";
    for (auto& e : d["events"])
      std::cout << "  " << clock(e["at"].get<double>()) << "  " << eventText(e) << "\n";
  }
  auto other = (*log)->events(o.endpoint);
  if (other) {
    std::vector<double> colds;
    for (auto& e : *other)
      if (e.kind == "cold_start") {
        json d = json::parse(e.detailJson, nullptr, false);
        if (d.is_object() && d.contains("seconds") && d.at("seconds").is_number())
          colds.push_back(d.at("seconds").get<double>());
      }
    if (!colds.empty()) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "\ncold starts: %zu, last %.2f s, fastest %.2f s, slowest %.2f s\n",
                    colds.size(), colds.back(), *std::min_element(colds.begin(), colds.end()),
                    *std::max_element(colds.begin(), colds.end()));
      std::cout << buf;
    }
  }
  if (other)
    for (auto& e : *other)
      if (!e.deploymentId)
        std::cout << "  " << clock(e.at) << "  "
                  << eventText(json{{"kind", e.kind},
                                    {"detail", json::parse(e.detailJson, nullptr, false)}})
                  << "\n";
}

void downCmd(const AgentCmdOpts& o) {
  auto a = connectAgent(o.workspace);
  if (!a) return;
  if (::kill(static_cast<pid_t>(a->info.pid), SIGTERM) != 0) {
    std::cerr << "error: cannot signal the agent (pid " << a->info.pid << ")\n";
    exitCode() = 1;
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    // The process itself, not its pid file: the agent removes that file before its last
    // clean-up (and, under the sanitizers, a leak check) ends, and "stopped" must mean gone.
    if (!meta::processAlive(a->info.pid, a->info.pidStart)) {
      std::cout << "stopped the agent (pid " << a->info.pid << ")\n";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "error: the agent (pid " << a->info.pid << ") did not stop within 60 s\n";
  exitCode() = 1;
}

} // namespace

void registerEndpoints(CLI::App& app) {
  auto o = std::make_shared<AgentCmdOpts>();
  auto* ep = app.add_subcommand("endpoints", "The running agent's endpoints: state, URL, versions");
  ep->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*ep, o->workspace);
  ep->callback([o, ep] {
    if (ep->get_subcommands().empty()) endpointsCmd(*o);
  });
  auto* show = ep->add_subcommand(
      "show", "One endpoint's deployment history: every traffic step, alarm reading, rollback");
  show->add_option("ENDPOINT", o->endpoint, "The endpoint's name")->required();
  show->add_flag("--json", o->json, "Print JSON");
  addWorkspaceOption(*show, o->workspace);
  show->callback([o] { showCmd(*o); });

  auto* dep = app.add_subcommand(
      "deploy", "Update an endpoint (blue/green, by its strategy, rolled back on its alarm)");
  dep->add_option("ENDPOINT", o->endpoint, "The endpoint's name")->required();
  dep->add_option("--version", o->version,
                  "The version to deploy (default: what the endpoint's model resolves to now)");
  addWorkspaceOption(*dep, o->workspace);
  dep->callback([o] { deployCmd(*o); });

  auto* inv = app.add_subcommand(
      "invoke", "Send one request to an endpoint through the router (async: print its id)");
  inv->add_option("ENDPOINT", o->endpoint, "The endpoint's name");
  inv->add_option("--result", o->resultId,
                  "An async inference's id: print its answer (exit 3 while pending, 1 if it "
                  "failed, 2 if unknown)");
  inv->add_option("--data", o->data, "The request body");
  inv->add_option("--file", o->file, "A file holding the request body");
  inv->add_option("--content-type", o->contentType, "The body's type (default text/csv)");
  inv->add_option("--accept", o->accept, "The answer type wanted (Accept)");
  addWorkspaceOption(*inv, o->workspace);
  inv->callback([o] { invokeCmd(*o); });

  auto* down = app.add_subcommand("down", "Stop the workspace's agent: drain, stop the servers");
  addWorkspaceOption(*down, o->workspace);
  down->callback([o] { downCmd(*o); });
}

} // namespace mlpc::cli
