#include "monitor/text_counts.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace mlpc::monitor {

namespace {

template <typename T> uint64_t load(const char* p) {
  T x;
  std::memcpy(&x, p, sizeof x); // one unaligned load
  return x;
}

/// Whether `n` (at most 16) bytes at `a` and `b` are equal, by the loads hashOf makes (a call to
/// memcmp for a few bytes cost 5% of the time).
bool sameShort(const char* a, const char* b, size_t n) {
  if (n > 8)
    return load<uint64_t>(a) == load<uint64_t>(b) &&
           load<uint64_t>(a + n - 8) == load<uint64_t>(b + n - 8);
  if (n >= 4)
    return load<uint32_t>(a) == load<uint32_t>(b) &&
           load<uint32_t>(a + n - 4) == load<uint32_t>(b + n - 4);
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Copies `n` (at most 16) bytes by the loads hashOf makes.
void copyShort(char* to, const char* from, size_t n) {
  if (n > 8) {
    uint64_t a = load<uint64_t>(from), b = load<uint64_t>(from + n - 8);
    std::memcpy(to, &a, 8);
    std::memcpy(to + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a = load<uint32_t>(from), b = load<uint32_t>(from + n - 4);
    std::memcpy(to, &a, 4);
    std::memcpy(to + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; ++i)
      to[i] = from[i];
  }
}

} // namespace

/// A value's hash: short values (16 bytes or fewer) read by two overlapping loads and mixed by
/// multiplications (no copy through memory: perf showed copying the bytes out stall), longer ones
/// by std::hash. The table is indexed by the low bits, so the product's high bits are folded in.
uint64_t TextCounts::hashOf(std::string_view v) {
  const char* p = v.data();
  size_t n = v.size();
  uint64_t a = 0, b = 0;
  if (n > 16) return std::hash<std::string_view>{}(v);
  if (n > 8) {
    a = load<uint64_t>(p);
    b = load<uint64_t>(p + n - 8);
  } else if (n >= 4) {
    a = load<uint32_t>(p) | load<uint32_t>(p + n - 4) << 32;
  } else if (n > 0) {
    a = static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
        static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
        static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
  }
  uint64_t h = (a ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
  h ^= (b + n) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31) ^ (h >> 47);
}

size_t TextCounts::find(std::string_view v, uint64_t h) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == 0) return i;
    if (s.hash != h) continue;
    if (v.size() <= kInline ? s.length == v.size() && sameShort(s.bytes, v.data(), v.size())
                            : values_[s.index - 1] == v)
      return i;
  }
}

void TextCounts::addSoon(std::string_view v, size_t limit) {
  uint64_t h = hashOf(v);
  if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  flush();
  pendingLength_ = v.size();
  if (v.size() <= kPendingInline)
    copyShort(pendingBytes_, v.data(), v.size());
  else
    pending_.assign(v);
  pendingHash_ = h;
  pendingLimit_ = limit;
  hasPending_ = true;
}

void TextCounts::flush() {
  if (!hasPending_) return;
  hasPending_ = false;
  std::string_view v = pendingLength_ <= kPendingInline
                           ? std::string_view(pendingBytes_, pendingLength_)
                           : std::string_view(pending_);
  add(v, pendingHash_, pendingLimit_, 1);
}

void TextCounts::add(std::string_view v, uint64_t h, size_t limit, long long n) {
  if (slots_.empty()) slots_.resize(64);
  Slot& s = slots_[find(v, h)];
  if (s.index != 0) {
    s.count += n;
    return;
  }
  if (values_.size() >= limit) return;
  values_.emplace_back(v);
  s.hash = h;
  s.count = n;
  s.index = static_cast<uint32_t>(values_.size());
  if (v.size() <= kInline) {
    s.length = static_cast<uint8_t>(v.size());
    std::memcpy(s.bytes, v.data(), v.size());
  }
  if (values_.size() * 2 > slots_.size()) grow(); // at most half full: short probes
}

void TextCounts::addSmall(std::string_view v, uint32_t k, size_t limit) {
  if (k < smallSlot_.size() && smallSlot_[k] != 0) {
    ++slots_[smallSlot_[k] - 1].count;
    return;
  }
  flush(); // a new value: after the pending one, to keep the first-seen order
  uint64_t h = hashOf(v);
  add(v, h, limit, 1);
  size_t i = find(v, h);
  if (slots_[i].index == 0) return; // over the limit
  if (smallSlot_.empty()) smallSlot_.resize(kSmall);
  smallSlot_[k] = static_cast<uint32_t>(i + 1);
}

bool TextCounts::contains(std::string_view v) const {
  return !slots_.empty() && slots_[find(v, hashOf(v))].index != 0;
}

std::vector<std::pair<std::string, long long>> TextCounts::entries() const {
  std::vector<std::pair<std::string, long long>> out(values_.size());
  for (const Slot& s : slots_)
    if (s.index != 0) out[s.index - 1] = {values_[s.index - 1], s.count};
  return out;
}

void TextCounts::grow() {
  std::fill(smallSlot_.begin(), smallSlot_.end(), 0); // the slots move
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
  hasPending_ = false;
  smallSlot_.clear();
  smallSlot_.shrink_to_fit();
  slots_.clear();
  slots_.shrink_to_fit();
  values_.clear();
  values_.shrink_to_fit();
}

} // namespace mlpc::monitor
