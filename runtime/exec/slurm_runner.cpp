#include "exec/slurm_runner.h"

#include "exec/interrupt.h"
#include "exec/shell_quote.h"
#include "exec/slurm_array.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <poll.h>
#include <set>
#include <spawn.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace mlpc::exec {

namespace fs = std::filesystem;

int runCapture(const std::vector<std::string>& argv, std::string& out, std::string& err) {
  out.clear();
  err.clear();
  int po[2], pe[2];
  if (::pipe2(po, O_CLOEXEC) != 0) {
    err = std::strerror(errno);
    return -1;
  }
  if (::pipe2(pe, O_CLOEXEC) != 0) {
    err = std::strerror(errno);
    ::close(po[0]);
    ::close(po[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(po[1]);
  ::close(pe[1]);
  if (rc != 0) {
    err = argv[0] + ": " + std::strerror(rc);
    ::close(po[0]);
    ::close(pe[0]);
    return -1;
  }
  // Both pipes are drained together, so a chatty stderr cannot block the child.
  pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

namespace {

double monotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string firstLine(const std::string& s) {
  std::string t = s.substr(0, s.find('\n'));
  return t.empty() ? s : t;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

/// Slurm job states after which a job never runs again (squeue's %T).
bool terminalState(const std::string& st) {
  static const std::set<std::string> live = {
      "PENDING",   "RUNNING",     "CONFIGURING",  "COMPLETING", "SUSPENDED",
      "REQUEUED",  "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING",   "SIGNALING",
      "STAGE_OUT", "STOPPED",     "RESV_DEL_HOLD"};
  return !live.count(st);
}

/// At most this many tasks in one job array (Slurm's MaxArraySize defaults to 1001).
constexpr size_t kMaxArrayTasks = 1000;

struct Job {
  CommandSpec spec;
  std::string script, rcPath;
  std::string jobId;         ///< set by a submitting thread
  std::string submitError;   ///< sbatch refused it
  bool submitted = false;    ///< sbatch has returned (jobId or submitError set)
  bool cancelWanted = false; ///< scancel as soon as the id is known
  double startedAt = 0;      ///< wall clock, at start()
  double deadline = 0;       ///< monotonic; 0 = no timeout
  double terminalSince = 0;  ///< monotonic: when Slurm first said it ended without an rc file
  std::string slurmState;
};

class SlurmRunner final : public CommandRunner {
public:
  explicit SlurmRunner(SlurmOptions o) : opts_(std::move(o)) {
    std::error_code ec;
    fs::create_directories(opts_.jobDir, ec);
    startWatchdog(); // before the threads: fork() from one thread only
    for (int i = 0; i < std::max(1, opts_.submitThreads); ++i)
      submitters_.emplace_back([this] { submitLoop(); });
  }

  ~SlurmRunner() override {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : submitters_)
      t.join();
    stopWatchdog();
  }

  bool start(const CommandSpec& spec, std::string& error) override {
    std::lock_guard lock(mu_);
    if (jobs_.count(spec.id)) {
      error = "command id " + std::to_string(spec.id) + " is already running";
      return false;
    }
    Job j;
    j.spec = spec;
    j.startedAt = wallSeconds();
    if (spec.timeoutSeconds > 0) j.deadline = monotonicSeconds() + spec.timeoutSeconds;
    std::string base =
        opts_.jobDir + "/" + std::to_string(::getpid()) + "-" + std::to_string(seq_++);
    j.script = base + ".sh";
    j.rcPath = base + ".rc";
    std::string why;
    if (!writeScript(j, why)) {
      j.submitted = true;
      j.submitError = why;
    } else {
      queue_.push_back(spec.id);
      cv_.notify_one();
    }
    jobs_.emplace(spec.id, std::move(j));
    return true;
  }

  std::optional<CommandResult> waitAny(std::optional<double> maxWaitSeconds) override {
    const double limit = maxWaitSeconds ? monotonicSeconds() + std::max(0.0, *maxWaitSeconds)
                                        : std::numeric_limits<double>::infinity();
    for (;;) {
      if (auto r = popDone()) return r;
      if (running() == 0) return std::nullopt;
      scan();
      if (auto r = popDone()) return r;
      double now = monotonicSeconds();
      if (now >= limit) return std::nullopt;
      if (waitInterrupt(std::min(opts_.pollSeconds, limit - now))) {
        drainInterruptFd();
        return std::nullopt;
      }
    }
  }

  size_t running() const override {
    std::lock_guard lock(mu_);
    return jobs_.size() + done_.size();
  }

  void cancelAll() override {
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      for (auto it = jobs_.begin(); it != jobs_.end();) {
        Job& j = it->second;
        if (!j.submitted) {
          auto q = std::find(queue_.begin(), queue_.end(), it->first);
          if (q == queue_.end()) { // being submitted: scancelled as soon as it has an id
            j.cancelWanted = true;
            ++it;
            continue;
          }
          queue_.erase(q); // never submitted at all
        }
        if (!j.jobId.empty()) ids.push_back(j.jobId);
        CommandResult r = resultOf(j);
        r.exitCode = 128 + 15;
        r.cancelled = true;
        done_.push_back(r);
        it = jobs_.erase(it);
      }
    }
    scancel(ids);
  }

private:
  bool writeScript(const Job& j, std::string& why) {
    std::ostringstream s;
    s << "#!/bin/sh\n# mlpc: one step command as a Slurm job; its exit status goes to the .rc "
         "file\n/usr/bin/env -i";
    for (auto& [k, v] : j.spec.env)
      s << " " << shellQuote(k + "=" + v);
    s << " /bin/sh -c " << shellQuote(j.spec.command) << " < /dev/null\nrc=$?\n"
      << "printf '%s\\n' \"$rc\" > " << shellQuote(j.rcPath + ".tmp") << " && mv -f "
      << shellQuote(j.rcPath + ".tmp") << " " << shellQuote(j.rcPath) << "\nexit $rc\n";
    std::ofstream f(j.script, std::ios::trunc);
    f << s.str();
    f.close();
    if (!f) {
      why = "cannot write the batch script " + j.script + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }

  static std::string absolute(const std::string& p) {
    if (p.empty()) return "/dev/null";
    std::error_code ec;
    auto a = fs::absolute(p, ec);
    return ec ? p : a.string();
  }

  static std::string workdirOf(const CommandSpec& c) {
    std::error_code ec;
    return c.workdir.empty() ? fs::current_path(ec).string() : absolute(c.workdir);
  }

  /// What decides where and how long a job may run. Jobs that ask the same can share an array.
  std::vector<std::string> requestArgs(const CommandSpec& c) const {
    std::vector<std::string> a;
    a.push_back("--cpus-per-task=" +
                std::to_string(std::max(1LL, static_cast<long long>(std::ceil(c.cpus)))));
    if (c.memoryBytes > 0)
      a.push_back(
          "--mem=" + std::to_string(static_cast<long long>(std::ceil(c.memoryBytes / 1048576.0))) +
          "M");
    if (c.gpus > 0) a.push_back("--gres=gpu:" + std::to_string(c.gpus));
    if (c.timeoutSeconds > 0) // minutes, plus one: the runner itself enforces the exact limit
      a.push_back("--time=" +
                  std::to_string(static_cast<long long>(std::ceil(c.timeoutSeconds / 60.0)) + 1));
    if (!opts_.partition.empty()) a.push_back("--partition=" + opts_.partition);
    return a;
  }

  static std::string jobName(const CommandSpec& c) {
    return "mlpc:" + (c.name.empty() ? std::to_string(c.id) : c.name);
  }

  std::vector<std::string> sbatchArgs(const Job& j) const {
    const CommandSpec& c = j.spec;
    // --export=ALL: the script sets the command's environment itself (env -i), and NONE or NIL
    // make Slurm load the user's login environment on the node first (0.8-1.1 s per job here).
    std::vector<std::string> a = {"sbatch",
                                  "--parsable",
                                  "--export=ALL",
                                  "--job-name=" + jobName(c),
                                  "--chdir=" + workdirOf(c),
                                  "--output=" + absolute(c.stdoutPath)};
    // One path for both streams: only --output, so that Slurm opens (and truncates) it once.
    if (c.stderrPath != c.stdoutPath || c.stderrPath.empty())
      a.push_back("--error=" + absolute(c.stderrPath));
    auto r = requestArgs(c);
    a.insert(a.end(), r.begin(), r.end());
    a.push_back(j.script);
    return a;
  }

  /// One submission: a job of its own, or an array of jobs that ask the same.
  struct Submission {
    std::vector<uint64_t> ids;
    std::vector<std::string> args;
    std::string arrayPath;
    std::vector<ArrayTask> tasks;
  };

  /// Takes the queue's first job and, as one job array, every other waiting job with the same
  /// requests (a `for`'s iterations, mostly). Called with mu_ held and the queue not empty.
  std::optional<Submission> takeSubmission() {
    Submission sub;
    uint64_t first = queue_.front();
    queue_.pop_front();
    auto it = jobs_.find(first);
    if (it == jobs_.end()) return std::nullopt;
    sub.ids.push_back(first);
    auto key = requestArgs(it->second.spec);
    for (auto q = queue_.begin(); q != queue_.end() && sub.ids.size() < kMaxArrayTasks;) {
      auto o = jobs_.find(*q);
      if (o != jobs_.end() && requestArgs(o->second.spec) == key) {
        sub.ids.push_back(*q);
        q = queue_.erase(q);
      } else {
        ++q;
      }
    }
    if (sub.ids.size() == 1) {
      sub.args = sbatchArgs(it->second);
      return sub;
    }
    for (uint64_t id : sub.ids) {
      const CommandSpec& c = jobs_.at(id).spec;
      sub.tasks.push_back(
          {workdirOf(c), jobs_.at(id).script, absolute(c.stdoutPath), absolute(c.stderrPath)});
    }
    sub.arrayPath = opts_.jobDir + "/" + std::to_string(::getpid()) + "-" + std::to_string(seq_++) +
                    "-array.sh";
    sub.args = {"sbatch",
                "--parsable",
                "--export=ALL",
                "--job-name=" + jobName(it->second.spec) + "+" + std::to_string(sub.ids.size() - 1),
                "--chdir=" + opts_.jobDir,
                "--output=/dev/null",
                "--array=0-" + std::to_string(sub.ids.size() - 1)};
    sub.args.insert(sub.args.end(), key.begin(), key.end());
    sub.args.push_back(sub.arrayPath);
    return sub;
  }

  static bool writeArrayScript(const Submission& sub, std::string& why) {
    std::ofstream f(sub.arrayPath, std::ios::trunc);
    f << arrayScript(sub.tasks);
    f.close();
    if (f) return true;
    why = "cannot write the batch script " + sub.arrayPath + ": " + std::strerror(errno);
    return false;
  }

  void submitLoop() {
    for (;;) {
      std::optional<Submission> sub;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return quit_ || !queue_.empty(); });
        if (quit_) return; // nothing more is submitted once the runner goes away
        sub = takeSubmission();
        if (!sub) continue;
      }
      std::string out, err, why;
      int rc = -1;
      if (sub->arrayPath.empty() || writeArrayScript(*sub, why))
        rc = runCapture(sub->args, out, err);
      std::string jobId = rc == 0 ? trimmed(out.substr(0, out.find(';'))) : "";
      if (!jobId.empty()) listJob(jobId); // an array's id cancels all its tasks
      if (jobId.empty() && why.empty())
        why = "sbatch refused the job: " + trimmed(firstLine(err.empty() ? out : err)) +
              (rc < 0 ? "" : " (exit " + std::to_string(rc) + ")");
      std::vector<std::string> cancel;
      {
        std::lock_guard lock(mu_);
        for (size_t i = 0; i < sub->ids.size(); ++i) {
          std::string id = jobId.empty() || sub->arrayPath.empty() ? jobId : arrayTaskId(jobId, i);
          auto it = jobs_.find(sub->ids[i]);
          if (it == jobs_.end()) {
            if (!id.empty()) cancel.push_back(id);
            continue;
          }
          Job& j = it->second;
          j.submitted = true;
          if (jobId.empty()) j.submitError = why;
          j.jobId = id;
          if (j.cancelWanted) {
            if (!id.empty()) cancel.push_back(id);
            CommandResult r = resultOf(j);
            r.exitCode = 128 + 15;
            r.cancelled = true;
            done_.push_back(r);
            jobs_.erase(it);
          }
        }
      }
      scancel(cancel);
    }
  }

  /// Slurm keeps running a job when mlpc dies, so a watchdog outlives mlpc by a moment to cancel
  /// them: a shell that the kernel sends SIGTERM when this thread (the one that made the runner,
  /// the main thread) dies (PR_SET_PDEATHSIG), kill -9 included; it then scancels every job id
  /// listed in `PID.jobs`. A normal end sends it SIGUSR1 instead: the executor has already waited
  /// for or cancelled every job. If mlpc died between fork and prctl, the shell's own check of
  /// its parent finds it gone within seconds.
  void startWatchdog() {
    jobsFile_ = opts_.jobDir + "/" + std::to_string(::getpid()) + ".jobs";
    std::ofstream(jobsFile_, std::ios::trunc).close();
    std::string parent = std::to_string(::getpid()), f = shellQuote(jobsFile_);
    std::string script =
        "f=" + f + "\ncancel() { kill $s 2>/dev/null; [ -s \"$f\" ] && scancel $(cat \"$f\") " +
        "2>/dev/null; rm -f \"$f\"; exit 0; }\ntrap cancel TERM\n" +
        "trap 'kill $s 2>/dev/null; rm -f \"$f\"; exit 0' USR1\n" + "while kill -0 " + parent +
        " 2>/dev/null; do sleep 5 & s=$!; wait $s; done\ncancel\n";
    pid_t self = ::getpid();
    pid_t w = ::fork();
    if (w == 0) {
      // Ctrl-C and a hangup reach the whole process group: mlpc handles those itself, and the
      // watchdog must stay to see how mlpc ends. It holds none of mlpc's files or pipes.
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr); // a mask survives exec
      ::signal(SIGINT, SIG_IGN);
      ::signal(SIGHUP, SIG_IGN);
      ::signal(SIGQUIT, SIG_IGN);
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0)
        for (int fd = 0; fd < 3; ++fd)
          ::dup2(null, fd);
      ::close_range(3, ~0U, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != self)
        ::raise(SIGTERM); // already gone: the trap is not set yet, so
                          // this ends the child; the jobs file stays
      ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    watchdog_ = w > 0 ? w : 0;
  }

  void stopWatchdog() {
    if (watchdog_ <= 0) return;
    ::kill(watchdog_, SIGUSR1);
    int status = 0;
    while (::waitpid(watchdog_, &status, 0) < 0 && errno == EINTR) {
    }
    watchdog_ = 0;
  }

  /// Lists a submitted job for the watchdog (one id a line, appended).
  void listJob(const std::string& jobId) {
    std::lock_guard lock(listMu_);
    std::ofstream(jobsFile_, std::ios::app) << jobId << "\n";
  }

  static void scancel(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    std::vector<std::string> a = {"scancel"};
    a.insert(a.end(), ids.begin(), ids.end());
    std::string out, err;
    (void)runCapture(a, out, err);
  }

  CommandResult resultOf(const Job& j) const {
    CommandResult r;
    r.id = j.spec.id;
    r.startedAt = j.startedAt;
    r.finishedAt = wallSeconds();
    return r;
  }

  std::optional<int> readRc(const Job& j) const {
    std::ifstream f(j.rcPath);
    int rc = 0;
    if (!(f >> rc)) return std::nullopt;
    return rc;
  }

  /// Moves finished jobs to done_: exit status files first, then deadlines, then (at most every
  /// squeueSeconds) what Slurm says about jobs that ended without one.
  void scan() {
    const double now = monotonicSeconds();
    std::vector<std::string> timedOutIds;
    std::vector<std::string> ask;
    {
      std::lock_guard lock(mu_);
      for (auto it = jobs_.begin(); it != jobs_.end();) {
        Job& j = it->second;
        if (!j.submitted) {
          ++it;
          continue;
        }
        std::optional<CommandResult> r;
        if (!j.submitError.empty()) {
          r = resultOf(j);
          r->exitCode = 127;
          r->error = j.submitError;
        } else if (auto rc = readRc(j)) {
          r = resultOf(j);
          r->exitCode = *rc;
        } else if (j.deadline > 0 && now >= j.deadline) {
          timedOutIds.push_back(j.jobId);
          r = resultOf(j);
          r->exitCode = 128 + 15;
          r->timedOut = true;
        } else if (j.terminalSince > 0 && now - j.terminalSince >= opts_.squeueSeconds) {
          // Ended for Slurm a while ago and still no exit status file: it will not come.
          r = resultOf(j);
          if (j.slurmState == "TIMEOUT") {
            r->exitCode = 128 + 15;
            r->timedOut = true;
          } else if (j.slurmState == "CANCELLED") {
            r->exitCode = 128 + 15;
            r->cancelled = true;
          } else {
            r->exitCode = 1;
            // "GONE": Slurm no longer knows the job (its record aged out).
            std::string state = j.slurmState == "GONE" ? "unknown to Slurm" : j.slurmState;
            r->ending = "ended as Slurm job " + j.jobId + " (" + state + ")";
            if (j.slurmState == "COMPLETED" || j.slurmState == "GONE")
              r->ending += " without an exit status: the job did not run the command, or its "
                           "node does not see " +
                           opts_.jobDir +
                           " (the workspace must be on a filesystem every node "
                           "shares)";
            else
              r->ending += " before the command finished";
          }
        } else {
          if (j.terminalSince == 0) ask.push_back(j.jobId);
          ++it;
          continue;
        }
        // The batch script stays for a look at what failed; the status file is consumed.
        std::error_code ec;
        fs::remove(j.rcPath, ec);
        if (r->succeeded()) fs::remove(j.script, ec);
        done_.push_back(*r);
        it = jobs_.erase(it);
      }
    }
    scancel(timedOutIds);
    if (ask.empty() || now - lastSqueue_ < opts_.squeueSeconds) return;
    lastSqueue_ = now;
    std::string ids;
    for (auto& i : ask)
      ids += (ids.empty() ? "" : ",") + i;
    std::string out, err;
    // -r: each task of an array on a line of its own (otherwise pending ones are "ID_[0-9]").
    int rc = runCapture({"squeue", "-h", "-r", "-t", "all", "-j", ids, "-o", "%i %T"}, out, err);
    std::map<std::string, std::string> state;
    std::istringstream in(out);
    std::string id, st;
    while (in >> id >> st)
      state[id] = st;
    // squeue fails outright when none of the ids is known any more; any other failure (the
    // controller unreachable) leaves the jobs waiting for the next look.
    bool allGone = rc != 0 && err.find("Invalid job id") != std::string::npos;
    if (rc != 0 && !allGone) return;
    // Only the jobs asked about: one that got its id from a submitting thread since the list was
    // made is not in squeue's answer, and must not be taken for a job Slurm forgot.
    std::set<std::string> asked(ask.begin(), ask.end());
    std::lock_guard lock(mu_);
    for (auto& [cid, j] : jobs_) {
      if (j.jobId.empty() || j.terminalSince > 0 || !asked.count(j.jobId)) continue;
      auto f = state.find(j.jobId);
      std::string s = f != state.end() ? f->second : "GONE";
      if (terminalState(s)) {
        j.terminalSince = now;
        j.slurmState = s;
      }
    }
  }

  std::optional<CommandResult> popDone() {
    std::lock_guard lock(mu_);
    if (done_.empty()) return std::nullopt;
    CommandResult r = done_.front();
    done_.pop_front();
    return r;
  }

  /// Sleeps up to `seconds`, waking early on an interrupt (returns true then).
  static bool waitInterrupt(double seconds) {
    int fd = interruptFd();
    int ms = static_cast<int>(std::max(0.0, seconds) * 1000);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return interruptRequested();
    }
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0 && (p.revents & POLLIN);
  }

  SlurmOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::map<uint64_t, Job> jobs_;
  std::deque<uint64_t> queue_;
  std::deque<CommandResult> done_;
  std::vector<std::thread> submitters_;
  uint64_t seq_ = 0;
  double lastSqueue_ = 0;
  std::string jobsFile_; ///< the ids the watchdog cancels if mlpc dies
  std::mutex listMu_;
  pid_t watchdog_ = 0;
};

} // namespace

std::unique_ptr<CommandRunner> makeSlurmRunner(const SlurmOptions& options) {
  return std::make_unique<SlurmRunner>(options);
}

} // namespace mlpc::exec
