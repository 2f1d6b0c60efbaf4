// The process runner against real /bin/sh children, with both ways of watching them.
#include "exec/clock.h"
#include "exec/process_runner.h"

#include <catch2/catch.hpp>

#include <ctime>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace mlpc::exec;

namespace {

/// A private directory under /tmp, removed with its contents at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/mlpc-exec-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char* real = ::realpath(tmpl, nullptr); // `pwd -P` prints the resolved path
    path = real;
    std::free(real);
  }
  ~TempDir() { [[maybe_unused]] int rc = std::system(("rm -rf '" + path + "'").c_str()); }
  std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ChildWatch anyWatch() {
  return GENERATE(ChildWatch::Pidfd, ChildWatch::SigchldPipe);
}

std::unique_ptr<CommandRunner> makeRunner(ChildWatch watch, double grace = 2.0) {
  ProcessRunnerOptions o;
  o.watch = watch;
  o.killGraceSeconds = grace;
  return makeProcessRunner(o);
}

CommandSpec shell(uint64_t id, std::string command, const TempDir& dir) {
  CommandSpec s;
  s.id = id;
  s.command = std::move(command);
  s.workdir = dir.path;
  s.env = {{"PATH", "/usr/bin:/bin"}};
  s.stdoutPath = dir / (std::to_string(id) + ".out");
  s.stderrPath = dir / (std::to_string(id) + ".err");
  return s;
}

CommandResult runOne(CommandRunner& runner, const CommandSpec& spec) {
  std::string err;
  REQUIRE(runner.start(spec, err));
  auto r = runner.waitAny(5.0);
  REQUIRE(r.has_value());
  REQUIRE(r->id == spec.id);
  return *r;
}

/// Whether `pid` is dead: gone, or a zombie waiting for whoever adopted it to reap it.
bool processGone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

bool becomesGone(pid_t pid, double seconds = 1.0) {
  const double until = monotonicSeconds() + seconds;
  while (monotonicSeconds() < until) {
    if (processGone(pid)) return true;
    ::usleep(10'000);
  }
  return processGone(pid);
}

pid_t readPid(const std::string& path) {
  for (int i = 0; i < 200; ++i) { // the shell writes it right after forking the grandchild
    std::string s = readFile(path);
    if (!s.empty() && s.back() == '\n') return static_cast<pid_t>(std::stol(s));
    ::usleep(5'000);
  }
  FAIL("no pid in " << path);
  return -1;
}

double cpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

} // namespace

TEST_CASE("exec: the default runner watches children with pidfds on this kernel", "[exec]") {
  auto runner = makeProcessRunner();
  INFO("mechanism: " << watchMechanism(*runner));
  CHECK((std::string(watchMechanism(*runner)) == "pidfd" ||
         std::string(watchMechanism(*runner)) == "sigchld-pipe"));
  auto forced = makeRunner(ChildWatch::SigchldPipe);
  CHECK(std::string(watchMechanism(*forced)) == "sigchld-pipe");
}

TEST_CASE("exec: exit codes and signals are reported", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);

  auto ok = runOne(*runner, shell(1, "true", dir));
  CHECK(ok.exitCode == 0);
  CHECK(ok.termSignal == 0);
  CHECK(ok.succeeded());
  CHECK(ok.startedAt <= ok.finishedAt);
  CHECK(std::abs(ok.finishedAt - unixSeconds()) < 5);

  auto three = runOne(*runner, shell(2, "exit 3", dir));
  CHECK(three.exitCode == 3);
  CHECK_FALSE(three.succeeded());

  auto killed = runOne(*runner, shell(3, "kill -KILL $$", dir));
  CHECK(killed.termSignal == SIGKILL);
  CHECK(killed.exitCode == 128 + SIGKILL);
  CHECK_FALSE(killed.timedOut);
  CHECK_FALSE(killed.cancelled);
  CHECK(runner->running() == 0);
}

TEST_CASE("exec: stdout and stderr go to the spec's files", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);

  auto spec = shell(1, "echo out; echo err >&2", dir);
  { std::ofstream(spec.stdoutPath) << "stale content that must be truncated\n"; }
  CHECK(runOne(*runner, spec).exitCode == 0);
  CHECK(readFile(spec.stdoutPath) == "out\n");
  CHECK(readFile(spec.stderrPath) == "err\n");
  struct stat st {};
  REQUIRE(::stat(spec.stderrPath.c_str(), &st) == 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  CHECK((st.st_mode & 0777) == (0644 & ~mask));

  SECTION("one file for both streams keeps their order") {
    auto both = shell(2, "echo a; echo b >&2; echo c", dir);
    both.stderrPath = both.stdoutPath;
    CHECK(runOne(*runner, both).exitCode == 0);
    CHECK(readFile(both.stdoutPath) == "a\nb\nc\n");
  }
  SECTION("empty paths mean /dev/null and stdin is /dev/null") {
    auto quiet = shell(3, "echo lost; cat; echo lost >&2", dir);
    quiet.stdoutPath.clear();
    quiet.stderrPath.clear();
    CHECK(runOne(*runner, quiet).exitCode == 0); // `cat` sees EOF instead of the test's stdin
  }
}

TEST_CASE("exec: the environment is exactly the spec's and the workdir is honoured", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  ::mkdir((dir / "sub").c_str(), 0755);
  ::setenv("MLPC_EXEC_TEST_LEAK", "leaked", 1);
  auto runner = makeRunner(watch);

  auto spec =
      shell(1, R"sh(printf '%s|%s|%s' "$FOO" "${MLPC_EXEC_TEST_LEAK-unset}" "$(pwd -P)")sh", dir);
  spec.env.emplace_back("FOO", "bar baz=qux");
  spec.workdir = dir / "sub";
  CHECK(runOne(*runner, spec).exitCode == 0);
  CHECK(readFile(spec.stdoutPath) == "bar baz=qux|unset|" + dir / "sub");
  ::unsetenv("MLPC_EXEC_TEST_LEAK");
}

TEST_CASE("exec: commands run concurrently", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);
  std::string err;
  const double t0 = monotonicSeconds();
  REQUIRE(runner->start(shell(1, "sleep 0.3", dir), err));
  REQUIRE(runner->start(shell(2, "sleep 0.3", dir), err));
  CHECK(runner->running() == 2);
  auto a = runner->waitAny(std::nullopt);
  auto b = runner->waitAny(std::nullopt);
  const double elapsed = monotonicSeconds() - t0;
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id + b->id == 3);
  CHECK(a->exitCode == 0);
  CHECK(b->exitCode == 0);
  CHECK(elapsed >= 0.29);
  CHECK(elapsed < 0.55); // sequential would be >= 0.6
  CHECK(runner->running() == 0);
  CHECK_FALSE(runner->waitAny(std::nullopt).has_value()); // nothing running: returns at once
}

TEST_CASE("exec: waitAny with a limit returns nullopt without burning CPU", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch, 0.1);
  std::string err;
  REQUIRE(runner->start(shell(1, "sleep 100", dir), err));
  const double t0 = monotonicSeconds(), cpu0 = cpuSeconds();
  CHECK_FALSE(runner->waitAny(0.3).has_value());
  const double elapsed = monotonicSeconds() - t0;
  CHECK(elapsed >= 0.29);
  CHECK(elapsed < 0.6);
  CHECK(cpuSeconds() - cpu0 < 0.05); // a busy-poll would use ~0.3 s
  CHECK_FALSE(runner->waitAny(0).has_value());
  CHECK(runner->running() == 1);
  runner->cancelAll();
  auto r = runner->waitAny(2.0);
  REQUIRE(r);
  CHECK(r->cancelled);
}

TEST_CASE("exec: a timeout kills the whole process group", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch, 0.3);
  auto spec = shell(1, "sleep 100 & echo $! > grandchild.pid; sleep 100; wait", dir);
  spec.timeoutSeconds = 0.3;
  const double t0 = monotonicSeconds();
  auto r = runOne(*runner, spec);
  const double elapsed = monotonicSeconds() - t0;
  CHECK(r.timedOut);
  CHECK_FALSE(r.cancelled);
  CHECK(r.termSignal == SIGTERM);
  CHECK(r.exitCode == 128 + SIGTERM);
  CHECK(elapsed >= 0.29);
  CHECK(elapsed < 0.6);
  CHECK(becomesGone(readPid(dir / "grandchild.pid")));
}

TEST_CASE("exec: a timeout sends SIGKILL after the grace period if SIGTERM is ignored", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch, 0.3);
  auto spec = shell(2, "trap '' TERM; sleep 100 & echo $! > grandchild.pid; sleep 100; wait", dir);
  spec.timeoutSeconds = 0.2;
  const double t0 = monotonicSeconds();
  auto r = runOne(*runner, spec);
  const double elapsed = monotonicSeconds() - t0;
  CHECK(r.timedOut);
  CHECK(r.termSignal == SIGKILL);
  CHECK(elapsed >= 0.49); // timeout + grace
  CHECK(elapsed < 0.9);
  CHECK(becomesGone(readPid(dir / "grandchild.pid")));
}

TEST_CASE("exec: a command that finishes before its timeout is not touched", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch, 0.3);
  auto spec = shell(3, "sleep 0.05", dir);
  spec.timeoutSeconds = 1;
  auto r = runOne(*runner, spec);
  CHECK(r.succeeded());
  CHECK_FALSE(r.timedOut);
}

TEST_CASE("exec: cancelAll stops every group and reports cancelled", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch, 0.5);
  std::string err;
  REQUIRE(runner->start(shell(1, "sleep 100 & echo $! > g1.pid; wait", dir), err));
  REQUIRE(runner->start(shell(2, "trap '' TERM; sleep 100 & echo $! > g2.pid; wait", dir), err));
  const pid_t g1 = readPid(dir / "g1.pid"), g2 = readPid(dir / "g2.pid");

  const double t0 = monotonicSeconds();
  runner->cancelAll();
  auto a = runner->waitAny(3.0);
  auto b = runner->waitAny(3.0);
  const double elapsed = monotonicSeconds() - t0;
  REQUIRE(a);
  REQUIRE(b);
  if (a->id == 2) std::swap(a, b);
  CHECK(a->cancelled);
  CHECK(a->termSignal == SIGTERM);
  CHECK(b->cancelled);
  CHECK(b->termSignal == SIGKILL); // it ignored SIGTERM: killed after the grace period
  CHECK_FALSE(a->timedOut);
  CHECK(elapsed < 1.0);
  CHECK(becomesGone(g1));
  CHECK(becomesGone(g2));
  CHECK(runner->running() == 0);
}

TEST_CASE("exec: spawn failures are results, not crashes", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);

  auto missing = shell(1, "true", dir);
  missing.workdir = dir / "does/not/exist";
  auto r = runOne(*runner, missing);
  CHECK(r.exitCode == 127);
  CHECK(r.error.find("workdir") != std::string::npos);
  CHECK(r.error.find("does/not/exist") != std::string::npos);
  CHECK_FALSE(r.succeeded());

  auto badOut = shell(2, "true", dir);
  badOut.stdoutPath = dir / "no-such-dir/out";
  auto r2 = runOne(*runner, badOut);
  CHECK(r2.exitCode == 127);
  CHECK(r2.error.find("stdout") != std::string::npos);
  // glibc reaped the half-started children: no zombie is left behind for anyone.
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);

  // The runner still works afterwards.
  CHECK(runOne(*runner, shell(3, "exit 4", dir)).exitCode == 4);
}

TEST_CASE("exec: an id that is still running is rejected", "[exec]") {
  TempDir dir;
  auto runner = makeProcessRunner();
  std::string err;
  REQUIRE(runner->start(shell(7, "true", dir), err));
  CHECK_FALSE(runner->start(shell(7, "true", dir), err));
  CHECK(err.find("7") != std::string::npos);
  CHECK(runner->running() == 1);
  REQUIRE(runner->waitAny(2.0));
  CHECK(runner->start(shell(7, "true", dir), err)); // free again once its result was taken
  REQUIRE(runner->waitAny(2.0));
}

TEST_CASE("exec: destroying a runner kills what is still running", "[exec]") {
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);
  std::string err;
  REQUIRE(runner->start(shell(1, "sleep 100 & echo $! > g.pid; wait", dir), err));
  const pid_t grandchild = readPid(dir / "g.pid");
  runner.reset();
  CHECK(becomesGone(grandchild));
}

TEST_CASE("exec: a timeout too far away to express is no timeout, and does not spin", "[exec]") {
  // `timeout = 200000000000000d` is 1.7e19 s: as a time_t that overflowed, ppoll failed at
  // once, and the runner spun at full CPU, deaf to Ctrl-C, after the child had exited.
  const ChildWatch watch = anyWatch();
  TempDir dir;
  auto runner = makeRunner(watch);
  for (double far : {1.728e19, 1e300}) {
    auto spec = shell(1, "sleep 0.2", dir);
    spec.timeoutSeconds = far;
    const double t0 = monotonicSeconds();
    std::clock_t cpu0 = std::clock();
    auto r = runOne(*runner, spec);
    const double elapsed = monotonicSeconds() - t0;
    const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    CHECK(r.exitCode == 0);
    CHECK_FALSE(r.timedOut);
    CHECK(elapsed < 2.0);
    CHECK(cpu < 0.1); // waiting, not polling in a loop
  }
}

TEST_CASE("exec: a watched wake fd ends waitAny early; results still come first", "[exec]") {
  TempDir dir;
  auto runner = makeRunner(anyWatch());
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(runner->watchWakeFd(fd));
  std::string err;
  REQUIRE(runner->start(shell(1, "sleep 30", dir), err));

  // Written from another thread while waitAny blocks: it returns nullopt, long before the limit.
  std::thread waker([fd] {
    ::usleep(100'000);
    const uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  });
  const double t0 = monotonicSeconds();
  CHECK_FALSE(runner->waitAny(20.0).has_value());
  CHECK(monotonicSeconds() - t0 < 10.0);
  waker.join();
  // Left readable, it wakes every wait at once (its owner drains it) ...
  CHECK_FALSE(runner->waitAny(20.0).has_value());
  CHECK(monotonicSeconds() - t0 < 10.0);
  // ... but a finished command is reported before it.
  REQUIRE(runner->start(shell(2, "true", dir), err));
  ::usleep(200'000);
  auto r = runner->waitAny(20.0);
  REQUIRE(r.has_value());
  CHECK(r->id == 2);
  // Not watched any more: waitAny waits for its limit again.
  REQUIRE(runner->watchWakeFd(-1));
  const double t1 = monotonicSeconds();
  CHECK_FALSE(runner->waitAny(0.3).has_value());
  CHECK(monotonicSeconds() - t1 >= 0.29);
  runner->cancelAll();
  auto c = runner->waitAny(10.0);
  REQUIRE(c.has_value());
  CHECK(c->cancelled);
  ::close(fd);
}
