#include "monitor/text_counts.h"

#include <functional>

namespace mlpc::monitor {

size_t TextCounts::find(std::string_view v, uint64_t h) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == 0 || (s.hash == h && entries_[s.index - 1].first == v)) return i;
  }
}

void TextCounts::add(std::string_view v, size_t limit, long long n) {
  if (slots_.empty()) slots_.resize(64);
  uint64_t h = std::hash<std::string_view>{}(v);
  Slot& s = slots_[find(v, h)];
  if (s.index != 0) {
    entries_[s.index - 1].second += n;
    return;
  }
  if (entries_.size() >= limit) return;
  entries_.emplace_back(std::string(v), n);
  s = {h, static_cast<uint32_t>(entries_.size())};
  if (entries_.size() * 2 > slots_.size()) grow(); // at most half full: short probes
}

bool TextCounts::contains(std::string_view v) const {
  return !slots_.empty() && slots_[find(v, std::hash<std::string_view>{}(v))].index != 0;
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
