#include "deploy/agent_files.h"

#include "meta/process.h"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>
#include <unistd.h>

namespace mlpc::deploy {

namespace fs = std::filesystem;

std::string agentDir(const std::string& workspace) {
  return workspace + "/agent";
}

namespace {

std::optional<AgentInfo> readInfo(const std::string& dir) {
  AgentInfo a;
  std::ifstream pid(dir + "/agent.pid");
  if (!(pid >> a.pid >> a.pidStart)) return std::nullopt;
  std::ifstream port(dir + "/agent.port");
  port >> a.port;
  return a;
}

std::string describe(const AgentInfo& a) {
  return "pid " + std::to_string(a.pid) +
         (a.port ? ", http://127.0.0.1:" + std::to_string(a.port) : std::string());
}

void writeAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

} // namespace

std::unique_ptr<AgentLock> AgentLock::acquire(const std::string& workspace, std::string& error) {
  std::string dir = agentDir(workspace);
  std::error_code ec;
  fs::create_directories(dir, ec);
  int fd = ::open((dir + "/agent.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + dir + "/agent.lock";
    return nullptr;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    auto a = readInfo(dir);
    error = "an agent is already running in this workspace (" +
            (a ? describe(*a) : std::string("starting")) + "); stop it with `mlpc down`";
    return nullptr;
  }
  // A pid file from an agent that died without cleaning up is stale: ours replaces it.
  fs::remove(dir + "/agent.pid", ec);
  fs::remove(dir + "/agent.port", ec);
  return std::unique_ptr<AgentLock>(new AgentLock(dir, fd));
}

AgentLock::~AgentLock() {
  std::error_code ec;
  fs::remove(dir_ + "/agent.pid", ec);
  fs::remove(dir_ + "/agent.port", ec);
  ::close(fd_);
}

void AgentLock::publish(int port) {
  long long pid = ::getpid();
  writeAtomically(dir_ + "/agent.port", std::to_string(port));
  writeAtomically(dir_ + "/agent.pid",
                  std::to_string(pid) + " " + std::to_string(meta::processStartTime(pid)));
}

std::optional<AgentInfo> findAgent(const std::string& workspace, std::string& why) {
  std::string dir = agentDir(workspace);
  auto info = readInfo(dir);
  bool held = false;
  int fd = ::open((dir + "/agent.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
    ::close(fd);
  }
  if (held && info && meta::processAlive(info->pid, info->pidStart) && info->port > 0) return info;
  why = "no agent is running in this workspace (" + workspace + "); start one with `mlpc up FILE`";
  if (held && !info) {
    why = "the agent of this workspace is still starting; try again in a moment";
  } else if (!held && info) {
    why += " (removed a stale pid file left by process " + std::to_string(info->pid) + ")";
    std::error_code ec;
    fs::remove(dir + "/agent.pid", ec);
    fs::remove(dir + "/agent.port", ec);
  }
  return std::nullopt;
}

} // namespace mlpc::deploy
