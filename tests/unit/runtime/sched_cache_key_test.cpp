// The canonical action's exact bytes. Cache keys are the SHA-256 of this text and live in every
// workspace's meta.db, so a change here (even one that means the same) silently turns every
// cached result into a miss. This test pins the text; change it only together with
// `action_version`.
#include "mlpc/version.h"
#include "sched/executor.h"

#include <catch2/catch.hpp>

using namespace mlpc;
using plan::Json;

TEST_CASE("the canonical action text is pinned", "[sched][cache]") {
  // Keys in plan order (not sorted), nested values, every JSON scalar kind, an artifact inside
  // a list, unicode and characters that need escaping.
  Json def = Json::parse(R"({
    "run": {"template": "train ${data} --out ${model}", "parts": [1, 2.5, -3, true, null]},
    "image": "python:3.11",
    "env": {"Z": "1", "A": "é \"q\"\n"},
    "outputs": [{"name": "model", "type": "Model<sklearn>"}],
    "resources": {"cpu": 2}
  })");
  Json args = Json::parse(R"({
    "trees": 200,
    "rate": 0.1,
    "data": {"$artifact": "ab12", "kind": "file", "path": "/tmp/x"},
    "parts": [{"$artifact": "cd34", "kind": "dir", "path": "/tmp/y"}, "s", 1e-7]
  })");
  Json code = Json::parse(R"({"train.py": "ff00", "a.py": "00ff"})");
  Json a = sched::canonicalAction("Train", def, args, code);
  std::string expected =
      R"({"action_version":1,"args":{"data":{"sha256":"ab12"},"parts":[{"sha256":"cd34"},"s",1e-07],)"
      R"("rate":0.1,"trees":200},"code":{"a.py":"00ff","train.py":"ff00"},)"
      R"("env":{"A":"é \"q\"\n","Z":"1"},"image":"python:3.11","mlpc":")" +
      std::string(kVersion) +
      R"(","outputs":[{"name":"model","type":"Model<sklearn>"}],)"
      R"("run":{"parts":[1,2.5,-3,true,null],"template":"train ${data} --out ${model}"},)"
      R"("step":"Train"})";
  CHECK(a.dump() == expected);
}
