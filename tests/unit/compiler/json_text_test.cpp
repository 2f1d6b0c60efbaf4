// plan::parseJson: the same DOM as nlohmann's Json::parse, built without copying members, for
// every shape of JSON (the plans of the golden tests among them), and nothing for what is not
// one JSON value.
#include "plan/json_text.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace mlpc::plan;
namespace fs = std::filesystem;

namespace {
/// The DOM and its text both: equal values could still differ in member order.
void sameAsNlohmann(const std::string& text) {
  INFO(text.substr(0, 200));
  std::optional<Json> ours = parseJson(text);
  Json theirs = Json::parse(text, nullptr, false);
  REQUIRE_FALSE(theirs.is_discarded());
  REQUIRE(ours);
  CHECK(*ours == theirs);
  CHECK(ours->dump() == theirs.dump());
}
} // namespace

TEST_CASE("parseJson reads every kind of value as nlohmann's parser does", "[plan][json]") {
  for (const char* text :
       {"null", "true", "false", "0", "-12", "18446744073709551615", "-9223372036854775808",
        "1.5e300", "-0.0", "\"\"", "\"caf\\u00e9 \\n \\\"q\\\"\"", "[]", "{}", "[[], {}, [[]]]",
        " {\"a\": 1, \"b\": [1, 2.5, \"x\", null, true], \"c\": {\"d\": {\"e\": []}}} ",
        "{\"z\": 1, \"a\": 2, \"m\": {\"y\": 1, \"b\": 2}}"})
    sameAsNlohmann(text);
}

TEST_CASE("parseJson keeps members in their order, a repeated key where it first was",
          "[plan][json]") {
  const std::string text = R"({"b": 1, "a": {"x": 1}, "b": [2], "c": 3, "a": 4})";
  sameAsNlohmann(text);
  std::optional<Json> j = parseJson(text);
  REQUIRE(j);
  CHECK(j->dump() == R"({"b":[2],"a":4,"c":3})");
}

TEST_CASE("parseJson: an object with many members, and nesting 10,000 deep", "[plan][json]") {
  std::string wide = "{";
  for (int i = 0; i < 2000; ++i)
    wide += (i ? ",\"k" : "\"k") + std::to_string((i * 7919) % 2000) + "\":[" + std::to_string(i) +
            ",{\"n\":" + std::to_string(i) + "}]";
  wide += "}";
  sameAsNlohmann(wide);
  // Read without recursion; walked here without it too (dump and == recurse).
  std::string deep(10000, '[');
  deep += "1";
  deep += std::string(10000, ']');
  std::optional<Json> j = parseJson(deep);
  REQUIRE(j);
  const Json* at = &*j;
  int depth = 0;
  while (at->is_array()) {
    REQUIRE(at->size() == 1);
    at = &(*at)[0];
    ++depth;
  }
  CHECK(depth == 10000);
  CHECK(*at == 1);
}

TEST_CASE("parseJson reads the golden plans as nlohmann does", "[plan][json]") {
  size_t read = 0;
  for (auto& e : fs::recursive_directory_iterator(fs::path(MLPC_TEST_SOURCE_DIR) / "tests")) {
    const std::string name = e.path().string();
    const bool json = name.ends_with(".json") || name.ends_with(".json.expected");
    if (!json || name.find("node_modules") != std::string::npos) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (Json::parse(ss.str(), nullptr, false).is_discarded()) continue;
    sameAsNlohmann(ss.str());
    ++read;
  }
  CHECK(read >= 40);
}

TEST_CASE("parseJson gives nothing for text that is not one JSON value", "[plan][json]") {
  for (const char* text :
       {"", " ", "{", "}", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "{} {}", "[1] x", "nul",
        "\"unterminated", "{\"a\": [1, 2}", "01", "1.", "// comment\n{}", "\"\\x\"", "NaN"}) {
    INFO(text);
    CHECK_FALSE(parseJson(text));
    CHECK(Json::parse(text, nullptr, false).is_discarded());
  }
  // Bytes that are not UTF-8 inside a string.
  CHECK_FALSE(parseJson(std::string("\"\xff\xfe\"")));
}
