// Drift measures and checks (runtime/monitor/drift.h) against values worked out by hand, and the
// capture window reader (runtime/monitor/capture_window.h) over real capture files: named and
// positional rows, the time window, and records that must be skipped, not fatal.
#include "monitor/capture_sax.h"
#include "monitor/capture_window.h"
#include "monitor/column_accumulator.h"
#include "monitor/drift.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mlpc::monitor;

namespace {

DatasetStats table(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  return statisticsOf(header, rows);
}

std::vector<std::vector<std::string>> column(const std::vector<double>& xs) {
  std::vector<std::vector<std::string>> rows;
  for (double x : xs)
    rows.push_back({std::to_string(x)});
  return rows;
}

const FeatureDrift& feature(const DriftReport& r, const std::string& name) {
  for (auto& f : r.features)
    if (f.name == name) return f;
  FAIL("no feature " << name);
  return r.features.front();
}

bool hasCheck(const DriftReport& r, const std::string& check) {
  for (auto& v : r.violations)
    if (v.check == check) return true;
  return false;
}

} // namespace

TEST_CASE("the same data: no drift, no violation", "[drift]") {
  std::vector<double> xs;
  for (int i = 0; i < 200; ++i)
    xs.push_back(i % 37);
  auto base = table({"x"}, column(xs));
  auto r = compare(base, base, true);
  CHECK(feature(r, "x").psi == Approx(0).margin(1e-12));
  CHECK(feature(r, "x").ks == Approx(0).margin(1e-12));
  CHECK(r.violations.empty());
}

TEST_CASE("ks is the largest distance between the two distribution functions", "[drift]") {
  auto a = table({"x"}, column({1, 2, 3, 4}));
  auto b = table({"x"}, column({3, 4, 5, 6}));
  auto r = compare(a, b, true);
  CHECK(feature(r, "x").ks == Approx(0.5));
  CHECK(r.worstKs == Approx(0.5));
  CHECK(hasCheck(r, "baseline_drift_check")); // 0.5 > 0.1
}

TEST_CASE("psi: a shifted window lands in the top bin", "[drift]") {
  std::vector<double> base, shifted;
  for (int i = 0; i < 100; ++i) {
    base.push_back(i);
    shifted.push_back(1000 + i);
  }
  auto r = compare(table({"x"}, column(base)), table({"x"}, column(shifted)), true);
  // Ten decile bins of 0.1 each; the window has all of its rows in the last one (share 1) and
  // none elsewhere (share floored at 0.0001): 9 * (0.0001 - 0.1) * ln(0.001) + 0.9 * ln(10).
  double expected = 9 * (0.0001 - 0.1) * std::log(0.0001 / 0.1) + (1 - 0.1) * std::log(1 / 0.1);
  CHECK(feature(r, "x").psi == Approx(expected).epsilon(0.02));
  CHECK(feature(r, "x").ks == Approx(1.0));
}

TEST_CASE("missing values: the percentage, and the completeness check", "[drift]") {
  auto base = table({"x"}, column({1, 2, 3, 4}));
  auto win = table({"x"}, {{"1"}, {""}, {"3"}, {""}});
  auto r = compare(base, win, true);
  CHECK(feature(r, "x").missingPercent == Approx(50));
  CHECK(r.worstMissing == Approx(50));
  CHECK(hasCheck(r, "completeness_check"));
}

TEST_CASE("columns: missing and extra only when requests name them", "[drift]") {
  auto base = table({"a", "b"}, {{"1", "2"}, {"3", "4"}});
  auto win = table({"a", "c"}, {{"1", "9"}, {"3", "8"}});
  auto named = compare(base, win, true);
  CHECK(hasCheck(named, "missing_column_check"));
  CHECK(hasCheck(named, "extra_column_check"));
  auto positional = compare(base, win, false);
  CHECK_FALSE(hasCheck(positional, "missing_column_check"));
  CHECK_FALSE(hasCheck(positional, "extra_column_check"));
}

TEST_CASE("types and categories", "[drift]") {
  auto base = table({"n", "s"}, {{"1", "red"}, {"2", "blue"}, {"3", "red"}});
  auto win = table({"n", "s"}, {{"x", "green"}, {"y", "red"}});
  auto r = compare(base, win, true);
  CHECK(hasCheck(r, "data_type_check"));          // text where numbers were
  CHECK(hasCheck(r, "categorical_values_check")); // green was never seen
  CHECK(feature(r, "s").psi > 0);
  auto j = violationsJson(r);
  REQUIRE(j["violations"].is_array());
  for (auto& v : j["violations"])
    CHECK(v.size() == 3); // feature_name, constraint_check_type, description
}

TEST_CASE("the capture window: named and positional rows, the window, bad records", "[capture]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mlpc-capture-" + std::to_string(::getpid()));
  fs::create_directories(dir / "v1/2026/12/03/10");
  fs::create_directories(dir / "v2/2026/12/03/11");
  auto rec = [](const std::string& when, const std::string& enc, const std::string& data) {
    nlohmann::json j{
        {"captureData",
         {{"endpointInput",
           {{"observedContentType", "x"}, {"mode", "INPUT"}, {"data", data}, {"encoding", enc}}}}},
        {"eventMetadata", {{"eventId", "e"}, {"inferenceTime", when}}},
        {"eventVersion", "0"}};
    return j.dump() + "\n";
  };
  {
    std::ofstream a(dir / "v1/2026/12/03/10/capture.jsonl");
    a << rec("2026-12-03T10:00:05Z", "JSON", R"({"instances": [[1, 2], {"f1": 3, "f2": null}]})");
    a << rec("2026-12-03T10:59:59Z", "CSV", "f2,f1\n7,8\n");
    a << "not json {\n";
    a << rec("2026-12-03T10:30:00Z", "CSV", "1,2,3\n"); // three values, two features
    a << rec("2026-12-03T10:30:01Z", "BASE64", "AAAA");
    a << rec("2026-12-03T09:59:59Z", "CSV", "5,5\n"); // before the window
    std::ofstream b(dir / "v2/2026/12/03/11/capture.jsonl");
    b << rec("2026-12-03T11:00:00Z", "CSV", "4,5\n6,7\n");
    b << rec("2026-12-03T11:00:01Z", "CSV", "9,9\n"); // at the window's end: excluded
  }
  auto w =
      readCaptureWindow(dir.string(), "2026-12-03T10:00:00Z", "2026-12-03T11:00:01Z", {"f1", "f2"});
  fs::remove_all(dir);
  CHECK(w.named);
  CHECK(w.records == 6); // five records in the window, and the line that is not a record
  CHECK(w.skipped == 3); // not JSON, three values for two features, base64
  REQUIRE(w.rows.size() == 5);
  auto stats = statisticsOf(w.header, w.rows);
  REQUIRE(stats.columns.size() == 2);
  for (auto& c : stats.columns) {
    if (c.name == "f1") {
      CHECK(c.present == 5);
      CHECK(c.sum == Approx(1 + 3 + 8 + 4 + 6));
    } else {
      CHECK(c.name == "f2");
      CHECK(c.missing == 1); // the null
      CHECK(c.sum == Approx(2 + 7 + 5 + 7));
    }
  }
}

TEST_CASE("capture records and JSON bodies are read without a document, else as one", "[capture]") {
  CaptureRecord r;
  REQUIRE(readCaptureRecord(
      R"({"captureData": {"endpointInput": {"observedContentType": "application/json",)"
      R"( "mode": "INPUT", "data": "{}", "encoding": "JSON"}, "endpointOutput": {"data": "x",)"
      R"( "encoding": "CSV"}}, "eventMetadata": {"eventId": "e", "inferenceTime": "T"}, "x": [1]})",
      r));
  CHECK(r.hasMeta);
  CHECK(r.hasInput);
  CHECK(r.when == "T");
  CHECK(r.encoding == "JSON"); // endpointInput's, not endpointOutput's
  CHECK(r.data == "{}");
  CaptureRecord partial;
  REQUIRE(
      readCaptureRecord(R"({"eventMetadata": {"inferenceTime": 5}, "captureData": {}})", partial));
  CHECK(partial.hasMeta);
  CHECK_FALSE(partial.hasInput);
  CHECK_FALSE(partial.when); // a number is no time
  CaptureRecord none;
  CHECK_FALSE(readCaptureRecord("not json {", none));
  CHECK_FALSE(readCaptureRecord("[1, 2]", none));
  CHECK_FALSE(readCaptureRecord(R"({"a": 1} {"b": 2})", none));

  std::vector<Instance> in;
  REQUIRE(
      readInstances(R"({"instances": [[1.50, -2, true, null, "s"], {"a": 1e3, "b": "x"}]})", in));
  REQUIRE(in.size() == 2);
  CHECK_FALSE(in[0].named);
  CHECK(in[0].values == std::vector<std::string>{"1.50", "-2", "true", "", "s"}); // as sent
  CHECK(in[1].named);
  CHECK(in[1].fields == std::vector<std::pair<std::string, std::string>>{{"a", "1e3"}, {"b", "x"}});
  // Shapes the flat reader leaves to the document reader.
  for (const char* body :
       {R"({"instances": [[[1]]]})", R"({"instances": [1, 2]})", R"({"instances": 5})",
        R"([[1, 2]])", R"({"other": [[1]]})", R"({"instances": [[1, 2]]} x)"}) {
    std::vector<Instance> out;
    INFO(body);
    CHECK_FALSE(readInstances(body, out));
  }
}

TEST_CASE("a large window is read in two shares, joined in order", "[capture]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mlpc-capture-big-" + std::to_string(::getpid()));
  fs::create_directories(dir / "v1/2026/12/03/10");
  {
    std::ofstream a(dir / "v1/2026/12/03/10/capture.jsonl");
    for (int i = 0; i < 5000; ++i) {
      // The first share names f1 only; the second half brings a new column, g, first.
      std::string body = i < 2500
                             ? "{\"instances\": [{\"f1\": " + std::to_string(i) + "}]}"
                             : "{\"instances\": [{\"g\": 1, \"f1\": " + std::to_string(i) + "}]}";
      nlohmann::json j{{"captureData", {{"endpointInput", {{"data", body}, {"encoding", "JSON"}}}}},
                       {"eventMetadata", {{"inferenceTime", "2026-12-03T10:00:05Z"}}}};
      a << j.dump() << "\n";
      if (i == 4000) a << "not json {\n"; // in the second share
    }
  }
  auto w = readCaptureWindow(dir.string(), "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", {"f1"});
  fs::remove_all(dir);
  CHECK(w.records == 5001);
  CHECK(w.skipped == 1);
  REQUIRE(w.header == std::vector<std::string>{"f1", "g"});
  REQUIRE(w.rows.size() == 5000);
  bool inOrder = true;
  for (int i = 0; i < 5000; ++i)
    inOrder = inOrder && w.rows[static_cast<size_t>(i)][0] == std::to_string(i);
  CHECK(inOrder);
  CHECK(w.rows[2499].size() == 1);
  CHECK(w.rows[4999] == std::vector<std::string>{"4999", "1"});
}

TEST_CASE("column statistics stream in bounded memory with accurate quantiles", "[statistics]") {
  // A million values in a scrambled order: the sketch's order statistics stay within 0.2% of
  // the count of the exact ones, and the moments are exact.
  mlpc::monitor::ColumnAccumulator acc;
  const long long n = 1000000;
  for (long long i = 0; i < n; ++i)
    acc.add(std::to_string((i * 7919) % n)); // 7919 is prime: a permutation of 0..n-1
  auto c = acc.finish("x", 2048, 20);
  CHECK(c.inferredType == "Integral");
  CHECK(c.present == n);
  CHECK(c.min == 0);
  CHECK(c.max == n - 1);
  CHECK(c.mean == Approx((n - 1) / 2.0));
  CHECK(c.sum == Approx(static_cast<double>(n) * (n - 1) / 2.0));
  REQUIRE(c.sketch.size() == 2048);
  for (size_t k : {size_t{1}, size_t{512}, size_t{1024}, size_t{1536}, size_t{2046}}) {
    double exact = static_cast<double>(k) * (n - 1) / 2047.0;
    CHECK(std::fabs(c.sketch[k] - exact) < 0.002 * n);
  }
  CHECK(c.topValues.empty()); // a numeric column keeps no value counts
}

TEST_CASE("up to 2,048 values the sketch is every value, sorted", "[statistics]") {
  mlpc::monitor::ColumnAccumulator acc;
  for (int v : {5, 3, 9, 3})
    acc.add(std::to_string(v));
  acc.add("");
  auto c = acc.finish("x", 2048, 20);
  CHECK(c.sketch == std::vector<double>{3, 3, 5, 9});
  CHECK(c.missing == 1);
  CHECK(c.stdDev == Approx(2.4494897)); // population: sqrt(6)
}

TEST_CASE("text columns: counts, distinct, and a lower bound past the cap", "[statistics]") {
  mlpc::monitor::ColumnAccumulator acc;
  for (int i = 0; i < 10; ++i)
    acc.add(i % 2 ? "b" : "a");
  acc.add("c");
  auto c = acc.finish("s", 2048, 2);
  CHECK(c.inferredType == "String");
  CHECK(c.distinct == 3);
  CHECK(c.distinctExact);
  REQUIRE(c.topValues.size() == 2);
  CHECK(c.topValues[0] == std::pair<std::string, long long>{"a", 5});
  CHECK(c.topValues[1] == std::pair<std::string, long long>{"b", 5});
}
