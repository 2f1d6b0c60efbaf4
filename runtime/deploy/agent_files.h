#pragma once
/// The files that make one agent per workspace: `<workspace>/agent/agent.lock` (held with flock
/// for the agent's whole life, so a killed agent releases it), `agent.pid` ("PID START", the
/// process start time telling a live agent from a reused pid) and `agent.port`.
#include <memory>
#include <optional>
#include <string>

namespace mlpc::deploy {

struct AgentInfo {
  long long pid = 0, pidStart = 0;
  int port = 0;
};

std::string agentDir(const std::string& workspace);

class AgentLock {
public:
  /// Takes the workspace's agent lock; null with `error` naming the running agent when another
  /// one holds it.
  static std::unique_ptr<AgentLock> acquire(const std::string& workspace, std::string& error);
  ~AgentLock();
  AgentLock(const AgentLock&) = delete;
  AgentLock& operator=(const AgentLock&) = delete;
  /// Writes agent.pid and agent.port for this process.
  void publish(int port);

private:
  AgentLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_;
};

/// The workspace's running agent; nullopt with `why` when none runs ("no agent is running…",
/// mentioning a stale pid file when one was left behind, which is then removed).
std::optional<AgentInfo> findAgent(const std::string& workspace, std::string& why);

} // namespace mlpc::deploy
