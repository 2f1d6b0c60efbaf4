// mlpc_exec_bench: per-command overhead of the process runner, and of Boost.Process for the
// spawn-mechanism decision recorded in process_runner.h. Not a test.
//
//   mlpc_exec_bench [-n 2000] [-j 2] [--watch auto|pidfd|sigchld] [--boost] [--rss-mb N]
//                   [--outputs files|shared|reuse|devnull]
//
// Runs `true` n times, j at a time, each with its own stdout/stderr files (as real steps have;
// --outputs shared: one file for both, reuse: 16 names in rotation, devnull: none), and prints
// commands/second. --boost spawns with Boost.Process v1 instead (bp::child with a bp::group,
// waitpid(-1) to wait): the spawn cost is what differs. --rss-mb makes the parent touch N MiB
// first, because a scheduler holding a big build graph pays fork()'s page-table copy on every
// command while posix_spawn (CLONE_VM|CLONE_VFORK) does not.
#include "exec/clock.h"
#include "exec/process_runner.h"

#include <boost/process.hpp>
#include <cstdlib>
#include <cstring>
#include <fmt/core.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

namespace bp = boost::process;
using namespace mlpc::exec;

struct Options {
  int n = 2000;
  int jobs = 2;
  ChildWatch watch = ChildWatch::Auto;
  bool boost = false;
  size_t rssMb = 0;
  std::string outputs = "files"; // files | shared | devnull
};

/// The log paths of command `i` for --outputs ("" = /dev/null).
std::pair<std::string, std::string> logPaths(const Options& o, const std::string& dir, int i) {
  // `reuse`: 16 names in rotation, so after the first round the files are only truncated.
  const int name = o.outputs == "reuse" ? i % 16 : i;
  const std::string out = fmt::format("{}/{}.out", dir, name);
  const std::string err = fmt::format("{}/{}.err", dir, name);
  if (o.outputs == "devnull") return {"", ""};
  if (o.outputs == "shared") return {out, out};
  return {out, err};
}

int runOurs(const Options& o, const std::string& dir) {
  ProcessRunnerOptions ro;
  ro.watch = o.watch;
  auto runner = makeProcessRunner(ro);
  fmt::print("runner: posix_spawn + {}\n", watchMechanism(*runner));
  CommandSpec spec;
  spec.command = "true";
  spec.workdir = dir;
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  int next = 0, failures = 0;
  while (next < o.n || runner->running() > 0) {
    while (next < o.n && runner->running() < static_cast<size_t>(o.jobs)) {
      spec.id = static_cast<uint64_t>(next);
      std::tie(spec.stdoutPath, spec.stderrPath) = logPaths(o, dir, next);
      std::string err;
      if (!runner->start(spec, err)) {
        fmt::print(stderr, "start: {}\n", err);
        return -1;
      }
      ++next;
    }
    auto r = runner->waitAny(std::nullopt);
    if (r && !r->succeeded()) ++failures;
  }
  return failures;
}

int runBoost(const Options& o, const std::string& dir) {
  fmt::print("runner: Boost.Process {}.{} bp::child + bp::group\n", BOOST_VERSION / 100000,
             BOOST_VERSION / 100 % 1000);
  bp::environment env;
  env["PATH"] = "/usr/bin:/bin";
  int next = 0, running = 0, failures = 0;
  while (next < o.n || running > 0) {
    while (next < o.n && running < o.jobs) {
      bp::group group; // one per command: its first child becomes the group leader
      std::error_code ec;
      auto [out, err] = logPaths(o, dir, next);
      auto spawn = [&](auto&& outTarget, auto&& errTarget) {
        return bp::child(bp::exe = "/bin/sh", bp::args = {"-c", "true"}, bp::start_dir = dir, env,
                         (bp::std_in < bp::null), (bp::std_out > outTarget),
                         (bp::std_err > errTarget), group, ec);
      };
      // Boost.Process has no "same file for both" short of a pipe; `shared` opens it twice.
      bp::child c = out.empty() ? spawn(bp::null, bp::null) : spawn(out, err);
      if (ec) {
        fmt::print(stderr, "spawn: {}\n", ec.message());
        return -1;
      }
      c.detach(); // we reap it ourselves below
      group.detach();
      ++next;
      ++running;
    }
    int status = 0;
    if (::waitpid(-1, &status, 0) > 0) {
      --running;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
  }
  return failures;
}

/// CPU seconds of this process and its reaped children: steadier than wall time on a shared box.
double cpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    ::getrusage(who, &ru);
    total += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "-n")
      o.n = std::atoi(value().c_str());
    else if (a == "-j")
      o.jobs = std::atoi(value().c_str());
    else if (a == "--boost")
      o.boost = true;
    else if (a == "--outputs")
      o.outputs = value();
    else if (a == "--rss-mb")
      o.rssMb = static_cast<size_t>(std::atoll(value().c_str()));
    else if (a == "--watch") {
      std::string w = value();
      o.watch = w == "pidfd"     ? ChildWatch::Pidfd
                : w == "sigchld" ? ChildWatch::SigchldPipe
                                 : ChildWatch::Auto;
    } else {
      fmt::print(stderr, "usage: mlpc_exec_bench [-n N] [-j J] [--watch auto|pidfd|sigchld] "
                         "[--boost] [--rss-mb N] [--outputs files|shared|reuse|devnull]\n");
      return 2;
    }
  }

  std::vector<char> ballast(o.rssMb << 20);
  for (size_t i = 0; i < ballast.size(); i += 4096)
    ballast[i] = 1; // make it resident

  // $TMPDIR picks the file system the log files go to (their creation cost varies a lot).
  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/mlpc-exec-bench-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    fmt::print(stderr, "mkdtemp: {}\n", std::strerror(errno));
    return 1;
  }
  const std::string dir = tmpl;

  const double t0 = monotonicSeconds(), cpu0 = cpuSeconds();
  int failures = o.boost ? runBoost(o, dir) : runOurs(o, dir);
  const double elapsed = monotonicSeconds() - t0;
  const double cpu = cpuSeconds() - cpu0;

  fmt::print("outputs: {}; ", o.outputs);
  fmt::print("{} commands, -j{}, {} MiB ballast: {:.3f} s, {:.0f} commands/s, {:.0f} us/command; "
             "cpu {:.3f} s ({:.0f} us/command); failures: {}\n",
             o.n, o.jobs, o.rssMb, elapsed, o.n / elapsed, elapsed / o.n * 1e6, cpu,
             cpu / o.n * 1e6, failures);
  std::string rm = "rm -rf '" + dir + "'";
  return std::system(rm.c_str()) == 0 && failures == 0 ? 0 : 1;
}
