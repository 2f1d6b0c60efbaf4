#pragma once
/// How often each distinct text value occurs in a column: a flat open-addressing table (linear
/// probing over a power-of-two array of 32-byte slots). A baseline counts millions of values into
/// a few thousand distinct ones, so a lookup must stay in the slot array: each slot holds the
/// hash, the count and, for a value of up to kInline bytes (most categories and numbers), the
/// value itself; longer values are compared against their copy in a vector in first-seen order.
/// The node-based std::unordered_map spent a quarter of `mlpc baseline`'s time chasing pointers,
/// and a table whose every comparison went to that vector still a fifth (perf, 1M x 20 CSV).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlpc::monitor {

class TextCounts {
public:
  /// Counts `n` occurrences of `v`; a new value is added only while fewer than `limit` are known.
  void add(std::string_view v, size_t limit, long long n = 1) { add(v, hashOf(v), limit, n); }
  /// As add(v, limit), but the counting happens at the next call (or flush()): meanwhile the
  /// value's slot is fetched from memory. Lookups were a fifth of `mlpc baseline`'s time, nearly
  /// all of it waiting for the slot (perf annotate); one column's next value is a row away.
  void addSoon(std::string_view v, size_t limit);
  void flush();
  /// Small non-negative integers (a count, a code) seen again are counted by their value, no
  /// hash and no probe: `v` must be `k`'s decimal digits, without a leading zero or a space.
  static constexpr uint32_t kSmall = 4096;
  void addSmall(std::string_view v, uint32_t k, size_t limit);
  bool contains(std::string_view v) const;
  size_t size() const { return values_.size(); } ///< not counting a value added soon
  void clear();
  /// The distinct value first seen `i`-th.
  const std::string& value(size_t i) const { return values_[i]; }
  /// Every distinct value with its count, in the order first seen.
  std::vector<std::pair<std::string, long long>> entries() const;

private:
  static constexpr size_t kInline = 11;
  struct Slot {
    uint64_t hash = 0;
    long long count = 0;
    uint32_t index = 0; ///< into values_, plus one; 0: empty
    uint8_t length = 0; ///< of an inline value
    char bytes[kInline] = {};
  };
  static_assert(sizeof(Slot) == 32);
  static uint64_t hashOf(std::string_view v);
  void add(std::string_view v, uint64_t h, size_t limit, long long n);
  void grow();
  /// The slot holding `v`, or the empty slot where it belongs.
  size_t find(std::string_view v, uint64_t h) const;
  std::vector<Slot> slots_;
  std::vector<std::string> values_;
  std::vector<uint32_t> smallSlot_; ///< the slot of value k, plus one; 0: not known (or moved)
  /// addSoon's value not yet counted: up to kPendingInline bytes in pendingBytes_ (copied by
  /// two loads and two stores, no call), longer ones in pending_.
  static constexpr size_t kPendingInline = 16;
  char pendingBytes_[kPendingInline] = {};
  size_t pendingLength_ = 0;
  std::string pending_;
  uint64_t pendingHash_ = 0;
  size_t pendingLimit_ = 0;
  bool hasPending_ = false;
};

} // namespace mlpc::monitor
