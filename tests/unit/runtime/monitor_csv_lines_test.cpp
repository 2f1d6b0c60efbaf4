// A CSV file's plain lines are split without libcsv (runtime/monitor/csv_lines.h), the others go
// through it: the statistics of a file must be those of the same text read by libcsv alone
// (csv_rows.h, into rows in memory), whatever mix of plain and special lines, line endings,
// empty lines and line lengths (longer than a read) it holds.
#include "monitor/csv_lines.h"
#include "monitor/csv_rows.h"
#include "monitor/statistics_file.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace mlpc::monitor;
namespace fs = std::filesystem;

namespace {

fs::path writeCsv(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / ("mlpc-csv-lines-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

/// The file's statistics, read sequentially and in two halves, equal libcsv's rows' to the bit.
void checkAsLibcsv(const std::string& name, const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::string error;
  REQUIRE(parseCsvText(text, rows, error));
  REQUIRE(!rows.empty());
  std::vector<std::string> header = rows.front();
  rows.erase(rows.begin());
  std::string want = statisticsJson(statisticsOf(header, rows)).dump();
  auto p = writeCsv(name, text);
  auto whole = readStatistics(p.string(), error, SIZE_MAX);
  INFO(error);
  REQUIRE(whole);
  CHECK(statisticsJson(*whole).dump() == want);
  auto split = readStatistics(p.string(), error, 1);
  REQUIRE(split);
  CHECK(split->rows == whole->rows);
}

/// Deterministic pseudo-random choices (a 64-bit LCG).
struct Lcg {
  uint64_t s = 7;
  size_t below(size_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(s >> 33) % n;
  }
};

} // namespace

TEST_CASE("a plain line is split at its commas, up to its newline", "[statistics]") {
  std::vector<uint32_t> ends;
  std::string s = "ab,,c,1.5\nx,y\n";
  s.append(kScanPadding, '\0');
  const char* end = s.data() + s.size() - kScanPadding;
  REQUIRE(scanPlainLine(s.data(), end, ends) == LineScan::Plain);
  CHECK(ends == std::vector<uint32_t>{2, 3, 5, 9});
  REQUIRE(scanPlainLine(s.data() + 10, end, ends) == LineScan::Plain);
  CHECK(ends == std::vector<uint32_t>{1, 3});
  // Past 16 bytes, and the bytes libcsv treats specially.
  std::string longer = "0123456789,0123456789,0123456789\n";
  longer.append(kScanPadding, '\0');
  REQUIRE(scanPlainLine(longer.data(), longer.data() + 33, ends) == LineScan::Plain);
  CHECK(ends == std::vector<uint32_t>{10, 21, 32});
  CHECK(scanPlainLine(longer.data(), longer.data() + 32, ends) == LineScan::Unfinished);
  for (char c : {'"', '\r', ' ', '\t'}) {
    std::string t = "0123456789,01234567x9\nafter";
    t[19] = c;
    t.append(kScanPadding, '\0');
    CHECK(scanPlainLine(t.data(), t.data() + 27, ends) == LineScan::Special);
    t[19] = '8';
    t[24] = c; // on the next line: this one is plain
    CHECK(scanPlainLine(t.data(), t.data() + 27, ends) == LineScan::Plain);
  }
}

TEST_CASE("plain and special lines read as libcsv reads them", "[statistics]") {
  checkAsLibcsv("spaces.csv", "a,b,c\n 1 ,x y,\t2\n3,  z ,4\t\n5,w,6\n");
  checkAsLibcsv("crlf.csv", "a,b\r\n1,x\r\n2,y\r\n\r\n3,z\r\n");
  checkAsLibcsv("cr.csv", "a,b\r1,x\r2,y\r");
  checkAsLibcsv("empty-lines.csv", "\n\na,b\n\n1,x\n\n\n2,y\n\n");
  checkAsLibcsv("no-newline.csv", "a,b\n1,x\n2,y");
  checkAsLibcsv("no-newline-quoted.csv", "a,b\n1,x\n2,\"y\"");
  checkAsLibcsv("quoted.csv", "a,b\n1,\"x,\"\"y\"\"\n z\"\n\"2\",w\n,\n3,\"\"\n");
  checkAsLibcsv("empty-fields.csv", "a,b,c\n,,\n1,,\n,,2\n");
}

TEST_CASE("lines across reads and longer than a read are read as libcsv reads them",
          "[statistics]") {
  // Reads are 1 MiB: some 6 MiB of rows of every kind, a few lines of more than 1 MiB.
  Lcg rng;
  const char* cells[] = {"1", "-2.5", "", "abc", "\"x,y\"", " 7 ", "\"a\nb\"", "0.125", "v9"};
  std::string s = "a,b,c\n";
  while (s.size() < (size_t{6} << 20)) {
    size_t kind = rng.below(4000);
    if (kind == 0) {
      s += std::string((size_t{1} << 20) + rng.below(1000), 'z') + ",1,2\n";
    } else if (kind == 1) {
      s += "\n";
    } else {
      for (int c = 0; c < 3; ++c)
        s += std::string(c ? "," : "") + cells[rng.below(std::size(cells))];
      s += rng.below(50) == 0 ? "\r\n" : "\n";
    }
  }
  checkAsLibcsv("mixed-lines.csv", s);
  s.pop_back(); // the last row without its newline
  checkAsLibcsv("mixed-lines-open.csv", s);
}

TEST_CASE("malformed quoting on a plain-looking line is found", "[statistics]") {
  // Row 3 (the header is row 1) has a quote inside an unquoted field: the error names the last
  // row read, as libcsv alone did.
  auto p = writeCsv("bad.csv", "a,b\n1,2\n3,x\"y\n4,5\n");
  std::string error;
  CHECK_FALSE(readStatistics(p.string(), error, SIZE_MAX));
  CHECK_THAT(error, Catch::Contains("not valid CSV after row 2"));
}
