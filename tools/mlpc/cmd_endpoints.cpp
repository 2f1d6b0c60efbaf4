// `mlpc endpoints [--json]`, `mlpc invoke ENDPOINT …` and `mlpc down`: the running agent of a
// workspace, seen and driven from the command line.
#include "agent_client.h"
#include "commands.h"
#include "history_support.h"

#include "meta/process.h"

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
};

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

void invokeCmd(const AgentCmdOpts& o) {
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
  auto res = cli.Post("/endpoints/" + pathSegment(o.endpoint) + "/invocations", headers, body,
                      o.contentType);
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
  std::cout << res->body;
  if (!res->body.empty() && res->body.back() != '\n') std::cout << "\n";
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
    std::string why;
    if (!meta::processAlive(a->info.pid, a->info.pidStart) ||
        !deploy::findAgent(a->workspace, why)) {
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
  ep->callback([o] { endpointsCmd(*o); });

  auto* inv = app.add_subcommand("invoke", "Send one request to an endpoint through the router");
  inv->add_option("ENDPOINT", o->endpoint, "The endpoint's name")->required();
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
