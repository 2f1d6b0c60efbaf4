#include "syntax/ascii_input.h"

#include <algorithm>

namespace mlpc::syntax {

void AsciiInput::consume() {
  if (p_ >= text_.size()) throw antlr4::IllegalStateException("cannot consume EOF");
  ++p_;
}

size_t AsciiInput::LA(ssize_t i) {
  if (i == 0) return 0; // undefined, as in ANTLR
  // LA(1) is the next character, LA(-1) the one before it.
  ssize_t at = static_cast<ssize_t>(p_) + (i > 0 ? i - 1 : i);
  if (at < 0 || at >= static_cast<ssize_t>(text_.size())) return antlr4::IntStream::EOF;
  return static_cast<unsigned char>(text_[static_cast<size_t>(at)]);
}

std::string AsciiInput::getText(const antlr4::misc::Interval& interval) {
  if (interval.a < 0 || interval.b < 0) return "";
  size_t start = static_cast<size_t>(interval.a);
  size_t stop = std::min(static_cast<size_t>(interval.b), text_.size() - 1);
  if (start >= text_.size()) return "";
  // As ANTLR's: an interval that ends two or more before it starts wraps the count around, and
  // so reads to the end of the text.
  return std::string(text_.substr(start, stop - start + 1));
}

} // namespace mlpc::syntax
