// Several processes writing one meta.db: every write lands, version numbers stay dense.
#include "meta_test_support.h"
#include "store/sha256.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

/// Forks `n` children that start `body(index)` at the same moment; returns their exit codes.
std::vector<int> runTogether(int n, const std::function<int(int)>& body) {
  int gate[2];
  REQUIRE(::pipe(gate) == 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1); // returns at EOF, when the parent closes its end
      int rc = 99;
      try {
        rc = body(i);
      } catch (...) {
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

} // namespace

TEST_CASE("two processes each create 200 runs and all 400 are there", "[meta][concurrency]") {
  store::ScopedTempDir dir = tempDir();
  // Both children also race to create and migrate the database itself.
  std::vector<int> codes = runTogether(2, [&](int) {
    Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
    if (!meta.ok()) return 1;
    for (int i = 0; i < 200; ++i) {
      NewRun r;
      r.pipeline = "p";
      r.params = {{"i", std::to_string(i)}};
      if (!(*meta)->createRun(r).ok()) return 2;
    }
    return 0;
  });
  CHECK(codes == std::vector<int>{0, 0});
  auto meta = SqliteMetaStore::open(dir.path()).value();
  std::vector<RunRecord> runs = meta->listRuns({"p", 0}).value();
  CHECK(runs.size() == 400);
  std::set<std::string> ids;
  for (const RunRecord& r : runs)
    ids.insert(r.id);
  CHECK(ids.size() == 400);
}

TEST_CASE("one model registered by two processes at once with reuse gets one version",
          "[meta][concurrency]") {
  store::ScopedTempDir dir = tempDir();
  std::vector<ArtifactRecord> models;
  {
    auto meta = SqliteMetaStore::open(dir.path()).value();
    for (int i = 0; i < 40; ++i) {
      models.push_back(
          {store::sha256Bytes("m" + std::to_string(i)), store::ArtifactKind::File, 1, "Model", 0});
      REQUIRE(meta->recordArtifact(models.back()).ok());
    }
  }
  // Both processes register the same 40 models in the same order, so every registration races
  // with its twin; each model must end up as exactly one version.
  std::vector<int> codes = runTogether(2, [&](int) {
    Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
    if (!meta.ok()) return 1;
    for (const ArtifactRecord& m : models) {
      NewModelVersion nv;
      nv.group = "g";
      nv.artifactHash = m.hash;
      nv.reuseSameArtifact = true;
      Result<ModelVersion> v = (*meta)->registerVersion(nv);
      if (!v.ok() || v->artifactHash != m.hash) return 2;
    }
    return 0;
  });
  CHECK(codes == std::vector<int>{0, 0});
  auto meta = SqliteMetaStore::open(dir.path()).value();
  std::vector<ModelVersion> versions = meta->listVersions("g").value();
  REQUIRE(versions.size() == 40);
  std::set<std::string> artifacts;
  for (const ModelVersion& v : versions)
    artifacts.insert(v.artifactHash);
  CHECK(artifacts.size() == 40);
  NewModelVersion again;
  again.group = "g";
  again.artifactHash = models[7].hash;
  again.reuseSameArtifact = true;
  ModelVersion v = meta->registerVersion(again).value();
  CHECK(v.reused);
  CHECK(v.artifactHash == models[7].hash);
  CHECK(meta->listVersions("g").value().size() == 40);
  again.reuseSameArtifact = false;
  ModelVersion fresh = meta->registerVersion(again).value();
  CHECK_FALSE(fresh.reused);
  CHECK(fresh.version == 41);
}

TEST_CASE("concurrent registrations get versions 1..100 without gaps", "[meta][concurrency]") {
  store::ScopedTempDir dir = tempDir();
  ArtifactRecord model{store::sha256Bytes("m"), store::ArtifactKind::File, 1, "Model", 0};
  {
    auto meta = SqliteMetaStore::open(dir.path()).value();
    REQUIRE(meta->recordArtifact(model).ok());
  }
  std::vector<int> codes = runTogether(2, [&](int who) {
    Result<std::unique_ptr<SqliteMetaStore>> meta = SqliteMetaStore::open(dir.path());
    if (!meta.ok()) return 1;
    for (int i = 0; i < 50; ++i) {
      NewModelVersion nv;
      nv.group = "g";
      nv.artifactHash = model.hash;
      nv.actor = "proc" + std::to_string(who);
      if (!(*meta)->registerVersion(nv).ok()) return 2;
    }
    return 0;
  });
  CHECK(codes == std::vector<int>{0, 0});
  auto meta = SqliteMetaStore::open(dir.path()).value();
  std::vector<ModelVersion> versions = meta->listVersions("g").value();
  REQUIRE(versions.size() == 100);
  for (size_t i = 0; i < versions.size(); ++i)
    CHECK(versions[i].version == int64_t(i + 1));
  std::set<std::string> actors;
  for (const ModelVersion& v : versions)
    actors.insert(meta->versionEvents("g", v.version).value().at(0).actor);
  CHECK(actors.size() == 2);
}
