#pragma once
// ANTLR's input stream indexes code points; our ranges are byte offsets. The map is the identity
// for pure ASCII files and a table otherwise.
#include <cstdint>
#include <string_view>
#include <vector>

namespace mlpc::syntax {

class OffsetMap {
public:
  OffsetMap(std::string_view utf8, uint32_t base) : base_(base) {
    bool ascii = true;
    for (unsigned char c : utf8)
      if (c >= 0x80) {
        ascii = false;
        break;
      }
    if (ascii) return;
    for (uint32_t i = 0; i < utf8.size(); ++i)
      if ((static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) table_.push_back(i);
    table_.push_back(static_cast<uint32_t>(utf8.size()));
  }
  /// Whether the text is all ASCII (each byte its own code point; no table).
  bool ascii() const { return table_.empty(); }
  /// Byte offset (in the whole file) of code point `cp` of this text.
  uint32_t byte(size_t cp) const {
    if (table_.empty()) return base_ + static_cast<uint32_t>(cp);
    return base_ + (cp < table_.size() ? table_[cp] : table_.back());
  }

private:
  uint32_t base_;
  std::vector<uint32_t> table_;
};

} // namespace mlpc::syntax
