// OutputSyncer: outputs staged on the scheduler's thread are made durable and moved into the
// store on the syncer's, come back in the order they were submitted, wake a poll on wakeFd(),
// and are never lost: a failed put reports its index and leaves the sources of the job's
// unfinished puts where they were; destroying the syncer finishes what was submitted.
#include "sched/output_syncer.h"
#include "store/sha256.h"
#include "store/store.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <vector>

using namespace mlpc;
using sched::OutputSyncer;

namespace {

store::ScopedTempDir makeDir() {
  return mlpc::testing::scratchDir("mlpc-syncer-");
}

store::Store openStore(const store::ScopedTempDir& dir) {
  auto s = store::Store::open(dir / ".mlp");
  REQUIRE(s);
  return std::move(*s);
}

struct Workspace {
  store::ScopedTempDir dir = makeDir();
  store::Store store = openStore(dir);

  /// Writes `text` to a file of the workspace's directory and stages it (moved, as a step's
  /// output is).
  store::StagedPut staged(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    auto s = store.stage(dir / name, true);
    REQUIRE(s);
    return std::move(*s);
  }
  std::string read(const std::string& path) const {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

bool readable(int fd, int timeoutMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeoutMs) == 1;
}

} // namespace

TEST_CASE("syncer: jobs come back in order, stored, and wake the poll", "[sched][syncer]") {
  Workspace w;
  OutputSyncer syncer(w.store);
  CHECK_FALSE(readable(syncer.wakeFd(), 0));
  for (uint64_t token = 1; token <= 20; ++token) {
    OutputSyncer::Job job;
    job.token = token;
    job.puts.push_back(w.staged("a" + std::to_string(token), "a" + std::to_string(token)));
    job.puts.push_back(w.staged("b" + std::to_string(token), "b" + std::to_string(token)));
    syncer.submit(std::move(job));
  }
  CHECK(syncer.pending() == 20);
  std::vector<OutputSyncer::Job> back;
  while (back.size() < 20) {
    REQUIRE(readable(syncer.wakeFd(), 10000));
    for (auto& job : syncer.take())
      back.push_back(std::move(job));
  }
  CHECK_FALSE(readable(syncer.wakeFd(), 0)); // take() drained it
  CHECK(syncer.pending() == 0);
  for (uint64_t token = 1; token <= 20; ++token) {
    const OutputSyncer::Job& job = back[token - 1];
    CHECK(job.token == token);
    CHECK(job.error.empty());
    for (const char* prefix : {"a", "b"}) {
      std::string text = prefix + std::to_string(token);
      CHECK(w.read(w.store.filePath(store::sha256Bytes(text))) == text);
    }
  }
  CHECK(syncer.take().empty());
  CHECK(syncer.waitTake().empty()); // nothing outstanding: does not block
}

TEST_CASE("syncer: a put that cannot be finished fails its job and loses nothing",
          "[sched][syncer]") {
  Workspace w;
  OutputSyncer syncer(w.store);
  const std::string blocked = store::sha256Bytes("blocked");
  const std::string target = w.store.filePath(blocked);
  std::ofstream(target.substr(0, target.rfind('/'))) << "a file where the shard belongs";

  OutputSyncer::Job job;
  job.token = 7;
  job.puts.push_back(w.staged("first", "first"));
  job.puts.push_back(w.staged("second", "blocked"));
  job.puts.push_back(w.staged("third", "third"));
  syncer.submit(std::move(job));
  std::vector<OutputSyncer::Job> back = syncer.waitTake();
  REQUIRE(back.size() == 1);
  CHECK(back[0].token == 7);
  CHECK(back[0].failed == 1);
  CHECK(back[0].error.find(w.dir / "second") != std::string::npos);
  CHECK(w.store.has(store::sha256Bytes("first")));
  // The failed put was undone by finish(); the one never finished is undone with its job.
  CHECK(w.read(w.dir / "second") == "blocked");
  CHECK_FALSE(w.store.has(store::sha256Bytes("third")));
  back.clear();
  CHECK(w.read(w.dir / "third") == "third");
}

TEST_CASE("syncer: destroying it finishes every job submitted", "[sched][syncer]") {
  Workspace w;
  {
    OutputSyncer syncer(w.store);
    for (int i = 0; i < 50; ++i) {
      OutputSyncer::Job job;
      job.token = static_cast<uint64_t>(i);
      job.puts.push_back(w.staged("f" + std::to_string(i), "late " + std::to_string(i)));
      syncer.submit(std::move(job));
    }
  }
  for (int i = 0; i < 50; ++i)
    CHECK(w.store.has(store::sha256Bytes("late " + std::to_string(i))));
  auto tmp = w.store.scanTmp();
  REQUIRE(tmp);
  CHECK(tmp->empty());
}
