// The plan format's shared helpers: --param parsing for each type, the text of values in
// commands, validation of a plan's header, and deterministic serialisation.
#include "plan/plan.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

using namespace mlpc::plan;

namespace {
Json ok(const std::string& type, const std::string& text) {
  std::string err;
  auto v = parseParamValue(type, text, err);
  INFO(type << " " << text << ": " << err);
  REQUIRE(v.has_value());
  CHECK(err.empty());
  return *v;
}
std::string bad(const std::string& type, const std::string& text) {
  std::string err;
  auto v = parseParamValue(type, text, err);
  INFO(type << " " << text);
  CHECK_FALSE(v.has_value());
  CHECK_FALSE(err.empty());
  return err;
}
Json minimalPlan() {
  return Json{{"format", "mlpc-plan"},
              {"version", 1},
              {"pipeline", {{"name", "p"}, {"params", Json::array()}}},
              {"steps", Json::object()},
              {"nodes", Json::array()},
              {"data", Json::object()}};
}
} // namespace

TEST_CASE("param values: int", "[plan][param]") {
  CHECK(ok("int", "42") == 42);
  CHECK(ok("int", "-3") == -3);
  CHECK(ok("int", "0") == 0);
  CHECK(ok("int", "42").is_number_integer());
  CHECK(bad("int", "4.5") == "`4.5` is not an int");
  bad("int", "x");
  bad("int", "");
  bad("int", "12abc");
  bad("int", "99999999999999999999");
}

TEST_CASE("param values: float", "[plan][param]") {
  CHECK(ok("float", "0.85") == Approx(0.85));
  CHECK(ok("float", "1e-3") == Approx(0.001));
  CHECK(ok("float", "3").get<double>() == 3.0);
  CHECK(bad("float", "fast") == "`fast` is not a float");
  bad("float", "nan");
  bad("float", "inf");
  bad("float", "1e400");
  bad("float", "0.5x");
}

TEST_CASE("param values: bool and string", "[plan][param]") {
  CHECK(ok("bool", "true") == true);
  CHECK(ok("bool", "false") == false);
  CHECK(bad("bool", "yes") == "`yes` is not a bool (true or false)");
  bad("bool", "True");
  bad("bool", "1");
  CHECK(ok("string", "hello world") == "hello world");
  CHECK(ok("string", "") == "");
  CHECK(ok("string", "a=b,c") == "a=b,c");
}

TEST_CASE("param values: duration: seconds", "[plan][param]") {
  CHECK(ok("duration", "1500ms") == Approx(1.5));
  CHECK(ok("duration", "30s") == Approx(30));
  CHECK(ok("duration", "5m") == Approx(300));
  CHECK(ok("duration", "2h") == Approx(7200));
  CHECK(ok("duration", "1d") == Approx(86400));
  CHECK(ok("duration", "0.5s") == Approx(0.5));
  CHECK(bad("duration", "5") == "`5` is not a duration (e.g. 30s, 5m)");
  bad("duration", "5min");
  bad("duration", "-5s");
  bad("duration", "5 s");
  bad("duration", "5GB");
}

TEST_CASE("param values: size: bytes, as an integer", "[plan][param]") {
  CHECK(ok("size", "512B") == 512);
  CHECK(ok("size", "64KiB") == 65536);
  CHECK(ok("size", "4GiB") == 4294967296LL);
  CHECK(ok("size", "10MB") == 10000000);
  // Past 64 bits: the same error as the literal in source, not a wrapped negative number.
  CHECK(bad("size", "8388608TiB") == "size `8388608TiB` is too large");
  CHECK(bad("size", "99999999999999999999TiB") == "size `99999999999999999999TiB` is too large");
  CHECK(ok("size", "8000000TiB") == 8000000LL * 1099511627776LL);
  CHECK(ok("size", "1TB") == 1000000000000LL);
  CHECK(ok("size", "4GiB").is_number_integer());
  CHECK(bad("size", "4gb") == "`4gb` is not a size (e.g. 512MiB)");
  bad("size", "4");
  bad("size", "1s");
}

TEST_CASE("param values: percent: the number, 0 to 100", "[plan][param]") {
  CHECK(ok("percent", "10%") == Approx(10));
  CHECK(ok("percent", "0.5%") == Approx(0.5));
  CHECK(ok("percent", "100%") == Approx(100));
  CHECK(ok("percent", "0%") == Approx(0));
  CHECK(bad("percent", "100.5%") == "`100.5%` is not a percent between 0% and 100% (e.g. 10%)");
  bad("percent", "10");
  bad("percent", "-5%");
  bad("percent", "10 %");
}

TEST_CASE("param values: lists: comma-separated or JSON", "[plan][param]") {
  CHECK(ok("list<int>", "1,2,3") == Json::array({1, 2, 3}));
  CHECK(ok("list<int>", "[4, 5]") == Json::array({4, 5}));
  CHECK(ok("list<string>", "a,b") == Json::array({"a", "b"}));
  CHECK(ok("list<string>", R"(["a,b", "c"])") == Json::array({"a,b", "c"}));
  CHECK(ok("list<duration>", "1s,2m") == Json::array({1.0, 120.0}));
  CHECK(ok("list<float>", "0.5") == Json::array({0.5}));
  CHECK(bad("list<int>", "1,x") == "`x` is not an int");
  bad("list<int>", "[1, \"x\"]");
}

TEST_CASE("param values: artifacts are paths, made absolute, with the kind the type needs",
          "[plan][param]") {
  std::string cwd = std::filesystem::current_path().string();
  Json f = ok("File", "x.csv");
  CHECK(f["source"] == "file");
  CHECK(f["path"] == (std::filesystem::path(cwd) / "x.csv").string());
  CHECK(ok("Dir", "data/./parts")["source"] == "dir");
  CHECK(ok("Dir", "data/./parts")["path"] == (std::filesystem::path(cwd) / "data/parts").string());
  // A Dataset or Model may be a file or a directory, as `data` of those types may.
  CHECK(ok("Dataset<csv>", "/abs/x.csv") == Json{{"source", "path"}, {"path", "/abs/x.csv"}});
  CHECK(ok("Model<sklearn>", "/m")["source"] == "path");
  CHECK(bad("File", "") == "a `File` parameter takes a path, got an empty one");
  CHECK(isArtifactType("Metrics{auc: float}"));
  CHECK(!isArtifactType("Filex"));
  CHECK(!isArtifactType("list<File>"));
}

TEST_CASE("param values: for types the command line cannot spell", "[plan][param]") {
  // Only a parameter that is itself an artifact is hashed when a run starts.
  CHECK(bad("list<File>", "a,b") ==
        "parameters of type `list<File>` cannot be set from the command line");
}

TEST_CASE("commandText: values as they appear in commands", "[plan][command]") {
  CHECK(commandText(Json(0.85), "float") == "0.85");
  CHECK(commandText(Json(0.1), "float") == "0.1");
  CHECK(commandText(Json(1e-3), "float") == "0.001");
  // Shortest form that reads back: never an exponent where plain digits are as short.
  CHECK(commandText(Json(3600.0), "float") == "3600");
  CHECK(commandText(Json(3600.0), "duration") == "3600");
  CHECK(commandText(Json(123456.5), "float") == "123456.5");
  CHECK(commandText(Json(-2.5e-7), "float") == "-2.5e-07");
  CHECK(commandText(Json(1e300), "float") == "1e+300");
  CHECK(commandText(Json(42), "int") == "42");
  CHECK(commandText(Json(-7), "int") == "-7");
  CHECK(commandText(Json(true), "bool") == "true");
  CHECK(commandText(Json(false), "bool") == "false");
  CHECK(commandText(Json("a b 'c'"), "string") == "a b 'c'");
  // A duration is its seconds: 1500ms -> 1.5, 5m -> 300.
  CHECK(commandText(Json(1.5), "duration") == "1.5");
  CHECK(commandText(Json(300.0), "duration") == "300");
  CHECK(commandText(Json(0.25), "duration") == "0.25");
  // A size is its bytes, a percent its number.
  CHECK(commandText(Json(4294967296LL), "size") == "4294967296");
  CHECK(commandText(Json(4294967296.0), "size") == "4294967296");
  CHECK(commandText(Json(20.0), "percent") == "20");
  CHECK(commandText(Json(12.5), "percent") == "12.5");
  // A record is its JSON.
  CHECK(commandText(Json{{"a", 1}}, "record") == R"({"a":1})");
  CHECK(commandText(Json(), "string").empty());
}

TEST_CASE("validate accepts a plan and rejects the wrong format or version", "[plan][validate]") {
  CHECK(validate(minimalPlan()).empty());

  CHECK(validate(Json::array()) == "a plan is a JSON object");
  Json wrongFormat = minimalPlan();
  wrongFormat["format"] = "something-else";
  CHECK(validate(wrongFormat) == "not an mlpc plan (no \"format\": \"mlpc-plan\")");
  Json noVersion = minimalPlan();
  noVersion.erase("version");
  CHECK(validate(noVersion) == "the plan has no version");
  Json stringVersion = minimalPlan();
  stringVersion["version"] = "1";
  CHECK(validate(stringVersion) == "the plan has no version");
  Json future = minimalPlan();
  future["version"] = 2;
  CHECK(validate(future) == "plan format version 2 is not supported (this mlpc reads 1)");
  for (const char* section : {"pipeline", "steps", "nodes", "data"}) {
    Json missing = minimalPlan();
    missing.erase(section);
    CHECK(validate(missing) == std::string("the plan has no \"") + section + "\" section");
  }
}

TEST_CASE("validate names the first value of the wrong shape by its path", "[plan][validate]") {
  auto with = [](const std::function<void(Json&)>& edit) {
    Json p = minimalPlan();
    p["steps"]["S"] = {{"dir", "."},
                       {"params", Json::array()},
                       {"run", {{"lit", "true"}, {"type", "string"}}},
                       {"image", nullptr},
                       {"outputs", Json::array({{{"name", "out"}, {"type", "File"}}})},
                       {"code", Json::array({"a.py"})},
                       {"env", Json::object()},
                       {"resources", {{"cpu", 1}}},
                       {"timeout_s", nullptr},
                       {"retry", {{"attempts", 1}}},
                       {"cache", {{"enabled", true}, {"expire_s", nullptr}}}};
    p["nodes"] = Json::array(
        {{{"id", "a"}, {"kind", "call"}, {"step", "S"}, {"args", Json::object()}},
         {{"id", "for@1:1"},
          {"kind", "for"},
          {"var", "n"},
          {"over", {{"lit", Json::array()}}},
          {"body",
           Json::array(
               {{{"id", "b"}, {"kind", "call"}, {"step", "S"}, {"args", Json::object()}}})}}});
    edit(p);
    return validate(p);
  };
  CHECK(with([](Json&) {}).empty());
  CHECK(with([](Json& p) { p["base"] = 5; }) == "\"base\" must be a string, not a number");
  CHECK(with([](Json& p) { p["pipeline"] = Json::object(); }) ==
        "\"pipeline.name\" must be a string, not null");
  CHECK(with([](Json& p) {
          p["pipeline"]["params"] = {{{"name", "x"}, {"type", "int"}}};
        }) == "\"pipeline.params[0]\" has no \"value\"");
  CHECK(with([](Json& p) { p["steps"]["S"].erase("run"); }) ==
        "\"steps.S\" has no \"run\" template");
  CHECK(with([](Json& p) { p["steps"]["S"]["outputs"][0]["name"] = 3; }) ==
        "\"steps.S.outputs[0].name\" must be a string, not a number");
  CHECK(with([](Json& p) { p["steps"]["S"]["code"] = "a.py"; }) ==
        "\"steps.S.code\" must be a list of paths, not a string");
  CHECK(with([](Json& p) { p["steps"]["S"]["cache"]["enabled"] = "yes"; }) ==
        "\"steps.S.cache.enabled\" must be a bool or {\"expr\": …}, not a string");
  // A property read from the step's parameters is an expression object with its type.
  CHECK(with([](Json& p) {
          p["steps"]["S"]["timeout_s"] = {{"expr", {{"arg", "t"}}}, {"type", "duration"}};
        }).empty());
  CHECK(with([](Json& p) {
          p["steps"]["S"]["timeout_s"] = {{"expr", {{"arg", "t"}}}};
        }) == "\"steps.S.timeout_s.type\" must be a string, not null");
  CHECK(with([](Json& p) {
          p["steps"]["S"]["retry"]["attempts"] = {{"type", "int"}};
        }) == "\"steps.S.retry.attempts.expr\" must be an expression object");
  CHECK(with([](Json& p) { p["nodes"][0]["step"] = "Nope"; }) ==
        "\"nodes[0].step\" names no step in \"steps\"");
  CHECK(with([](Json& p) { p["nodes"][1]["body"][0].erase("kind"); }) ==
        "\"nodes[1].body[0].kind\" must be a string, not null");
  CHECK(with([](Json& p) { p["nodes"][1]["kind"] = "loop"; }) ==
        "\"nodes[1].kind\" is not a node kind this mlpc knows (\"loop\")");
  CHECK(with([](Json& p) { p["data"]["d"] = 1; }) == "\"data.d\" must be an object, not a number");
  CHECK(with([](Json& p) { p["steps"]["S"].erase("retry"); }) == "\"steps.S\" has no \"retry\"");
  CHECK(with([](Json& p) { p["nodes"][1].erase("over"); }) == "\"nodes[1]\" has no \"over\"");
  CHECK(with([](Json& p) { p["pipeline"].erase("params"); }) == "\"pipeline\" has no \"params\"");
}

TEST_CASE("dump: two-space indent, insertion order, trailing newline", "[plan][dump]") {
  Json p;
  p["z"] = 1;
  p["a"] = Json::array({1, 2});
  CHECK(dump(p) == "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}\n");
  CHECK(dump(p) == dump(Json::parse(dump(p))));
}
