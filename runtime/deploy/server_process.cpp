#include "deploy/server_process.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mlpc::deploy {

Spawner::Spawner() : thread_([this] { loop(); }) {}

Spawner::~Spawner() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

pid_t Spawner::spawn(const SpawnRequest& req, std::string& error) {
  Job job;
  job.req = &req;
  std::unique_lock lock(mu_);
  if (quit_) {
    error = "the agent is stopping";
    return -1;
  }
  jobs_.push_back(&job);
  cv_.notify_all();
  cv_.wait(lock, [&] { return job.done; });
  error = job.error;
  return job.pid;
}

namespace {

/// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void childExec(pid_t parent, const char* workdir, const char* logPath,
                            char* const* argv, char* const* envp) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127); // the agent died before prctl
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  int in = ::open("/dev/null", O_RDONLY);
  int log = ::open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || log < 0) ::_exit(126);
  ::dup2(in, 0);
  ::dup2(log, 1);
  ::dup2(log, 2);
  ::close_range(3, ~0U, 0);
  if (::chdir(workdir) != 0) ::_exit(125);
  ::execve("/bin/sh", argv, envp);
  ::_exit(127);
}

pid_t forkServer(const SpawnRequest& req, std::string& error) {
  std::string cmd = "exec " + req.command;
  std::vector<std::string> envText;
  for (auto& [k, v] : req.env)
    envText.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envText)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dashC = "-c";
  char* argv[] = {sh.data(), dashC.data(), cmd.data(), nullptr};
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("cannot start a process: ") + std::strerror(errno);
    return -1;
  }
  if (pid == 0) childExec(parent, req.workdir.c_str(), req.logPath.c_str(), argv, envp.data());
  ::setpgid(pid, pid); // also from the parent, so a kill of the group cannot race the child
  return pid;
}

} // namespace

void Spawner::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || !jobs_.empty(); });
    while (!jobs_.empty()) {
      Job* j = jobs_.front();
      jobs_.pop_front();
      j->pid = forkServer(*j->req, j->error);
      j->done = true;
    }
    cv_.notify_all();
    if (quit_) return;
  }
}

bool ServerProcess::alive() {
  std::lock_guard lock(mu_);
  if (reaped_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    reaped_ = true;
    status_ = st;
    ::kill(-pid_, SIGKILL); // anything the server left in its group goes with it
    return false;
  }
  return true;
}

std::string ServerProcess::ending() {
  std::lock_guard lock(mu_);
  if (!reaped_) return "";
  if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
  return "exit " + std::to_string(WEXITSTATUS(status_));
}

void ServerProcess::stop(double graceS) {
  if (!alive()) return;
  ::kill(-pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(graceS);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  std::lock_guard lock(mu_);
  if (!reaped_) {
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
}

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

} // namespace mlpc::deploy
