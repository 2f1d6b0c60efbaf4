// Store: what `mlpc verify` builds on — listing objects (and what is not one), judging staging
// entries, removing an unused object, and the workspace lock.
#include "store/sha256.h"
#include "store/store.h"
#include "store/temp_dir.h"
#include "store/workspace_lock.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#include <vector>

using namespace mlpc::store;

namespace {

ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-store-check-");
}

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void makeOld(const std::string& path) {
  struct timeval times[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  REQUIRE(::lutimes(path.c_str(), times) == 0);
}

struct Fixture {
  ScopedTempDir dir = tempDir();
  Store store = Store::open(dir.path() + "/ws").value();
  std::string src(const std::string& name) const { return dir.path() + "/" + name; }
};

} // namespace

TEST_CASE("list finds every stored file and directory", "[store][check]") {
  Fixture f;
  writeFile(f.src("a"), "alpha");
  ::mkdir(f.src("d").c_str(), 0755);
  writeFile(f.src("d/x"), "x");
  Artifact a = f.store.put(f.src("a")).value();
  Artifact d = f.store.put(f.src("d")).value();
  StoreListing l = f.store.list().value();
  CHECK(l.strays.empty());
  REQUIRE(l.objects.size() == 2);
  CHECK(l.objects[0] == StoredObject{a.hash, ArtifactKind::File});
  CHECK(l.objects[1] == StoredObject{d.hash, ArtifactKind::Dir});
}

TEST_CASE("list reports what cannot be an object, without taking it for one", "[store][check]") {
  Fixture f;
  writeFile(f.src("a"), "alpha");
  ::mkdir(f.src("d").c_str(), 0755);
  writeFile(f.src("d/x"), "x");
  Artifact a = f.store.put(f.src("a")).value();
  Artifact d = f.store.put(f.src("d")).value();
  const std::string ws = f.store.workspace();
  std::string wrongShard = sha256Bytes("elsewhere");
  if (wrongShard.starts_with("ff")) wrongShard[0] = '0';
  ::mkdir((ws + "/objects/ff").c_str(), 0755);
  writeFile(ws + "/objects/ff/" + wrongShard, "elsewhere");
  writeFile(ws + "/objects/ff/notes.txt", "hello");
  writeFile(ws + "/objects/README", "top");
  std::string tree = f.store.treePath(d.hash);
  writeFile(tree + "/extra", "!");

  StoreListing l = f.store.list().value();
  CHECK(l.objects.size() == 2);
  std::vector<std::string> reasons;
  for (const StrayEntry& s : l.strays)
    reasons.push_back(s.path.substr(ws.size()) + ": " + s.reason);
  std::sort(reasons.begin(), reasons.end());
  CHECK(reasons == std::vector<std::string>{
                       "/objects/README: it is not a shard directory (two hex digits)",
                       "/objects/ff/" + wrongShard + ": it is in the wrong shard directory",
                       "/objects/ff/notes.txt: its name is not a SHA-256",
                       "/trees/" + d.hash.substr(0, 2) + "/" + d.hash +
                           "/extra: a stored directory object holds only `manifest` and `root/`",
                   });
  (void)a;
}

TEST_CASE("scanTmp judges staging entries like cleanTmp, and removes nothing", "[store][check]") {
  Fixture f;
  std::string tmp = f.store.tmpDir();
  writeFile(tmp + "/old", "o");
  makeOld(tmp + "/old");
  writeFile(tmp + "/young", "y");
  writeFile(tmp + "/held", "h");
  makeOld(tmp + "/held");
  int fd = ::open((tmp + "/held").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0); // a live put owns it

  std::vector<TmpEntry> entries = f.store.scanTmp(std::chrono::seconds(60)).value();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].name == "held");
  CHECK_FALSE(entries[0].abandoned);
  CHECK(entries[1].name == "old");
  CHECK(entries[1].abandoned);
  CHECK(entries[1].ageSeconds > 7000);
  CHECK(entries[2].name == "young");
  CHECK_FALSE(entries[2].abandoned);
  CHECK(exists(tmp + "/old"));

  CHECK(f.store.cleanTmp(std::chrono::seconds(60)).value() == 1);
  CHECK_FALSE(exists(tmp + "/old"));
  CHECK(exists(tmp + "/held"));
  ::close(fd);
}

TEST_CASE("remove takes a read-only file or tree out of the store", "[store][check]") {
  Fixture f;
  writeFile(f.src("a"), "alpha");
  ::mkdir(f.src("d").c_str(), 0755);
  ::mkdir(f.src("d/sub").c_str(), 0755);
  writeFile(f.src("d/sub/x"), "x");
  Artifact a = f.store.put(f.src("a")).value();
  Artifact d = f.store.put(f.src("d")).value();

  REQUIRE(f.store.remove(a.hash, ArtifactKind::File).ok());
  REQUIRE(f.store.remove(d.hash, ArtifactKind::Dir).ok());
  CHECK_FALSE(f.store.has(a.hash));
  CHECK_FALSE(f.store.has(d.hash));
  CHECK(f.store.list().value().objects.empty());
  CHECK(f.store.scanTmp().value().empty()); // deleted, not just moved aside
  // Removing what is not there is not an error; a bad name is.
  CHECK(f.store.remove(a.hash, ArtifactKind::File).ok());
  CHECK_FALSE(f.store.remove("nothex", ArtifactKind::File).ok());
}

TEST_CASE("the workspace lock: writers share it, a repair excludes them", "[store][check]") {
  Fixture f;
  const std::string ws = f.store.workspace();
  {
    WorkspaceLock w1 = WorkspaceLock::shared(ws).value();
    WorkspaceLock w2 = WorkspaceLock::shared(ws).value();
    std::optional<WorkspaceLock> x = WorkspaceLock::tryExclusive(ws).value();
    CHECK_FALSE(x.has_value());
  }
  std::optional<WorkspaceLock> x = WorkspaceLock::tryExclusive(ws).value();
  REQUIRE(x.has_value());
  CHECK_FALSE(WorkspaceLock::tryExclusive(ws).value().has_value());
  // A writer started during a repair waits for it (checked from another process, which is
  // what a run is).
  pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(WorkspaceLock::pathIn(ws).c_str(), O_RDONLY);
    _exit(::flock(fd, LOCK_SH | LOCK_NB) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 1);
  x.reset();
  CHECK(WorkspaceLock::tryExclusive(ws).value().has_value());
}
