// The Slurm runner's job array script (runtime/exec/slurm_array.h), run by a real /bin/sh as a
// Slurm node would run it: task I runs the I-th command's script in its working directory with
// its output files; one path for both streams is one file; a directory that cannot be entered
// fails the task with the reason in its error file; a task id without a command fails.
#include "exec/slurm_array.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using mlpc::exec::arrayScript;
using mlpc::exec::ArrayTask;
using mlpc::exec::arrayTaskId;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
/// Runs the array script as task `index`; its exit status.
int runTask(const fs::path& script, const std::string& index) {
  std::string cmd = "SLURM_ARRAY_TASK_ID=" + index + " /bin/sh '" + script.string() + "'";
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
} // namespace

TEST_CASE("array tasks run their own command, directory and output files", "[exec][slurm]") {
  fs::path d = fs::temp_directory_path() / ("mlpc-array-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "w0");
  fs::create_directories(d / "w 1"); // a space: the paths are quoted
  std::ofstream(d / "s0.sh") << "pwd; echo err0 >&2; exit 3\n";
  std::ofstream(d / "s1.sh") << "pwd; echo err1 >&2\n";
  std::vector<ArrayTask> tasks = {
      {(d / "w0").string(), (d / "s0.sh").string(), (d / "o0").string(), (d / "e0").string()},
      {(d / "w 1").string(), (d / "s1.sh").string(), (d / "b1").string(), (d / "b1").string()},
      {(d / "nope").string(), (d / "s1.sh").string(), (d / "o2").string(), (d / "e2").string()}};
  std::ofstream(d / "array.sh") << arrayScript(tasks);

  CHECK(runTask(d / "array.sh", "0") == 3); // the command's exit status
  CHECK(slurp(d / "o0") == (d / "w0").string() + "\n");
  CHECK(slurp(d / "e0") == "err0\n");

  CHECK(runTask(d / "array.sh", "1") == 0);
  CHECK(slurp(d / "b1") == (d / "w 1").string() + "\nerr1\n"); // both streams, one file

  CHECK(runTask(d / "array.sh", "2") != 0); // its directory is missing
  CHECK(slurp(d / "e2").find("nope") != std::string::npos);

  CHECK(runTask(d / "array.sh", "7") == 1); // no such task
  CHECK(arrayTaskId("42", 3) == "42_3");
  fs::remove_all(d);
}
