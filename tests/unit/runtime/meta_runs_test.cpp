// Runs: ids, prefixes, listing, params, and crash recovery.
#include "meta_test_support.h"
#include "store/temp_dir.h"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlpc;
using namespace mlpc::meta;
using namespace mlpc::meta::testing;

namespace {

NewRun newRun(const std::string& pipeline, double startedAt = 0) {
  NewRun r;
  r.pipeline = pipeline;
  r.entry = pipeline + ".mlp";
  r.planHash = std::string(64, 'a');
  r.startedAt = startedAt;
  return r;
}

} // namespace

TEST_CASE("createRun allocates sortable ids and getRun round-trips", "[meta][runs]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  NewRun nr = newRun("train");
  nr.paramsJson = R"({"lr":0.1,"epochs":3})";
  nr.params = {{"epochs", "3"}, {"lr", "0.1"}};
  nr.startedAt = 1700000000.25; // 2023-11-14 22:13:20 UTC
  RunRecord r = meta->createRun(nr).value();
  CHECK(std::regex_match(r.id, std::regex(R"(r-20231114-221320-[0-9a-f]{4})")));
  CHECK(r.status == RunStatus::Running);
  CHECK(r.pid == ::getpid());

  RunRecord got = meta->getRun(r.id).value();
  CHECK(got.pipeline == "train");
  CHECK(got.entry == "train.mlp");
  CHECK(got.paramsJson == nr.paramsJson);
  CHECK(got.startedAt == 1700000000.25);
  CHECK_FALSE(got.finishedAt.has_value());
  CHECK(meta->paramsOf(r.id).value() == nr.params);

  REQUIRE(meta->finishRun(r.id, RunStatus::Failed, "step train failed", {3, 2, 1, 4}).ok());
  got = meta->getRun(r.id).value();
  CHECK(got.status == RunStatus::Failed);
  CHECK(got.message == "step train failed");
  CHECK(got.counts == RunCounts{3, 2, 1, 4});
  CHECK(got.finishedAt.has_value());
  CHECK_FALSE(meta->finishRun("r-nope", RunStatus::Failed, "", {}).ok());
}

TEST_CASE("runs resolve by unique prefix and ambiguity lists candidates", "[meta][runs]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  RunRecord a = meta->createRun(newRun("p", 1700000000)).value();
  RunRecord b = meta->createRun(newRun("p", 1700086400)).value(); // a day later
  CHECK(meta->getRun(a.id.substr(0, 12)).value().id == a.id);
  CHECK(meta->getRun("r-20231115").value().id == b.id);

  Result<RunRecord> ambiguous = meta->getRun("r-2023");
  REQUIRE(!ambiguous.ok());
  CHECK_THAT(ambiguous.error(),
             Catch::Contains("ambiguous") && Catch::Contains(a.id) && Catch::Contains(b.id));
  Result<RunRecord> none = meta->getRun("r-1999");
  REQUIRE(!none.ok());
  CHECK_THAT(none.error(), Catch::Contains("no run matches 'r-1999'"));
}

TEST_CASE("runs in the same second get distinct ids", "[meta][runs]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  std::set<std::string> ids;
  for (int i = 0; i < 300; ++i)
    ids.insert(meta->createRun(newRun("p", 1700000000)).value().id);
  CHECK(ids.size() == 300);
}

TEST_CASE("listRuns is newest first and filtered and limited", "[meta][runs]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  for (int i = 0; i < 5; ++i)
    REQUIRE(meta->createRun(newRun("a", 1700000000 + i)).ok());
  for (int i = 0; i < 3; ++i)
    REQUIRE(meta->createRun(newRun("b", 1700000100 + i)).ok());
  std::vector<RunRecord> all = meta->listRuns({"", 0}).value();
  REQUIRE(all.size() == 8);
  CHECK(all.front().pipeline == "b");
  CHECK(all.front().startedAt == 1700000102);
  std::vector<RunRecord> a = meta->listRuns({"a", 2}).value();
  REQUIRE(a.size() == 2);
  CHECK(a[0].startedAt == 1700000004);
  CHECK(a[1].startedAt == 1700000003);
}

TEST_CASE("runs of dead processes are marked interrupted", "[meta][runs]") {
  store::ScopedTempDir dir = tempDir();
  auto meta = openMeta(dir);
  RunRecord mine = meta->createRun(newRun("alive")).value();

  int ids[2];
  REQUIRE(::pipe(ids) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) { // a run whose process "crashes" mid-way
    Result<std::unique_ptr<SqliteMetaStore>> child = SqliteMetaStore::open(dir.path());
    if (!child.ok()) ::_exit(1);
    Result<RunRecord> r = (*child)->createRun(newRun("crashy"));
    if (!r.ok()) ::_exit(2);
    ExecutionRecord e;
    e.runId = r->id;
    e.node = "train";
    e.step = "m.train";
    if (!(*child)->startExecution(e, {}, {}).ok()) ::_exit(3);
    (void)!::write(ids[1], r->id.data(), r->id.size());
    ::_exit(0);
  }
  ::close(ids[1]);
  char buf[64] = {};
  ssize_t n = ::read(ids[0], buf, sizeof buf);
  ::close(ids[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  std::string crashed(buf, static_cast<size_t>(n > 0 ? n : 0));

  std::vector<std::string> marked = meta->markStaleRunsInterrupted().value();
  CHECK(marked == std::vector<std::string>{crashed});
  RunRecord r = meta->getRun(crashed).value();
  CHECK(r.status == RunStatus::Interrupted);
  CHECK_THAT(r.message, Catch::Contains(std::to_string(pid)));
  std::vector<ExecutionRecord> execs = meta->executionsOf(crashed).value();
  REQUIRE(execs.size() == 1);
  CHECK(execs[0].status == ExecStatus::Cancelled);
  CHECK(meta->getRun(mine.id).value().status == RunStatus::Running);
  CHECK(meta->markStaleRunsInterrupted().value().empty());
}
