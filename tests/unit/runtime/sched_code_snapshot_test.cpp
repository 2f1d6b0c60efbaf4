// The code a run keeps (sched/code_snapshot.h): every `code` file stored and recorded when the
// run starts, compared with today's files, and laid out again for a reproduction.
#include "meta/sqlite_meta_store.h"
#include "plan/model.h"
#include "sched/code_snapshot.h"
#include "store/sha256.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mlpc;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A project with code in the base directory, in a subdirectory reached with `../`, a file
/// that is missing, an undeclared file beside a declared one, and a stdlib script.
struct Project {
  store::ScopedTempDir dir = store::ScopedTempDir::create("mlpc-code-test-").value();
  fs::path base = fs::path(dir.path()) / "proj";
  fs::path stdlib = fs::path(dir.path()) / "stdlib";
  plan::Plan plan = [] {
    plan::Plan p;
    auto def = [](std::string dir, std::vector<std::string> code) {
      plan::StepDef d;
      d.dir = std::move(dir);
      d.code = std::move(code);
      return d;
    };
    p.steps.add("A", def(".", {"steps/a.py", "gone.py"}));
    p.steps.add("B", def("lib", {"b.py", "../shared/u.py"}));
    p.steps.add("S", def("@stdlib/std", {"x/s.py"}));
    return p;
  }();
  store::Store st = store::Store::open(dir / "ws").value();
  std::unique_ptr<meta::SqliteMetaStore> meta = meta::SqliteMetaStore::open(dir / "ws").value();
  store::HashCache hashes;
  std::string run;

  Project() {
    write(base / "steps/a.py", "A1");
    write(base / "lib/b.py", "B1");
    write(base / "lib/helper.txt", "not declared");
    write(base / "shared/u.py", "U1");
    write(stdlib / "std/x/s.py", "S1");
    meta::NewRun nr;
    nr.pipeline = "p";
    run = meta->createRun(nr).value().id;
  }
  std::vector<std::string> roots() const { return {stdlib.string()}; }
};

} // namespace

TEST_CASE("a run keeps the bytes of every code file, a missing one without a hash",
          "[sched][code]") {
  Project p;
  REQUIRE(
      sched::keepRunCode(p.plan, p.run, p.base.string(), p.roots(), p.st, *p.meta, p.hashes).ok());
  auto kept = p.meta->runCodeOf(p.run).value();
  std::vector<meta::RunCodeFile> want = {
      {".", "gone.py", std::nullopt},
      {".", "steps/a.py", store::sha256Bytes("A1")},
      {"@stdlib/std", "x/s.py", store::sha256Bytes("S1")},
      {"lib", "../shared/u.py", store::sha256Bytes("U1")},
      {"lib", "b.py", store::sha256Bytes("B1")},
  };
  CHECK(kept == want);
  for (const char* text : {"A1", "B1", "U1", "S1"})
    CHECK(p.st.has(store::sha256Bytes(text), store::ArtifactKind::File));
}

TEST_CASE("today's code is compared with the kept bytes", "[sched][code]") {
  Project p;
  REQUIRE(
      sched::keepRunCode(p.plan, p.run, p.base.string(), p.roots(), p.st, *p.meta, p.hashes).ok());
  auto kept = p.meta->runCodeOf(p.run).value();
  auto same = sched::checkRunCode(p.plan, kept, p.base.string(), p.roots(), p.st);
  CHECK(same.changed.empty());
  CHECK(same.gone.empty());
  CHECK(same.notRecorded.empty());

  write(p.base / "steps/a.py", "A2");
  write(p.base / "shared/u.py", "U2");
  write(p.base / "gone.py", "here now");
  auto check = sched::checkRunCode(p.plan, kept, p.base.string(), p.roots(), p.st);
  std::vector<std::string> changed;
  for (auto& d : check.changed)
    changed.push_back(d.file + (d.recorded.empty() ? " (was missing)" : ""));
  CHECK(changed == std::vector<std::string>{"gone.py (was missing)", "steps/a.py", "shared/u.py"});

  // A plan file without a record (a run from before code was kept).
  auto none = sched::checkRunCode(p.plan, {}, p.base.string(), p.roots(), p.st);
  CHECK_FALSE(none.recordedAnything);
  CHECK(none.notRecorded.size() == 5);
}

TEST_CASE("a reproduction lays out the kept bytes and links everything else", "[sched][code]") {
  Project p;
  REQUIRE(
      sched::keepRunCode(p.plan, p.run, p.base.string(), p.roots(), p.st, *p.meta, p.hashes).ok());
  auto kept = p.meta->runCodeOf(p.run).value();
  write(p.base / "steps/a.py", "A2");
  write(p.base / "shared/u.py", "U2");
  write(p.base / "gone.py", "here now");
  write(p.stdlib / "std/x/s.py", "S2");

  fs::path into = p.dir / "code";
  fs::create_directories(into);
  auto m = sched::materializeRunCode(p.plan, kept, p.base.string(), p.roots(), p.st, into);
  REQUIRE(m.ok());
  fs::path b = m->baseDir, s = m->stdlibDir;
  CHECK(read(b / "steps/a.py") == "A1");
  CHECK_FALSE(fs::is_symlink(b / "steps/a.py"));
  CHECK(read(b / "lib/b.py") == "B1");
  // `lib` is a step's working directory: real, so `../shared/u.py` from it is the kept one.
  CHECK_FALSE(fs::is_symlink(b / "lib"));
  CHECK(read(b / "lib/../shared/u.py") == "U1");
  CHECK(fs::is_symlink(b / "lib/helper.txt"));
  CHECK(read(b / "lib/helper.txt") == "not declared");
  CHECK_FALSE(fs::exists(b / "gone.py")); // missing then: not today's in its place
  CHECK(read(s / "std/x/s.py") == "S1");
  // Today's files are not touched.
  CHECK(read(p.base / "steps/a.py") == "A2");
  CHECK(read(p.stdlib / "std/x/s.py") == "S2");
  CHECK(sched::resolveCodeDir("@stdlib/std", m->baseDir, {m->stdlibDir}) == (s / "std").string());
}

TEST_CASE("kept bytes gone from the store: named, and nothing is laid out", "[sched][code]") {
  Project p;
  REQUIRE(
      sched::keepRunCode(p.plan, p.run, p.base.string(), p.roots(), p.st, *p.meta, p.hashes).ok());
  auto kept = p.meta->runCodeOf(p.run).value();
  std::string h = store::sha256Bytes("B1");
  fs::permissions(fs::path(p.st.filePath(h)).parent_path(), fs::perms::owner_all,
                  fs::perm_options::add);
  fs::remove(p.st.filePath(h));
  auto check = sched::checkRunCode(p.plan, kept, p.base.string(), p.roots(), p.st);
  REQUIRE(check.gone.size() == 1);
  CHECK(check.gone[0].file == "lib/b.py");
  CHECK(check.gone[0].step == "B");
  fs::path into = p.dir / "code";
  fs::create_directories(into);
  auto m = sched::materializeRunCode(p.plan, kept, p.base.string(), p.roots(), p.st, into);
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.error(), Catch::Contains("lib/b.py") && Catch::Contains("not in the store"));
}
