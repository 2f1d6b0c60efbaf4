#pragma once
// LSP positions (0-based line, column in UTF-16 code units) against UTF-8 text, and the edits of
// textDocument/didChange. Out-of-range positions are clamped, as the protocol asks: a line past
// the end means the end of the text, a column past the end of its line means the line's end.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc::lsp {

struct Position {
  uint32_t line = 0;
  uint32_t character = 0; ///< UTF-16 code units
};

/// Line starts of one text, for converting between byte offsets and positions.
class LineIndex {
public:
  explicit LineIndex(std::string_view text);
  uint32_t offsetOf(Position p) const;
  Position positionOf(uint32_t offset) const;

private:
  std::string_view text_;
  std::vector<uint32_t> starts_;
  /// The end of line `line`'s content (before its "\n" or "\r\n").
  uint32_t lineEnd(uint32_t line) const;
};

/// Replaces [start, end) of `text` with `replacement`; an end before the start is taken as the
/// start (nothing removed).
void applyEdit(std::string& text, Position start, Position end, std::string_view replacement);

} // namespace mlpc::lsp
