#include "agent_client.h"

#include "commands.h"
#include "history_support.h"

#include <httplib.h>
#include <iostream>

namespace mlpc::cli {

std::optional<AgentConn> connectAgent(const std::string& explicitWorkspace) {
  auto ws = findWorkspaceDir(explicitWorkspace);
  if (!ws) return std::nullopt;
  std::string why;
  auto info = deploy::findAgent(*ws, why);
  if (!info) {
    std::cerr << "error: " << why << "\n";
    exitCode() = 1;
    return std::nullopt;
  }
  return AgentConn{*ws, *info};
}

std::optional<nlohmann::json> agentGet(const AgentConn& a, const std::string& path,
                                       double timeoutS) {
  httplib::Client cli("127.0.0.1", a.info.port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(static_cast<time_t>(timeoutS), 0);
  auto res = cli.Get(path);
  if (!res || res->status != 200) {
    std::cerr << "error: the agent (pid " << a.info.pid << ", port " << a.info.port
              << ") did not answer"
              << (res ? " (HTTP " + std::to_string(res->status) + ")"
                      : ": " + httplib::to_string(res.error()))
              << "\n";
    exitCode() = 1;
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "error: the agent answered something that is not JSON\n";
    exitCode() = 1;
    return std::nullopt;
  }
  return j;
}

} // namespace mlpc::cli
