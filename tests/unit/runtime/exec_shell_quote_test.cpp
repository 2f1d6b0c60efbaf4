// shellQuote: every byte survives /bin/sh and nothing in a value is ever executed.
#include "exec/process_runner.h"
#include "exec/shell_quote.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace mlpc::exec;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

TEST_CASE("exec: shellQuote output forms", "[exec][quote]") {
  CHECK(shellQuote("") == "''");
  CHECK(shellQuote("abc-1.2/x_y:z,@%+") == "abc-1.2/x_y:z,@%+");
  CHECK(shellQuote("a b") == "'a b'");
  CHECK(shellQuote("it's") == "'it'\\''s'");
  CHECK(shellQuote("'") == "''\\'''");
  CHECK(shellQuote("a=b") == "'a=b'");
  CHECK(shellQuote("~") == "'~'");
  CHECK(shellQuote("caf\xc3\xa9") == "'caf\xc3\xa9'");
}

TEST_CASE("exec: shellQuote round-trips nasty values through /bin/sh", "[exec][quote]") {
  char tmpl[] = "/tmp/mlpc-quote-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  // If quoting were broken, `~` and $HOME would point here, not at a real home directory.
  const std::string home = dir + "/home";
  ::mkdir(home.c_str(), 0755);
  { std::ofstream(home + "/sentinel") << "x"; }

  std::string allBytes;
  for (int c = 1; c < 256; ++c)
    allBytes += static_cast<char>(c);
  const std::vector<std::string> values = {
      "",
      "plain",
      "x; rm -rf ~",
      "$(touch pwned)",
      "`touch pwned2`",
      "'; touch pwned3; '",
      "\"; touch pwned4; \"",
      "it's \"quoted\" \\ back\\\\slash",
      "''",
      "line1\nline2\n",
      "\ttab and  spaces ",
      "unicode \xe2\x98\x83 caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
      "invalid utf8 \xff\xfe\x80",
      "* ? [a-z] {a,b} ~ ~root",
      "$HOME ${IFS} $0 $$ $1 !! %s %%",
      "a=b",
      "-n",
      "--",
      "& | < > >> ( ) #comment",
      allBytes,
  };

  auto runner = makeProcessRunner();
  uint64_t id = 0;
  for (const std::string& value : values) {
    CommandSpec spec;
    spec.id = ++id;
    spec.command = "printf %s " + shellQuote(value);
    spec.workdir = dir;
    spec.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", home}};
    spec.stdoutPath = dir + "/out";
    spec.stderrPath = dir + "/err";
    std::string err;
    REQUIRE(runner->start(spec, err));
    auto r = runner->waitAny(5.0);
    REQUIRE(r);
    INFO("command: " << spec.command << "\nstderr: " << readFile(dir + "/err"));
    CHECK(r->exitCode == 0);
    CHECK(readFile(dir + "/out") == value);
  }
  for (const char* f : {"pwned", "pwned2", "pwned3", "pwned4"})
    CHECK_FALSE(exists(dir + "/" + f));
  CHECK(exists(home + "/sentinel"));
  [[maybe_unused]] int rc = std::system(("rm -rf '" + dir + "'").c_str());
}
