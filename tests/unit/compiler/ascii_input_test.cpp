// AsciiInput (syntax/ascii_input.h) must answer every question ANTLR's lexer asks of a character
// stream as ANTLRInputStream does on the same ASCII text: characters ahead and behind, positions
// after consume and seek, token text for any interval, and the error at the end.
#include "syntax/ascii_input.h"
#include "syntax/offsets.h"

#include <catch2/catch.hpp>

using mlpc::syntax::AsciiInput;

namespace {

void requireSameAt(AsciiInput& ours, antlr4::ANTLRInputStream& stock) {
  REQUIRE(ours.index() == stock.index());
  for (ssize_t i = -3; i <= 3; ++i) {
    INFO("LA(" << i << ") at " << stock.index());
    REQUIRE(ours.LA(i) == stock.LA(i));
  }
}

} // namespace

TEST_CASE("ascii input: what ANTLRInputStream answers, at every position", "[syntax][input]") {
  for (std::string text :
       {std::string(), std::string("a"), std::string("step A() {\n  run = \"x\"\n}\n"),
        std::string("\t\r\n\x7f\x01 ~")}) {
    INFO("text: " << text);
    AsciiInput ours(text);
    antlr4::ANTLRInputStream stock(text);
    REQUIRE(ours.size() == stock.size());
    REQUIRE(ours.toString() == stock.toString());
    REQUIRE(ours.getSourceName() == stock.getSourceName());
    REQUIRE(ours.mark() == stock.mark());
    for (size_t at = 0; at <= text.size(); ++at) {
      requireSameAt(ours, stock);
      for (ssize_t a = -1; a <= static_cast<ssize_t>(text.size()) + 1; ++a)
        for (ssize_t b = -1; b <= static_cast<ssize_t>(text.size()) + 1; ++b) {
          antlr4::misc::Interval range(a, b);
          INFO("getText(" << a << ", " << b << ")");
          REQUIRE(ours.getText(range) == stock.getText(range));
        }
      if (at < text.size()) {
        ours.consume();
        stock.consume();
      }
    }
    // At the end both refuse to go further, and LA(1) is EOF.
    REQUIRE(ours.LA(1) == antlr4::IntStream::EOF);
    REQUIRE_THROWS_AS(ours.consume(), antlr4::IllegalStateException);
    REQUIRE_THROWS_AS(stock.consume(), antlr4::IllegalStateException);
    // Seeks backwards, forwards and past the end.
    for (size_t to : {size_t(0), text.size() / 2, text.size(), text.size() + 5, size_t(1)}) {
      ours.seek(to);
      stock.seek(to);
      requireSameAt(ours, stock);
    }
  }
}

TEST_CASE("ascii input: only text of bytes below 0x80 is ASCII (OffsetMap::ascii)",
          "[syntax][input]") {
  using mlpc::syntax::OffsetMap;
  CHECK(OffsetMap("", 0).ascii());
  CHECK(OffsetMap("pipeline p() {}\n\x7f", 0).ascii());
  CHECK_FALSE(OffsetMap("caf\xc3\xa9", 0).ascii());
  CHECK_FALSE(OffsetMap(std::string_view("a\x80", 2), 0).ascii());
}
