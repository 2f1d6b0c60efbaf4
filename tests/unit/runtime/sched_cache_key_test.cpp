// The canonical action's exact bytes. Cache keys are the SHA-256 of this text and live in every
// workspace's meta.db, so a change here (even one that means the same) silently turns every
// cached result into a miss. This test pins the text; change it only together with
// `action_version`.
#include "mlpc/version.h"
#include "plan/model.h"
#include "sched/executor.h"

#include <catch2/catch.hpp>

using namespace mlpc;
using plan::Json;

TEST_CASE("the canonical action text is pinned", "[sched][cache]") {
  // A step definition as a plan holds it (docs/plan-format.md): keys in plan order (not
  // sorted), nested values, every JSON scalar kind, an artifact inside a list, unicode and
  // characters that need escaping.
  Json planJson = Json::parse(R"({
    "format": "mlpc-plan", "version": 1,
    "pipeline": {"name": "p", "params": []}, "nodes": [], "data": {},
    "steps": {"Train": {
      "dir": ".", "params": [],
      "outputs": [{"name": "model", "type": "Model<sklearn>"}],
      "run": {"interp": ["train ", {"expr": {"arg": "data"}, "type": "Dataset<csv>"},
                         " --parts ", {"expr": {"list": [{"lit": 1, "type": "int"},
                           {"lit": 2.5, "type": "float"}, {"lit": true, "type": "bool"}]},
                                       "type": "list<float>"},
                         " --out ", {"expr": {"out": "model"}, "type": "Model<sklearn>"}]},
      "image": {"lit": "python:3.11", "type": "string"},
      "code": ["train.py"],
      "env": {"Z": {"lit": "1", "type": "string"}, "A": {"lit": "é \"q\"\n", "type": "string"}},
      "resources": {"cpu": 2, "memory_bytes": null, "gpu": 0}, "timeout_s": null,
      "retry": {"attempts": 1, "backoff_s": 0}, "cache": {"enabled": true, "expire_s": null}
    }}
  })");
  std::string err;
  auto p = plan::read(planJson, err);
  INFO(err);
  REQUIRE(p);
  Json args = Json::parse(R"({
    "trees": 200,
    "rate": 0.1,
    "data": {"$artifact": "ab12", "kind": "file", "path": "/tmp/x"},
    "parts": [{"$artifact": "cd34", "kind": "dir", "path": "/tmp/y"}, "s", 1e-7, -3, null]
  })");
  Json code = Json::parse(R"({"train.py": "ff00", "a.py": "00ff"})");
  Json a = sched::canonicalAction("Train", *p->steps.find("Train"), args, code);
  std::string expected =
      R"({"action_version":1,"args":{"data":{"sha256":"ab12"},)"
      R"("parts":[{"sha256":"cd34"},"s",1e-07,-3,null],"rate":0.1,"trees":200},)"
      R"("code":{"a.py":"00ff","train.py":"ff00"},)"
      R"("env":{"A":{"lit":"é \"q\"\n","type":"string"},"Z":{"lit":"1","type":"string"}},)"
      R"("image":{"lit":"python:3.11","type":"string"},"mlpc":")" +
      std::string(kVersion) +
      R"(","outputs":[{"name":"model","type":"Model<sklearn>"}],)"
      R"("run":{"interp":["train ",{"expr":{"arg":"data"},"type":"Dataset<csv>"}," --parts ",)"
      R"({"expr":{"list":[{"lit":1,"type":"int"},{"lit":2.5,"type":"float"},)"
      R"({"lit":true,"type":"bool"}]},"type":"list<float>"}," --out ",)"
      R"({"expr":{"out":"model"},"type":"Model<sklearn>"}]},)"
      R"("step":"Train"})";
  CHECK(a.dump() == expected);
}
