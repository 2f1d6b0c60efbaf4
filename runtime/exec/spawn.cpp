#include "exec/spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace mlpc::exec::detail {
namespace {

constexpr int kOutputFlags = O_WRONLY | O_CREAT | O_TRUNC; // no O_CLOEXEC: it must survive exec
constexpr mode_t kOutputMode = 0644;

/// Destroys the posix_spawn objects on every path out of spawnShell().
struct SpawnObjects {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnObjects() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnObjects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnObjects(const SpawnObjects&) = delete;
  SpawnObjects& operator=(const SpawnObjects&) = delete;
};

std::string errnoText(int err) {
  return std::strerror(err);
}

/// posix_spawn reports one errno for the whole file-action list, so find out afterwards which
/// step failed, in the order the child performed them. Only runs on the (rare) failure path.
std::string describeFailure(const CommandSpec& spec, int err) {
  for (const std::string* path : {&spec.stdoutPath, &spec.stderrPath}) {
    if (path->empty()) continue;
    int fd = ::open(path->c_str(), kOutputFlags | O_CLOEXEC, kOutputMode);
    if (fd < 0) {
      const char* which = path == &spec.stdoutPath ? "stdout" : "stderr";
      return std::string("cannot open ") + which + " file '" + *path + "': " + errnoText(errno);
    }
    ::close(fd);
  }
  if (!spec.workdir.empty()) {
    struct stat st {};
    if (::stat(spec.workdir.c_str(), &st) != 0)
      return "cannot enter workdir '" + spec.workdir + "': " + errnoText(errno);
    if (!S_ISDIR(st.st_mode))
      return "cannot enter workdir '" + spec.workdir + "': " + errnoText(ENOTDIR);
  }
  return "cannot spawn /bin/sh: " + errnoText(err);
}

} // namespace

pid_t spawnShell(const CommandSpec& spec, std::string& error) {
  SpawnObjects o;

  // Own process group: timeouts and cancellation signal the group, reaching grandchildren, and a
  // terminal's Ctrl-C reaches only mlpc, which then cancels deliberately.
  short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  posix_spawnattr_setpgroup(&o.attr, 0);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&o.attr, &mask);
  // Ignored dispositions survive exec; a child with SIGPIPE ignored misbehaves in pipelines.
  // Each listed signal costs the child one sigaction, so only the ones that matter.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2,
                  SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&o.attr, &defaults);
  posix_spawnattr_setflags(&o.attr, flags);

  const bool sharedOutput = !spec.stdoutPath.empty() && spec.stdoutPath == spec.stderrPath;
  auto outPath = [](const std::string& p) { return p.empty() ? "/dev/null" : p.c_str(); };
  posix_spawn_file_actions_addopen(&o.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&o.actions, 1, outPath(spec.stdoutPath), kOutputFlags,
                                   kOutputMode);
  if (sharedOutput)
    posix_spawn_file_actions_adddup2(&o.actions, 1, 2);
  else
    posix_spawn_file_actions_addopen(&o.actions, 2, outPath(spec.stderrPath), kOutputFlags,
                                     kOutputMode);
  // Descriptors other parts of mlpc opened without O_CLOEXEC (databases, pipes) must not leak
  // into commands: a leaked pipe write end can keep a reader waiting forever.
  posix_spawn_file_actions_addclosefrom_np(&o.actions, 3);
  // After the opens, so relative output paths mean the caller's cwd, as documented.
  if (!spec.workdir.empty()) posix_spawn_file_actions_addchdir_np(&o.actions, spec.workdir.c_str());

  std::vector<std::string> envStrings;
  envStrings.reserve(spec.env.size());
  std::vector<char*> envp;
  envp.reserve(spec.env.size() + 1);
  for (const auto& [key, value] : spec.env) {
    envStrings.push_back(key + "=" + value);
    envp.push_back(envStrings.back().data());
  }
  envp.push_back(nullptr);

  char shName[] = "sh";
  char dashC[] = "-c";
  std::string command = spec.command; // posix_spawn's argv is char* const[]; keep a mutable copy
  char* argv[] = {shName, dashC, command.data(), nullptr};

  pid_t pid = -1;
  // glibc runs the child with CLONE_VM|CLONE_VFORK: the cost does not grow with our memory, and
  // failures of file actions or exec come back here as the return value (the child is reaped).
  int rc = ::posix_spawn(&pid, "/bin/sh", &o.actions, &o.attr, argv, envp.data());
  if (rc != 0) {
    error = describeFailure(spec, rc);
    return -1;
  }
  return pid;
}

} // namespace mlpc::exec::detail
