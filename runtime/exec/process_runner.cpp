#include "exec/process_runner.h"

#include "exec/clock.h"
#include "exec/interrupt.h"
#include "exec/sigchld_pipe.h"
#include "exec/spawn.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <deque>
#include <limits>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace mlpc::exec {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

/// Via syscall() so the fallback decision is made at run time by the kernel, not by the glibc
/// the binary was built against.
int openPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); // O_CLOEXEC is implied
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

bool kernelHasPidfd() {
  int fd = openPidfd(::getpid());
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

struct Child {
  uint64_t id = 0;
  pid_t pid = -1;           // also the process group id
  int pidfd = -1;           // -1 in SigchldPipe mode
  double startedAt = 0;     // unix seconds
  double deadline = kNever; // monotonic: when the timeout sends SIGTERM
  double killAt = kNever;   // monotonic: when SIGKILL follows (set once SIGTERM was sent)
  bool termSent = false, killSent = false;
  bool timedOut = false, cancelled = false;
};

class ProcessRunner final : public CommandRunner {
public:
  explicit ProcessRunner(const ProcessRunnerOptions& options) : options_(options) {
    usePidfd_ = options.watch != ChildWatch::SigchldPipe && kernelHasPidfd();
  }

  ~ProcessRunner() override {
    // Nobody will collect these any more: do not leave process groups running or zombies.
    for (Child& c : children_) {
      ::killpg(c.pid, SIGKILL);
      int status;
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (c.pidfd >= 0) ::close(c.pidfd);
    }
  }

  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  const char* mechanism() const { return usePidfd_ ? "pidfd" : "sigchld-pipe"; }

  bool start(const CommandSpec& spec, std::string& error) override {
    if (isPending(spec.id)) {
      error = "command id " + std::to_string(spec.id) + " is already running";
      return false;
    }
    if (!usePidfd_ && sigchldFd_ < 0) {
      // Installed before the first spawn so no exit can happen unnoticed.
      sigchldFd_ = detail::sigchldPipeFd(error);
      if (sigchldFd_ < 0) return false;
    }
    const double startedAt = unixSeconds();
    const double startedMono = monotonicSeconds();
    std::string spawnError;
    pid_t pid = detail::spawnShell(spec, spawnError);
    if (pid < 0) {
      done_.push_back(failure(spec.id, startedAt, std::move(spawnError)));
      return true;
    }
    Child c;
    c.id = spec.id;
    c.pid = pid;
    c.startedAt = startedAt;
    if (spec.timeoutSeconds > 0) c.deadline = startedMono + spec.timeoutSeconds;
    if (usePidfd_) {
      // Race-free: the child stays a zombie (and its pid reserved) until we reap it.
      c.pidfd = openPidfd(pid);
      if (c.pidfd < 0) {
        std::string why = std::string("cannot watch the process: ") + std::strerror(errno);
        ::killpg(pid, SIGKILL);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        done_.push_back(failure(spec.id, startedAt, std::move(why)));
        return true;
      }
    }
    children_.push_back(c);
    return true;
  }

  std::optional<CommandResult> waitAny(std::optional<double> maxWaitSeconds) override {
    if (auto r = popDone()) return r;
    if (children_.empty()) return std::nullopt;
    const double limit =
        maxWaitSeconds ? monotonicSeconds() + std::max(0.0, *maxWaitSeconds) : kNever;
    for (;;) {
      const double now = monotonicSeconds();
      enforceDeadlines(now);
      // Also catches exits whose SIGCHLD wake-up another runner's waitAny() consumed.
      if (!usePidfd_) reapExitedByWaitid();
      if (auto r = popDone()) return r;

      // Polls even when the limit has passed (maxWait 0 = "anything finished?").
      const Woken woken = pollOnce(std::min(limit, nextDeadline()) - now);
      if (auto r = popDone()) return r; // results first; an interrupt byte stays for next call
      if (woken == Woken::Interrupt) {
        drainInterruptFd();
        return std::nullopt;
      }
      if (woken == Woken::WakeFd) return std::nullopt; // its owner drains it
      if (monotonicSeconds() >= limit) return std::nullopt;
    }
  }

  size_t running() const override { return children_.size() + done_.size(); }

  bool watchWakeFd(int fd) override {
    wakeFd_ = fd;
    return true;
  }

  void cancelAll() override {
    const double now = monotonicSeconds();
    for (Child& c : children_) {
      if (!c.timedOut) c.cancelled = true;
      if (!c.termSent) sendTerm(c, now);
    }
  }

private:
  static CommandResult failure(uint64_t id, double startedAt, std::string error) {
    CommandResult r;
    r.id = id;
    r.exitCode = 127;
    r.startedAt = startedAt;
    r.finishedAt = unixSeconds();
    r.error = std::move(error);
    return r;
  }

  bool isPending(uint64_t id) const {
    return std::any_of(children_.begin(), children_.end(), [&](auto& c) { return c.id == id; }) ||
           std::any_of(done_.begin(), done_.end(), [&](auto& r) { return r.id == id; });
  }

  std::optional<CommandResult> popDone() {
    if (done_.empty()) return std::nullopt;
    CommandResult r = std::move(done_.front());
    done_.pop_front();
    return r;
  }

  void sendTerm(Child& c, double now) {
    ::killpg(c.pid, SIGTERM);
    c.termSent = true;
    c.killAt = now + options_.killGraceSeconds;
  }

  void enforceDeadlines(double now) {
    for (Child& c : children_) {
      if (!c.termSent && now >= c.deadline) {
        c.timedOut = true;
        sendTerm(c, now);
      }
      if (c.termSent && !c.killSent && now >= c.killAt) {
        ::killpg(c.pid, SIGKILL);
        c.killSent = true;
      }
    }
  }

  double nextDeadline() const {
    double next = kNever;
    for (const Child& c : children_)
      next = std::min(next, !c.termSent ? c.deadline : (!c.killSent ? c.killAt : kNever));
    return next;
  }

  /// One poll() over the interrupt pipe and the children (pidfds or the SIGCHLD pipe), for at
  /// most `seconds`; reaps whatever exited into done_. Returns whether the interrupt pipe fired.
  enum class Woken { No, Interrupt, WakeFd };

  Woken pollOnce(double seconds) {
    fds_.clear();
    const int intrFd = interruptFd();
    if (intrFd >= 0) fds_.push_back({intrFd, POLLIN, 0});
    const size_t wakeAt = fds_.size();
    if (wakeFd_ >= 0) fds_.push_back({wakeFd_, POLLIN, 0});
    const size_t first = fds_.size();
    if (usePidfd_) {
      for (const Child& c : children_)
        fds_.push_back({c.pidfd, POLLIN, 0});
    } else {
      fds_.push_back({sigchldFd_, POLLIN, 0});
    }

    timespec ts{};
    timespec* tsp = nullptr;
    if (seconds != kNever) {
      // At most a day per wait: a deadline decades away (`timeout = 200000000000000d`) would
      // overflow time_t, make ppoll fail with EINVAL at once, and spin deaf to interrupts.
      seconds = std::clamp(seconds, 0.0, 86400.0);
      ts.tv_sec = static_cast<time_t>(seconds);
      ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
      tsp = &ts;
    }
    // ppoll, not poll: nanosecond timeouts, so waking "just before" a deadline cannot spin.
    int n = ::ppoll(fds_.data(), fds_.size(), tsp, nullptr);
    if (n <= 0) return Woken::No; // timeout, EINTR (a handler ran; its pipe byte shows next round)

    if (usePidfd_) {
      // Children are removed while scanning, so collect the ready ones first.
      ready_.clear();
      for (size_t i = first; i < fds_.size(); ++i)
        if (fds_[i].revents != 0) ready_.push_back(children_[i - first].pid);
      for (pid_t pid : ready_)
        reap(indexOf(pid));
    } else if (fds_[first].revents != 0) {
      detail::drainSigchldPipe(); // before checking, so a later exit leaves a byte behind
      reapExitedByWaitid();
    }
    if (intrFd >= 0 && (fds_[0].revents & POLLIN) != 0) return Woken::Interrupt;
    if (wakeFd_ >= 0 && (fds_[wakeAt].revents & POLLIN) != 0) return Woken::WakeFd;
    return Woken::No;
  }

  size_t indexOf(pid_t pid) const {
    auto it =
        std::find_if(children_.begin(), children_.end(), [&](auto& c) { return c.pid == pid; });
    return static_cast<size_t>(it - children_.begin());
  }

  /// SigchldPipe mode: find exited children without reaping them (WNOWAIT), so reap() can still
  /// signal their process group while the group id is guaranteed not to be reused.
  void reapExitedByWaitid() {
    for (size_t i = 0; i < children_.size();) {
      siginfo_t info{};
      int rc =
          ::waitid(P_PID, static_cast<id_t>(children_[i].pid), &info, WEXITED | WNOHANG | WNOWAIT);
      if ((rc == 0 && info.si_pid != 0) || (rc < 0 && errno == ECHILD))
        reap(i); // removes children_[i]
      else
        ++i;
    }
  }

  /// The leader of children_[i] has exited (it is a zombie): collect its status into done_.
  void reap(size_t i) {
    Child c = children_[i];
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    // A killed command must not leave stragglers (e.g. a grandchild that ignores SIGTERM). The
    // unreaped zombie leader keeps the group id reserved, so this cannot hit a stranger.
    if (c.timedOut || c.cancelled) ::killpg(c.pid, SIGKILL);

    CommandResult r;
    r.id = c.id;
    r.startedAt = c.startedAt;
    r.timedOut = c.timedOut;
    r.cancelled = c.cancelled;
    int status = 0;
    pid_t got;
    while ((got = ::waitpid(c.pid, &status, 0)) < 0 && errno == EINTR) {
    }
    r.finishedAt = unixSeconds();
    if (got < 0) {
      // Someone else reaped it (SIGCHLD set to SIG_IGN, or a stray waitpid(-1)).
      r.exitCode = 127;
      r.error = std::string("exit status lost: ") + std::strerror(errno);
    } else if (WIFSIGNALED(status)) {
      r.termSignal = WTERMSIG(status);
      r.exitCode = 128 + r.termSignal;
    } else {
      r.exitCode = WEXITSTATUS(status);
    }
    if (c.pidfd >= 0) ::close(c.pidfd);
    done_.push_back(std::move(r));
  }

  ProcessRunnerOptions options_;
  bool usePidfd_ = false;
  int sigchldFd_ = -1;
  int wakeFd_ = -1;             ///< watchWakeFd(): also wakes waitAny(); its owner drains it
  std::vector<Child> children_; // few (the scheduler's -j): linear scans beat any index
  std::deque<CommandResult> done_;
  std::vector<pollfd> fds_; // reused between polls
  std::vector<pid_t> ready_;
};

} // namespace

std::unique_ptr<CommandRunner> makeProcessRunner() {
  return makeProcessRunner(ProcessRunnerOptions{});
}

std::unique_ptr<CommandRunner> makeProcessRunner(const ProcessRunnerOptions& options) {
  return std::make_unique<ProcessRunner>(options);
}

const char* watchMechanism(const CommandRunner& runner) {
  auto* p = dynamic_cast<const ProcessRunner*>(&runner);
  return p ? p->mechanism() : "";
}

} // namespace mlpc::exec
