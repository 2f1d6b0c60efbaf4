// Baseline statistics of a CSV file read in two halves on two threads
// (runtime/monitor/statistics_file.h) against the same file read sequentially, and the merge of
// two column accumulators (runtime/monitor/column_accumulator.h) against a direct computation.
// Files are real files; a split threshold of one byte makes small files split.
#include "monitor/column_accumulator.h"
#include "monitor/statistics_file.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

using namespace mlpc::monitor;
namespace fs = std::filesystem;

namespace {

constexpr size_t kAlways = 1;       // split every file
constexpr size_t kNever = SIZE_MAX; // read every file sequentially

/// Deterministic pseudo-random numbers (a 64-bit LCG), so a failure reproduces.
struct Rng {
  uint64_t s = 42;
  uint64_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
  double uniform() { return static_cast<double>(next() % 1000000) / 1000000.0; }
};

fs::path writeFile(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / ("mlpc-statistics-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

/// A mixed table: fractions, integers, text (some quoted, with commas and newlines), ~2% missing.
std::string mixedCsv(int rows) {
  Rng rng;
  std::string s = "x,n,word,note\n";
  for (int i = 0; i < rows; ++i) {
    auto cell = [&](const std::string& v) { return rng.next() % 50 == 0 ? std::string() : v; };
    s += cell(std::to_string(std::round(rng.uniform() * 1e6) / 1e4 - 30)) + ",";
    s += cell(std::to_string(rng.next() % 300)) + ",";
    s += cell("w" + std::to_string(rng.next() % 700)) + ",";
    s += cell(i % 97 == 0 ? "\"two\nlines, " + std::to_string(i % 5) + "\"" : "plain") + "\n";
  }
  return s;
}

DatasetStats read(const fs::path& p, size_t splitFrom, bool expectSplit) {
  std::string error;
  bool split = !expectSplit;
  auto s = readStatistics(p.string(), error, splitFrom, &split);
  INFO(error);
  REQUIRE(s);
  CHECK(split == expectSplit);
  return *s;
}

/// Equal but for the rounding of the moments and the sketch (checked by rank elsewhere).
void checkSameStatistics(const DatasetStats& a, const DatasetStats& b) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.columns.size() == b.columns.size());
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const ColumnStats &x = a.columns[c], &y = b.columns[c];
    INFO(x.name);
    CHECK(x.name == y.name);
    CHECK(x.inferredType == y.inferredType);
    CHECK(x.present == y.present);
    CHECK(x.missing == y.missing);
    CHECK(x.min == y.min);
    CHECK(x.max == y.max);
    CHECK(x.sum == Approx(y.sum).epsilon(1e-12));
    CHECK(x.mean == Approx(y.mean).epsilon(1e-12));
    CHECK(x.stdDev == Approx(y.stdDev).epsilon(1e-12));
    CHECK(x.sketch.size() == y.sketch.size());
    CHECK(x.distinct == y.distinct);
    CHECK(x.distinctExact == y.distinctExact);
    CHECK(x.topValues == y.topValues);
  }
}

/// Every sketch value's rank among the exact values is within `tolerance` of the count from
/// the rank it stands for.
void checkSketchRanks(const std::vector<double>& sketch, std::vector<double> values,
                      double tolerance) {
  std::sort(values.begin(), values.end());
  double n = static_cast<double>(values.size());
  for (size_t k = 0; k < sketch.size(); ++k) {
    double want = static_cast<double>(k) * (n - 1) / static_cast<double>(sketch.size() - 1);
    auto lo = std::lower_bound(values.begin(), values.end(), sketch[k]) - values.begin();
    auto hi = std::upper_bound(values.begin(), values.end(), sketch[k]) - values.begin() - 1;
    REQUIRE(hi >= lo); // a value of the data
    double off = want < static_cast<double>(lo)   ? static_cast<double>(lo) - want
                 : want > static_cast<double>(hi) ? want - static_cast<double>(hi)
                                                  : 0;
    INFO("k " << k);
    REQUIRE(off <= tolerance * n);
  }
}

/// The error of reading `text` in two halves, checked to be the sequential read's.
std::string errorOfBothReads(const std::string& name, const std::string& text) {
  auto p = writeFile(name, text);
  std::string split, whole;
  CHECK_FALSE(readStatistics(p.string(), split, kAlways));
  CHECK_FALSE(readStatistics(p.string(), whole, kNever));
  CHECK(split == whole);
  return split;
}

} // namespace

TEST_CASE("a file read in two halves has the statistics of a sequential read", "[statistics]") {
  auto p = writeFile("mixed.csv", mixedCsv(40000));
  DatasetStats split = read(p, kAlways, true), whole = read(p, kNever, false);
  checkSameStatistics(split, whole);
  CHECK(split.rows == 40000);
  CHECK(split.columns[0].inferredType == "Fractional");
  CHECK(split.columns[1].inferredType == "Integral");
  CHECK(split.columns[3].distinct == 6); // "plain" and five two-line values
  // Files under the threshold are read sequentially.
  read(p, fs::file_size(p) + 1, false);
}

TEST_CASE("a cut inside a quoted field is not taken for a record boundary", "[statistics]") {
  // One quoted field of many short lines spans the middle of the file: the first newline past
  // the middle is inside it, and the second half read from there would be other records.
  std::string s = "id,text\n";
  for (int i = 0; i < 1000; ++i)
    s += std::to_string(i) + ",a\n";
  s += "1000,\"";
  for (int i = 0; i < 3000; ++i)
    s += "7,b\n";
  s += "\"\n";
  for (int i = 1001; i < 2000; ++i)
    s += std::to_string(i) + ",c\n";
  auto p = writeFile("quoted-middle.csv", s);
  REQUIRE(s.find('"') < s.size() / 2); // the quoted field spans the middle
  REQUIRE(s.rfind('"') > s.size() / 2);
  DatasetStats split = read(p, kAlways, false), whole = read(p, kNever, false);
  checkSameStatistics(split, whole);
  CHECK(split.rows == 2000);
  CHECK(split.columns[1].distinct == 3);
}

TEST_CASE("split reads are deterministic", "[statistics]") {
  auto p = writeFile("again.csv", mixedCsv(30000));
  auto a = read(p, kAlways, true), b = read(p, kAlways, true);
  CHECK(statisticsJson(a).dump() == statisticsJson(b).dump());
  CHECK(constraintsJson(a).dump() == constraintsJson(b).dump());
}

TEST_CASE("the split read's sketch stays within the rank error", "[statistics]") {
  Rng rng;
  std::string s = "v\n";
  std::vector<double> values;
  for (int i = 0; i < 200000; ++i) {
    double v = std::round(rng.uniform() * rng.uniform() * 1e6) / 1e3; // skewed to 0
    values.push_back(v);
    s += std::to_string(v) + "\n";
  }
  auto p = writeFile("skewed.csv", s);
  auto split = read(p, kAlways, true);
  checkSketchRanks(split.columns[0].sketch, values, 0.002);
}

TEST_CASE("errors in either half name the row the sequential read names", "[statistics]") {
  std::string s = mixedCsv(4000);
  auto lineAfter = [&](size_t from) { return s.find('\n', from) + 1; };
  SECTION("a short row in the second half") {
    s.insert(lineAfter(s.size() * 3 / 4), "1\n");
    CHECK_THAT(errorOfBothReads("short.csv", s), Catch::Contains("has 1 fields, the header has 4"));
  }
  SECTION("a bad row in each half: the first one") {
    s.insert(lineAfter(s.size() * 3 / 4), "1\n");
    s.insert(lineAfter(s.size() / 4), "1,2\n");
    CHECK_THAT(errorOfBothReads("two-bad.csv", s), Catch::Contains("has 2 fields"));
  }
  SECTION("malformed quoting in the second half") {
    s.insert(lineAfter(s.size() * 3 / 4), "1,2,a\"b,c\n");
    CHECK_THAT(errorOfBothReads("bad-quote.csv", s), Catch::Contains("not valid CSV after row"));
  }
}

TEST_CASE("merged accumulators equal a direct computation", "[statistics]") {
  Rng rng;
  std::vector<double> xs;
  for (int i = 0; i < 100000; ++i)
    xs.push_back(std::round((rng.uniform() - 0.3) * 1e5) / 100);
  ColumnAccumulator first, second;
  for (size_t i = 0; i < xs.size(); ++i)
    (i < 37000 ? first : second).add(std::to_string(xs[i]));
  REQUIRE(first.merge(std::move(second)));
  auto s = first.finish("x", kSketchSize, kTopValues);
  double sum = 0, sq = 0;
  for (double x : xs)
    sum += x;
  double mean = sum / static_cast<double>(xs.size());
  for (double x : xs)
    sq += (x - mean) * (x - mean);
  CHECK(s.present == 100000);
  CHECK(s.sum == Approx(sum).epsilon(1e-12));
  CHECK(s.mean == Approx(mean).epsilon(1e-12));
  CHECK(s.stdDev == Approx(std::sqrt(sq / static_cast<double>(xs.size()))).epsilon(1e-12));
  CHECK(s.min == *std::min_element(xs.begin(), xs.end()));
  CHECK(s.max == *std::max_element(xs.begin(), xs.end()));
  checkSketchRanks(s.sketch, xs, 0.002);

  SECTION("up to 8,192 values the merged sketch is every value, sorted") {
    ColumnAccumulator a, b;
    std::vector<double> few(xs.begin(), xs.begin() + 2000);
    for (size_t i = 0; i < few.size(); ++i)
      (i < 700 ? a : b).add(std::to_string(few[i]));
    REQUIRE(a.merge(std::move(b)));
    std::sort(few.begin(), few.end());
    CHECK(a.finish("x", 4096, kTopValues).sketch == few);
  }
}

TEST_CASE("merged text counts are the counts of one pass", "[statistics]") {
  std::vector<std::string> words;
  Rng rng;
  for (int i = 0; i < 50000; ++i)
    words.push_back(i < 20000 ? std::to_string(rng.next() % 900) : "t" + std::to_string(i % 41));
  auto feed = [&](ColumnAccumulator& a, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      a.add(words[i]);
  };
  ColumnAccumulator one, first, second;
  feed(one, 0, words.size());
  SECTION("numbers, then text in the second part") {
    feed(first, 0, 10000);
    feed(second, 10000, words.size());
  }
  SECTION("text in both parts") {
    feed(first, 0, 30000);
    feed(second, 30000, words.size());
  }
  REQUIRE(first.merge(std::move(second)));
  auto a = first.finish("w", kSketchSize, 100), b = one.finish("w", kSketchSize, 100);
  CHECK(a.inferredType == "String");
  CHECK(a.distinct == b.distinct);
  CHECK(a.distinctExact == b.distinctExact);
  CHECK(a.topValues == b.topValues);
}

TEST_CASE("a column that turns to text after many distinct numbers is read sequentially",
          "[statistics]") {
  // 5,000 distinct numbers drop the counts (a numeric column needs none); text follows in the
  // second half. The halves cannot merge the counts one pass would have, so the file is read again.
  std::string s = "v\n";
  for (int i = 0; i < 5000; ++i)
    s += std::to_string(i) + "\n";
  for (int i = 0; i < 5000; ++i)
    s += "t" + std::to_string(i % 7) + "\n";
  auto p = writeFile("turns.csv", s);
  ColumnAccumulator a, b;
  for (int i = 0; i < 3000; ++i)
    a.add(std::to_string(i));
  for (int i = 0; i < 10; ++i)
    b.add("t");
  CHECK_FALSE(a.merge(std::move(b)));
  DatasetStats split = read(p, kAlways, false), whole = read(p, kNever, false);
  checkSameStatistics(split, whole);
  CHECK(split.columns[0].inferredType == "String");
  CHECK_FALSE(split.columns[0].distinctExact);
}

TEST_CASE("small integers are counted as the text they are", "[statistics]") {
  // Counted by value after their first time (TextCounts::addSmall): "007", " 7" and "7.0" are
  // other values than "7", and the table grows (moving every slot) while they are counted.
  std::map<std::string, long long> want;
  ColumnAccumulator a;
  for (int i = 0; i < 20000; ++i) {
    std::string v = std::to_string(i * 7 % 100); // under 1,000 distinct: counts kept
    if (i % 13 == 0) v = "00" + v;
    if (i % 17 == 0) v = " " + v;
    if (i % 19 == 0) v += ".0";
    a.add(v);
    ++want[v];
  }
  a.add("x");
  ++want["x"];
  auto s = a.finish("c", kSketchSize, 100000);
  CHECK(s.inferredType == "String");
  REQUIRE(s.distinct == static_cast<long long>(want.size()));
  for (auto& [v, n] : s.topValues) {
    INFO(v);
    CHECK(want[v] == n);
  }
}

TEST_CASE("the sketch's order statistics are pinned", "[statistics]") {
  // The values themselves, not only their rank error: the compaction's sort and merge and the
  // final walk over the levels were rewritten for speed, and must pick the very values the
  // first implementation (pdqsort, then a sort of all (value, weight) pairs) picked. The
  // digests are FNV-1a over the sketch's bytes as that implementation computed them.
  auto digest = [](const std::vector<double>& xs) {
    uint64_t h = 14695981039346656037ULL;
    for (double x : xs) {
      uint64_t u = 0;
      std::memcpy(&u, &x, sizeof u);
      for (int i = 0; i < 8; ++i) {
        h ^= (u >> (8 * i)) & 0xff;
        h *= 1099511628211ULL;
      }
    }
    return h;
  };
  Rng rng;
  ColumnAccumulator seq, first, second, ints;
  for (int i = 0; i < 600000; ++i) {
    std::string v = std::to_string(std::round((rng.uniform() - 0.4) * 1e6) / 1e2);
    seq.add(v);
    (i < 250000 ? first : second).add(v);
    ints.add(std::to_string(rng.next() % 1000)); // many equal values
  }
  REQUIRE(first.merge(std::move(second)));
  CHECK(digest(seq.finish("x", kSketchSize, kTopValues).sketch) == 0x450fc9ac899bc90dULL);
  CHECK(digest(first.finish("x", kSketchSize, kTopValues).sketch) == 0xc10b776ed03079f1ULL);
  CHECK(digest(ints.finish("n", kSketchSize, kTopValues).sketch) == 0x8a807465a8043a99ULL);
}
