// SourceManager and SourceFile: line/column lookup (1-based, columns in bytes), line text,
// ranges and their descriptions.
#include "source/source.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mlpc;

TEST_CASE("line and column of every offset in a small file", "[source]") {
  SourceFile f("a.mlp", "ab\ncd\n\nef");
  // a=0 b=1 \n=2 c=3 d=4 \n=5 \n=6 e=7 f=8 (end=9)
  CHECK(f.lineCount() == 4);
  auto lc = [&](uint32_t off) {
    LineCol l = f.lineCol(off);
    return std::make_pair(l.line, l.col);
  };
  CHECK(lc(0) == std::make_pair(1u, 1u));
  CHECK(lc(1) == std::make_pair(1u, 2u));
  CHECK(lc(2) == std::make_pair(1u, 3u)); // the newline belongs to its line
  CHECK(lc(3) == std::make_pair(2u, 1u));
  CHECK(lc(5) == std::make_pair(2u, 3u));
  CHECK(lc(6) == std::make_pair(3u, 1u)); // an empty line
  CHECK(lc(7) == std::make_pair(4u, 1u));
  CHECK(lc(8) == std::make_pair(4u, 2u));
  CHECK(lc(9) == std::make_pair(4u, 3u)); // end of a last line without newline
}

TEST_CASE("the last line without a trailing newline", "[source]") {
  SourceFile f("a.mlp", "first\nlast");
  CHECK(f.lineCount() == 2);
  CHECK(f.lineText(1) == "first");
  CHECK(f.lineText(2) == "last");
  CHECK(f.lineCol(10).line == 2);
  CHECK(f.lineCol(10).col == 5);
}

TEST_CASE("a file ending in a newline has an empty last line", "[source]") {
  SourceFile f("a.mlp", "x\n");
  CHECK(f.lineCount() == 2);
  CHECK(f.lineText(2).empty());
  CHECK(f.lineCol(2).line == 2);
  CHECK(f.lineCol(2).col == 1);
}

TEST_CASE("an empty file", "[source]") {
  SourceFile f("empty.mlp", "");
  CHECK(f.lineCount() == 1);
  CHECK(f.lineText(1).empty());
  CHECK(f.lineCol(0).line == 1);
  CHECK(f.lineCol(0).col == 1);
}

TEST_CASE("line text drops CR LF and is empty out of range", "[source]") {
  SourceFile f("crlf.mlp", "one\r\ntwo\r\n");
  CHECK(f.lineText(1) == "one");
  CHECK(f.lineText(2) == "two");
  CHECK(f.lineText(0).empty());
  CHECK(f.lineText(4).empty());
  // Columns still count the bytes before the offset on its line.
  CHECK(f.lineCol(5).line == 2);
  CHECK(f.lineCol(5).col == 1);
}

TEST_CASE("columns count bytes in UTF-8 text", "[source][utf8]") {
  // "é" is two bytes (C3 A9), "“" three (E2 80 9C).
  std::string text = "x = \"\xC3\xA9\xE2\x80\x9C\" y\nz";
  SourceFile f("u.mlp", text);
  size_t y = text.find('y');
  REQUIRE(y == 12);
  CHECK(f.lineCol(static_cast<uint32_t>(y)).line == 1);
  CHECK(f.lineCol(static_cast<uint32_t>(y)).col == 13);
  size_t z = text.find('z');
  CHECK(f.lineCol(static_cast<uint32_t>(z)).line == 2);
  CHECK(f.lineCol(static_cast<uint32_t>(z)).col == 1);
  CHECK(f.lineText(1) == "x = \"\xC3\xA9\xE2\x80\x9C\" y");
}

TEST_CASE("SourceManager owns files and describes ranges", "[source]") {
  SourceManager sm;
  FileId a = sm.add("a.mlp", "step S() {\n  run = \"x\"\n}\n");
  FileId b = sm.add("dir/b.mlp", "data d: File = file(\"x\")");
  CHECK(a == 0);
  CHECK(b == 1);
  CHECK(sm.size() == 2);
  CHECK(sm.file(b).path() == "dir/b.mlp");

  SourceRange run{a, 13, 22}; // `run = "x"`
  CHECK(sm.text(run) == "run = \"x\"");
  CHECK(sm.start(run).line == 2);
  CHECK(sm.start(run).col == 3);
  CHECK(sm.end(run).line == 2);
  CHECK(sm.end(run).col == 12);
  CHECK(sm.describe(run) == "a.mlp:2:3-2:12");

  SourceRange multi{a, 0, 24}; // through the closing brace
  CHECK(sm.describe(multi) == "a.mlp:1:1-3:2");
  CHECK(sm.describe(SourceRange{}).empty());
}

TEST_CASE("SourceRange::join covers both ranges and ignores invalid ones", "[source]") {
  SourceRange a{0, 5, 10}, b{0, 2, 7}, none{};
  SourceRange j = SourceRange::join(a, b);
  CHECK(j.begin == 2);
  CHECK(j.end == 10);
  CHECK(SourceRange::join(none, a).begin == 5);
  CHECK(SourceRange::join(a, none).end == 10);
  CHECK_FALSE(none.valid());
  CHECK(a.valid());
}

TEST_CASE("readFile reads bytes, reports missing files and directories", "[source]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mlpc-source-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "x.mlp";
  {
    std::ofstream out(file, std::ios::binary);
    out << std::string("a\r\nb\0cd", 7); // bytes as they are, NUL included
  }
  std::string text, err;
  REQUIRE(readFile(file.string(), text, err));
  CHECK(text.size() == 7);
  CHECK(text[4] == '\0');
  CHECK(text.substr(0, 3) == "a\r\n");

  CHECK_FALSE(readFile((dir / "missing.mlp").string(), text, err));
  CHECK(text.empty());
  CHECK_FALSE(err.empty());

  CHECK_FALSE(readFile(dir.string(), text, err));
  CHECK(err == "is a directory");
  fs::remove_all(dir);
}
