#pragma once
/// One model server process: started with `/bin/sh -c 'exec COMMAND'` in its own process group,
/// with PR_SET_PDEATHSIG so that it dies with the agent even after `kill -9` of the agent.
///
/// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, so every server is
/// forked by one long-lived thread (Spawner), which lives as long as the agent.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

namespace mlpc::deploy {

struct SpawnRequest {
  std::string command; ///< a shell command line
  std::string workdir;
  std::vector<std::pair<std::string, std::string>> env; ///< the whole environment
  std::string logPath;                                  ///< stdout and stderr are appended here
};

class Spawner {
public:
  Spawner();
  ~Spawner();
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;
  /// The child's pid (also its process group id), or -1 with `error` set.
  pid_t spawn(const SpawnRequest& req, std::string& error);

private:
  struct Job {
    const SpawnRequest* req = nullptr;
    pid_t pid = -1;
    std::string error;
    bool done = false;
  };
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> jobs_;
  bool quit_ = false;
  std::thread thread_;
};

/// A started server process. Reaps itself: alive() polls waitpid without blocking.
class ServerProcess {
public:
  explicit ServerProcess(pid_t pid) : pid_(pid) {}
  ~ServerProcess() { stop(2.0); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  pid_t pid() const { return pid_; }
  bool alive();
  /// SIGTERM to the process group, SIGKILL after `graceS` seconds, then reaped.
  void stop(double graceS);
  /// How it ended ("exit 1", "signal 9"), "" while it runs.
  std::string ending();

private:
  std::mutex mu_;
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};

/// A free TCP port on 127.0.0.1 (0 when none can be found).
int freeLoopbackPort();

} // namespace mlpc::deploy
