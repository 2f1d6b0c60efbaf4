// The async endpoints' durable queue (runtime/deploy/async_store.h): order, limits, answers,
// and what a restart finds after a kill -9 at any point of a write.
#include "deploy/async_store.h"
#include "store/temp_dir.h"
#include "temp_dir_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using mlpc::deploy::AsyncItem;
using mlpc::deploy::AsyncStore;
namespace fs = std::filesystem;

namespace {

mlpc::store::ScopedTempDir tempDir() {
  return mlpc::testing::scratchDir("mlpc-async-test-");
}

AsyncItem item(const std::string& id, const std::string& endpoint = "ep") {
  AsyncItem it;
  it.id = id;
  it.endpoint = endpoint;
  it.contentType = "text/csv";
  return it;
}

void put(AsyncStore& s, const std::string& id, const std::string& body, size_t limit = 10) {
  std::string error;
  AsyncItem it = item(id);
  REQUIRE(s.enqueue(it, body, "", limit, error) == AsyncStore::Put::Ok);
}

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

} // namespace

TEST_CASE("async store: requests come out in arrival order and survive a restart") {
  auto dir = tempDir();
  std::string root = dir / "async";
  {
    AsyncStore s(root);
    s.recover();
    put(s, "a", "1");
    put(s, "b", "2");
    put(s, "c", "3");
    auto first = s.take("ep", 0);
    REQUIRE(first);
    CHECK(first->id == "a"); // taken, not answered: still on disk
  }
  AsyncStore s(root);
  CHECK(s.recover() == 3);
  CHECK(s.unanswered("ep") == 3);
  std::vector<std::string> ids;
  while (auto it = s.take("ep", 0))
    ids.push_back(it->id);
  CHECK(ids == std::vector<std::string>{"a", "b", "c"});
  CHECK(AsyncStore::lookup(root, "b").status == "Pending");
}

TEST_CASE("async store: a full queue and a used id are refused") {
  auto dir = tempDir();
  AsyncStore s(dir / "async");
  s.recover();
  put(s, "a", "1", 2);
  put(s, "b", "2", 2);
  std::string error;
  AsyncItem c = item("c");
  CHECK(s.enqueue(c, "3", "", 2, error) == AsyncStore::Put::Full);
  AsyncItem dup = item("a", "other");
  CHECK(s.enqueue(dup, "3", "", 10, error) == AsyncStore::Put::Duplicate);
}

TEST_CASE("async store: an answer is stored and its request leaves the queue") {
  auto dir = tempDir();
  std::string root = dir / "async";
  AsyncStore s(root);
  s.recover();
  put(s, "ok", "1");
  put(s, "bad", "2");
  std::string body, error;
  auto a = s.take("ep", 0);
  REQUIRE(a);
  REQUIRE(s.readBody(*a, body, error));
  CHECK(body == "1");
  REQUIRE(s.finish(*a, "Completed", 200, "text/csv", "prediction\n0\n", 1, "", error));
  auto b = s.take("ep", 0);
  REQUIRE(b);
  REQUIRE(s.finish(*b, "Failed", 400, "application/json", "{\"error\": \"x\"}", 1, "answered 400",
                   error));
  CHECK(s.unanswered("ep") == 0);
  auto done = AsyncStore::lookup(root, "ok");
  CHECK(done.status == "Completed");
  CHECK(done.httpStatus == 200);
  CHECK(done.contentType == "text/csv");
  auto failed = AsyncStore::lookup(root, "bad");
  CHECK(failed.status == "Failed");
  CHECK(failed.error == "answered 400");
  CHECK(AsyncStore::lookup(root, "nope").status.empty());
  CHECK(AsyncStore::lookup(root, "../x").status.empty());
  CHECK(fs::is_empty(root + "/queue/ep"));
}

TEST_CASE("async store: a restart drops what a kill -9 left half-written") {
  auto dir = tempDir();
  std::string root = dir / "async";
  {
    AsyncStore s(root);
    s.recover();
    put(s, "whole", "1");
    put(s, "answered", "2");
  }
  // killed while writing a payload, after the payload but before the entry, while writing a
  // result, and after a result but before its request was removed from the queue
  write(root + "/queue/ep/t1.body.tmp", "partial");
  write(root + "/queue/ep/t2.body", "no entry");
  write(root + "/queue/ep/t3.body", "3");
  write(root + "/queue/ep/t3.json.tmp", "{\"id\":");
  write(root + "/queue/ep/t4.body", "4");
  write(root + "/queue/ep/t4.json", "{not json");
  write(root + "/results/x.out.tmp", "partial");
  write(root + "/results/answered.out", "p");
  write(root + "/results/answered.json", "{\"status\": \"Completed\", \"endpoint\": \"ep\"}");
  AsyncStore s(root);
  CHECK(s.recover() == 1);
  auto it = s.take("ep", 0);
  REQUIRE(it);
  CHECK(it->id == "whole");
  CHECK_FALSE(s.take("ep", 0));
  std::vector<std::string> left;
  for (auto& e : fs::directory_iterator(root + "/queue/ep"))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"whole.body", "whole.json"});
  CHECK_FALSE(fs::exists(root + "/results/x.out.tmp"));
  CHECK(AsyncStore::lookup(root, "answered").status == "Completed");
}

TEST_CASE("async store: inference ids") {
  CHECK(AsyncStore::validId("my-id_1.2"));
  CHECK(AsyncStore::validId(AsyncStore::newId()));
  CHECK_FALSE(AsyncStore::validId(""));
  CHECK_FALSE(AsyncStore::validId(".hidden"));
  CHECK_FALSE(AsyncStore::validId("a/b"));
  CHECK_FALSE(AsyncStore::validId(std::string(65, 'a')));
}
