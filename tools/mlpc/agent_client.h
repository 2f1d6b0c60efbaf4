#pragma once
// What down, endpoints, invoke and deploy share: finding the workspace's running agent and
// talking to it over HTTP on loopback.
#include "deploy/agent_files.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mlpc::cli {

struct AgentConn {
  std::string workspace;
  deploy::AgentInfo info;
};

/// The running agent of the workspace (--workspace, $MLP_WORKSPACE or the nearest .mlp/);
/// prints why not and sets exit code 1 (2 with no workspace) when there is none.
std::optional<AgentConn> connectAgent(const std::string& explicitWorkspace);

/// GET `path` from the agent as JSON; prints the error and sets exit code 1 on failure.
std::optional<nlohmann::json> agentGet(const AgentConn& a, const std::string& path,
                                       double timeoutS = 10);

} // namespace mlpc::cli

namespace mlpc::cli {
/// The agent's endpoints (GET /mlpc/endpoints) as a table: name, state, URL, versions with
/// their traffic share and instance count; the reason of each Failed endpoint below it.
void printEndpointsTable(const nlohmann::json& status);
/// One line per schedule that missed firings while no agent ran (the agent's status, as above).
void printMissedFirings(const nlohmann::json& status);
} // namespace mlpc::cli
