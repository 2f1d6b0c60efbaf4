#pragma once
/// How often each distinct text value occurs in a column: a flat open-addressing table (linear
/// probing over a power-of-two array of hashes and indices; the values themselves in one vector).
/// A baseline counts millions of values into a few thousand distinct ones, and the node-based
/// std::unordered_map spent a quarter of `mlpc baseline`'s time chasing pointers (perf, 1M x 20
/// CSV); this table keeps a lookup to one probe sequence in a contiguous array.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlpc::monitor {

class TextCounts {
public:
  /// Counts `n` occurrences of `v`; a new value is added only while fewer than `limit` are known.
  void add(std::string_view v, size_t limit, long long n = 1);
  bool contains(std::string_view v) const;
  size_t size() const { return entries_.size(); }
  void clear();
  /// Every distinct value with its count, in the order first seen.
  const std::vector<std::pair<std::string, long long>>& entries() const { return entries_; }

private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t index = 0; ///< into entries_, plus one; 0: empty
  };
  void grow();
  /// The slot holding `v`, or the empty slot where it belongs.
  size_t find(std::string_view v, uint64_t h) const;
  std::vector<Slot> slots_;
  std::vector<std::pair<std::string, long long>> entries_;
};

} // namespace mlpc::monitor
