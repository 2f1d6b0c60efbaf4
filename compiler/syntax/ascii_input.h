#pragma once
// A character stream for ANTLR that reads ASCII text where it lies. ANTLR 4.9's
// ANTLRInputStream first copies the text into a UTF-32 string, four bytes per character: on the
// 6.9 MB program with a warning on every line that was 28 MB of new pages for the kernel to clear
// (`mlpc parse` peaked at 136-142 MiB with the copy, 107-112 MiB without). In ASCII each byte is
// its own code point, so the text itself can be read. Behaves as ANTLRInputStream does on the
// same text (tests/unit/compiler/ascii_input_test.cpp); text with other bytes must use that
// stream (OffsetMap::ascii tells which).
#include "antlr4-runtime.h"

#include <string_view>

namespace mlpc::syntax {

class AsciiInput final : public antlr4::CharStream {
public:
  /// Every byte of `text` below 0x80; `text` must outlive the stream.
  explicit AsciiInput(std::string_view text) : text_(text) {}

  void consume() override;
  size_t LA(ssize_t i) override;
  ssize_t mark() override { return -1; } // the whole text is always at hand
  void release(ssize_t) override {}
  size_t index() override { return p_; }
  void seek(size_t index) override { p_ = std::min(index, text_.size()); }
  size_t size() override { return text_.size(); }
  std::string getSourceName() const override { return UNKNOWN_SOURCE_NAME; }
  std::string getText(const antlr4::misc::Interval& interval) override;
  std::string toString() const override { return std::string(text_); }

private:
  std::string_view text_;
  size_t p_ = 0;
};

} // namespace mlpc::syntax
