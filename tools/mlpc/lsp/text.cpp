#include "lsp/text.h"

#include <algorithm>

namespace mlpc::lsp {

namespace {
/// The length of the UTF-8 sequence starting with byte `c` (1 for stray continuation bytes, so
/// invalid UTF-8 still advances).
uint32_t seqLen(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}
} // namespace

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(i + 1);
}

uint32_t LineIndex::lineEnd(uint32_t line) const {
  uint32_t e = line + 1 < starts_.size() ? starts_[line + 1] - 1 : uint32_t(text_.size());
  if (e > starts_[line] && line + 1 < starts_.size() && text_[e - 1] == '\r') --e;
  return e;
}

uint32_t LineIndex::offsetOf(Position p) const {
  if (p.line >= starts_.size()) return uint32_t(text_.size());
  uint32_t off = starts_[p.line], end = lineEnd(p.line);
  uint32_t units = 0;
  while (off < end && units < p.character) {
    uint32_t n = std::min(seqLen(static_cast<unsigned char>(text_[off])), end - off);
    units += n == 4 ? 2 : 1; // a character outside the BMP is a surrogate pair in UTF-16
    off += n;
  }
  return off;
}

Position LineIndex::positionOf(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, uint32_t(text_.size()));
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  uint32_t line = uint32_t(it - starts_.begin()) - 1;
  uint32_t units = 0;
  for (uint32_t off = starts_[line]; off < offset;) {
    uint32_t n = seqLen(static_cast<unsigned char>(text_[off]));
    units += n == 4 ? 2 : 1;
    off += n;
  }
  return {line, units};
}

void applyEdit(std::string& text, Position start, Position end, std::string_view replacement) {
  LineIndex idx(text);
  uint32_t b = idx.offsetOf(start), e = idx.offsetOf(end);
  if (e < b) e = b;
  text.replace(b, e - b, replacement);
}

} // namespace mlpc::lsp
