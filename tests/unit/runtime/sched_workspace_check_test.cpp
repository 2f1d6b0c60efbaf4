// checkWorkspace (`mlpc verify`) over a real store and meta.db: what is damage, what is garbage,
// and what --repair may and may not remove.
#include "meta/sqlite_meta_store.h"
#include "sched/workspace_check.h"
#include "store/temp_dir.h"
#include "store/workspace_lock.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlpc;
using sched::Finding;

namespace {

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

/// A workspace with one run: step `train` outputs `model`, which is also a model version.
struct Ws {
  store::ScopedTempDir dir = store::ScopedTempDir::create("mlpc-check-").value();
  std::string ws = dir.path() + "/ws";
  store::Store store = store::Store::open(ws).value();
  std::string run;
  store::Artifact model;

  Ws() {
    auto meta = meta::SqliteMetaStore::open(ws).value();
    writeFile(dir.path() + "/model", "weights");
    model = store.put(dir.path() + "/model").value();
    meta::NewRun nr;
    nr.pipeline = "demo";
    run = meta->createRun(nr).value().id;
    meta::ArtifactRecord rec{model.hash, model.kind, model.size, "Model<sklearn>", 0};
    meta::ExecutionRecord e;
    e.runId = run;
    e.node = "train";
    e.step = "demo.Train";
    e.status = meta::ExecStatus::Succeeded;
    meta::ExecutionIo io;
    io.outputs = {{"model", rec}};
    int64_t id = meta->recordExecution(e, io).value();
    meta::NewModelVersion v;
    v.group = "churn";
    v.artifactHash = model.hash;
    v.runId = run;
    v.executionId = id;
    REQUIRE(meta->registerVersion(v).ok());
  }

  /// An object nothing refers to.
  store::Artifact orphan(const std::string& content) {
    writeFile(dir.path() + "/orphan", content);
    return store.put(dir.path() + "/orphan").value();
  }

  sched::CheckReport check(bool repair = false) {
    sched::CheckOptions o;
    o.repair = repair;
    return sched::checkWorkspace(ws, o).value();
  }
};

const Finding* find(const sched::CheckReport& r, const std::string& kind) {
  for (const Finding& f : r.findings)
    if (f.kind == kind) return &f;
  return nullptr;
}

} // namespace

TEST_CASE("a clean workspace has no findings", "[sched][verify]") {
  Ws w;
  sched::CheckReport r = w.check();
  CHECK(r.findings.empty());
  CHECK(r.damage() == 0);
  CHECK(r.files == 1);
  CHECK(r.trees == 0);
  CHECK(r.references == 3); // the output, the model version, the artifacts row
  CHECK(r.schemaVersion > 0);
}

TEST_CASE("a corrupt object is damage naming its users, and repair keeps it", "[sched][verify]") {
  Ws w;
  std::string path = w.store.filePath(w.model.hash);
  ::chmod(path.c_str(), 0644);
  writeFile(path, "weightz");
  for (bool repair : {false, true}) {
    sched::CheckReport r = w.check(repair);
    REQUIRE(r.findings.size() == 1);
    const Finding& f = r.findings[0];
    CHECK(f.kind == "corrupt_object");
    CHECK(f.severity == Finding::Severity::Damage);
    CHECK(f.message == "object " + w.model.hash.substr(0, 12) +
                           "… (output `model` of step "
                           "`train` in run " +
                           w.run +
                           ", and 1 more use) does not match its hash: its contents "
                           "changed after it was stored");
    REQUIRE(f.usedBy.size() == 2); // the output and the model version; not the artifacts row
    CHECK(meta::describe(f.usedBy[1]) == "model version churn@1");
    CHECK_FALSE(f.removable);
    CHECK_FALSE(f.removed);
    CHECK(r.damage() == 1);
  }
  CHECK(w.store.has(w.model.hash));
}

TEST_CASE("a missing object is damage, and repair does not hide it", "[sched][verify]") {
  Ws w;
  ::unlink(w.store.filePath(w.model.hash).c_str());
  sched::CheckReport r = w.check(true);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].kind == "missing_object");
  CHECK(r.findings[0].message == "object " + w.model.hash.substr(0, 12) +
                                     "… (output `model` of step `train` in run " + w.run +
                                     ", and 1 more use) is missing from the store");
  CHECK(r.damage() == 1);
}

TEST_CASE("an unused object is garbage, and repair removes only it", "[sched][verify]") {
  Ws w;
  store::Artifact o = w.orphan("nobody");
  sched::CheckReport r = w.check();
  const Finding* f = find(r, "orphan_object");
  REQUIRE(f);
  CHECK(f->severity == Finding::Severity::Garbage);
  CHECK(f->object == o.hash);
  CHECK(f->size == 6);
  CHECK(f->removable);
  CHECK(r.damage() == 0);
  CHECK(r.garbage() == 1);

  r = w.check(true);
  CHECK(r.removed == 1);
  CHECK(r.freedBytes == 6);
  CHECK(r.garbage() == 0);
  CHECK_FALSE(w.store.has(o.hash));
  CHECK(w.store.has(w.model.hash));
  CHECK(w.check().findings.empty());
}

TEST_CASE("a corrupt unused object is damage that repair may remove", "[sched][verify]") {
  Ws w;
  store::Artifact o = w.orphan("nobody");
  std::string path = w.store.filePath(o.hash);
  ::chmod(path.c_str(), 0644);
  writeFile(path, "changed");
  sched::CheckReport r = w.check();
  const Finding* f = find(r, "corrupt_object");
  REQUIRE(f);
  CHECK(f->removable);
  CHECK(f->message.ends_with("; nothing refers to it"));
  CHECK(r.damage() == 1);
  r = w.check(true);
  CHECK(r.damage() == 0);
  CHECK_FALSE(w.store.has(o.hash));
}

TEST_CASE("repair removes no object while a writer holds the workspace", "[sched][verify]") {
  Ws w;
  store::Artifact o = w.orphan("nobody");
  {
    store::WorkspaceLock writer = store::WorkspaceLock::shared(w.store.workspace()).value();
    sched::CheckReport r = w.check(true);
    CHECK(r.removed == 0);
    CHECK(r.repairNote.find("a run is using this workspace") != std::string::npos);
    CHECK(w.store.has(o.hash));
  }
  CHECK(w.check(true).removed == 1);
}

TEST_CASE("an unreadable meta.db: damage, and no object counts as unused", "[sched][verify]") {
  Ws w;
  writeFile(w.ws + "/meta.db", std::string(4096, 'x'));
  ::unlink((w.ws + "/meta.db-wal").c_str());
  ::unlink((w.ws + "/meta.db-shm").c_str());
  sched::CheckReport r = w.check(true);
  CHECK(find(r, "metadata_unreadable"));
  CHECK_FALSE(find(r, "orphan_object"));
  CHECK(r.removed == 0);
  CHECK(w.store.has(w.model.hash));
}

TEST_CASE("not a workspace is an error, and nothing is created", "[sched][verify]") {
  store::ScopedTempDir dir = store::ScopedTempDir::create("mlpc-check-").value();
  auto r = sched::checkWorkspace(dir.path(), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("no workspace at " + dir.path() + ": it has no meta.db") == 0);
  struct stat st {};
  CHECK(::stat((dir.path() + "/objects").c_str(), &st) != 0);
  CHECK_FALSE(sched::checkWorkspace(dir.path() + "/nope", {}).ok());
}
