#include "monitor/text_counts.h"

#include <functional>

namespace mlpc::monitor {

void TextCounts::add(std::string_view v, size_t limit) {
  if (slots_.empty()) slots_.resize(64);
  uint64_t h = std::hash<std::string_view>{}(v);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.index == 0) {
      if (entries_.size() >= limit) return;
      entries_.emplace_back(std::string(v), 1);
      s = {h, static_cast<uint32_t>(entries_.size())};
      if (entries_.size() * 2 > slots_.size()) grow(); // at most half full: short probes
      return;
    }
    if (s.hash == h && entries_[s.index - 1].first == v) {
      ++entries_[s.index - 1].second;
      return;
    }
  }
}

void TextCounts::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.index == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].index != 0)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void TextCounts::clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  entries_.clear();
  entries_.shrink_to_fit();
}

} // namespace mlpc::monitor
