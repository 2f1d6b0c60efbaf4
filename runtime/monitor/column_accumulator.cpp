#include "monitor/column_accumulator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace mlpc::monitor {

namespace {

/// Clinger's fast path: a plain decimal of at most 15 digits, read as an integer m and divided by
/// 10^k (both exact in a double), is correctly rounded by one IEEE division: the same double
/// std::from_chars gives, at a fraction of its cost. Anything else goes to from_chars.
bool parsePlainDecimal(const char* b, const char* e, double& out, bool& integral) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = b;
  bool negative = p < e && *p == '-';
  if (negative) ++p;
  // The integer digits, then the fraction's: a loop each, with nothing but the digit to test.
  uint64_t m = 0;
  const char* from = p;
  for (; p < e && static_cast<unsigned char>(*p - '0') < 10; ++p)
    m = m * 10 + static_cast<uint64_t>(*p - '0');
  size_t digits = static_cast<size_t>(p - from), fraction = 0;
  bool point = p < e && *p == '.' && digits > 0;
  if (point) {
    from = ++p;
    for (; p < e && static_cast<unsigned char>(*p - '0') < 10; ++p)
      m = m * 10 + static_cast<uint64_t>(*p - '0');
    fraction = static_cast<size_t>(p - from);
    digits += fraction;
  }
  if (p != e || digits == 0 || digits > 15 || (point && fraction == 0)) return false;
  double d = static_cast<double>(m);
  if (fraction > 0) d /= kPow10[fraction];
  out = negative ? -d : d;
  integral = !point;
  return true;
}

bool parseNumber(std::string_view s, double& out, bool& integral) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  while (b < e && *b == ' ')
    ++b;
  while (e > b && (e[-1] == ' ' || e[-1] == '\r'))
    --e;
  if (b == e) return false;
  if (parsePlainDecimal(b, e, out, integral)) return true;
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e || !std::isfinite(out)) return false;
  integral =
      std::all_of(b, e, [](char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+'; });
  return true;
}

/// Sorts doubles (finite, no NaN) by LSD radix sort on their bits, mapped to unsigned integers
/// in the same order, 11 bits a pass (six passes; a little faster than eight of 8 bits on a
/// level's 8,192 values). Sorting was a third of `mlpc baseline`'s time with pdqsort (perf); this
/// is about three times as fast. A digit that every key shares costs no pass. The sorted values
/// at positions `first`, `first` + `step`, ... are written to `out` (which may be v's own): a
/// compaction keeps every other one, and needs no other written back.
void radixSort(const std::vector<double>& v, double* out, size_t first = 0, size_t step = 1) {
  constexpr size_t kBits = 11, kDigits = (64 + kBits - 1) / kBits;
  constexpr uint64_t kMask = (uint64_t{1} << kBits) - 1;
  thread_local std::vector<uint64_t> a, b;
  thread_local std::array<std::array<uint32_t, kMask + 1>, kDigits> count;
  size_t n = v.size();
  a.resize(n);
  b.resize(n);
  for (auto& c : count)
    c.fill(0);
  for (size_t i = 0; i < n; ++i) {
    uint64_t u = std::bit_cast<uint64_t>(v[i]);
    u ^= (u >> 63) ? ~uint64_t{0} : uint64_t{1} << 63; // negatives reversed, below positives
    a[i] = u;
#pragma GCC unroll 8 // the six counts at once (GCC kept a loop: a fifth of the sort's time)
    for (size_t d = 0; d < kDigits; ++d)
      ++count[d][(u >> (kBits * d)) & kMask];
  }
  uint64_t* src = a.data();
  uint64_t* dst = b.data();
  for (size_t d = 0; d < kDigits; ++d) {
    auto& c = count[d];
    if (c[(src[0] >> (kBits * d)) & kMask] == n) continue;
    uint32_t sum = 0;
    for (auto& x : c) {
      uint32_t t = x;
      x = sum;
      sum += t;
    }
    for (size_t i = 0; i < n; ++i) {
      uint64_t u = src[i];
      dst[c[(u >> (kBits * d)) & kMask]++] = u;
    }
    std::swap(src, dst);
  }
  for (size_t i = first; i < n; i += step) {
    uint64_t u = src[i];
    u ^= (u >> 63) ? uint64_t{1} << 63 : ~uint64_t{0};
    *out++ = std::bit_cast<double>(u);
  }
}

/// Merges `v`'s two sorted halves of kExact values (a stable merge: ties from the first half)
/// and writes the merged values at positions `keep`, `keep` + 2, ... to `out`.
///
/// Without branches on the values' order (which a branch predicts half the time): each step
/// takes the smaller front value and writes it where it belongs if kept, else where the next
/// kept value will overwrite it. Such a step waits for the one before it (its loads depend on the
/// pointers the comparison moved): the first half of the merge is made from the fronts and the
/// second from the backs (the larger back value; ties from the second half, the stable merge
/// reversed), two independent chains in one loop, which halved the merge's time (perf).
void mergeKeepingHalf(const std::vector<double>& v, size_t keep, double* out) {
  constexpr size_t n = ColumnAccumulator::kExact; // each half's size, and the merged values kept
  const double *a = v.data(), *b = a + n;         // the fronts
  const double *ra = b - 1, *rb = a + 2 * n - 1;  // the backs
  // Step k makes merged value k from the fronts (written at (k + 1 - keep) / 2) and value
  // 2n - 1 - k from the backs (written at (2n - 1 - k - keep) / 2): until the last step, the
  // first chain writes below out[n / 2] and the second from it on.
  for (size_t k = 0; k + 1 < n; ++k) {
    bool fromB = *b < *a;
    double x = fromB ? *b : *a;
    b += fromB;
    a += !fromB;
    out[(k + 1 - keep) >> 1] = x;
    bool fromA = *rb < *ra;
    double y = fromA ? *ra : *rb;
    ra -= fromA;
    rb -= !fromA;
    out[(2 * n - 1 - k - keep) >> 1] = y;
  }
  // The last step: merged values n - 1 and n, each written only when kept.
  if (keep == 1) out[(n - 1) >> 1] = *b < *a ? *b : *a;
  if (keep == 0) out[n >> 1] = *rb < *ra ? *ra : *rb;
}

} // namespace

void ColumnAccumulator::add(std::string_view v) {
  if (v.empty()) {
    ++missing_;
    return;
  }
  ++present_;
  double d = 0;
  bool integral = false;
  bool number = allNumeric_ && parseNumber(v, d, integral);
  if (number) {
    allIntegral_ = allIntegral_ && integral;
    addNumber(d);
  } else if (allNumeric_) {
    counts_.flush(); // the last number's count decides whether the counts go
    dropNumericCounts();
    allNumeric_ = false;
    countedBeforeText_ = counts_.size();
  }
  if (countsDropped_ && allNumeric_) return;
  if (number && integral && d >= 0 && d < TextCounts::kSmall && (v[0] != '0' || v.size() == 1) &&
      std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    counts_.addSmall(v, static_cast<uint32_t>(d), kMaxDistinct);
  else
    counts_.addSoon(v, kMaxDistinct);
  // The table lags one value behind (addSoon): the counts are dropped one value late, which
  // changes nothing, as the counts of an all-number column are not reported.
  if (allNumeric_) dropNumericCounts();
}

void ColumnAccumulator::dropNumericCounts() {
  if (!countsDropped_ && counts_.size() > kNumericDistinct) { // a numeric column needs no counts
    counts_.clear();
    countsDropped_ = true;
  }
}

void ColumnAccumulator::addNumber(double d) {
  ++numbers_;
  auto& level0 = levels_[0]; // not push(): this is the per-value path, kept inline
  level0.push_back(d);
  if (level0.size() == 2 * kExact) compact(0);
}

void ColumnAccumulator::combineMoments(const Moments& m) {
  if (m.n == 0) return;
  if (moments_.n == 0) {
    moments_ = m;
    return;
  }
  // Chan, Golub and LeVeque's update for the mean and the sum of squared deviations.
  double n = static_cast<double>(moments_.n + m.n);
  double delta = m.mean - moments_.mean;
  moments_.m2 +=
      m.m2 + delta * delta * static_cast<double>(moments_.n) * static_cast<double>(m.n) / n;
  moments_.mean += delta * static_cast<double>(m.n) / n;
  moments_.sum += m.sum;
  moments_.min = std::min(moments_.min, m.min);
  moments_.max = std::max(moments_.max, m.max);
  moments_.n += m.n;
}

void ColumnAccumulator::foldMoments() {
  // The level-0 values not yet in the moments, as one block: its sum, min and max in one pass
  // and its squared deviations in a second (no division per value, as Welford's update has).
  const auto& v = levels_[0];
  if (folded_ == v.size()) return;
  Moments b;
  b.n = static_cast<long long>(v.size() - folded_);
  b.min = b.max = v[folded_];
  for (size_t i = folded_; i < v.size(); ++i) {
    b.sum += v[i];
    b.min = std::min(b.min, v[i]);
    b.max = std::max(b.max, v[i]);
  }
  b.mean = b.sum / static_cast<double>(b.n);
  for (size_t i = folded_; i < v.size(); ++i)
    b.m2 += (v[i] - b.mean) * (v[i] - b.mean);
  combineMoments(b);
  folded_ = v.size();
}

void ColumnAccumulator::push(size_t level, double x) {
  levels_[level].push_back(x);
  if (levels_[level].size() == 2 * kExact) compact(level);
}

void ColumnAccumulator::compact(size_t level) {
  if (level + 1 == levels_.size()) levels_.emplace_back(); // before taking references into it
  auto& v = levels_[level];
  auto& up = levels_[level + 1];
  if (level == 0) foldMoments();
  // Alternating the kept half keeps the sketch unbiased over many compactions.
  size_t keep = flip_ ? 1 : 0;
  size_t at = up.size();
  up.resize(at + v.size() / 2);
  double* out = up.data() + at;
  if (level > 0) {
    // A higher level is exactly two sorted halves of kExact values, one from each compaction
    // below it (or merged from another accumulator): merged on the fly, every other value of the
    // merge moves up.
    mergeKeepingHalf(v, keep, out);
  } else {
    radixSort(v, out, keep, 2); // level 0 arrives unsorted
  }
  flip_ = !flip_;
  v.clear();
  if (level == 0) folded_ = 0;
  if (up.size() == 2 * kExact) compact(level + 1);
}

bool ColumnAccumulator::mergeCounts(const ColumnAccumulator& later) {
  // What one accumulator would count: with this part still all numbers, the counts of both
  // parts until more than kNumericDistinct distinct numbers, and everything from the first text
  // value on; with this part already text, every value of the later part.
  if (!allNumeric_ && later.countsDropped_) return false;
  if (allNumeric_ && !later.allNumeric_) {
    if (countsDropped_ || later.countsDropped_) return false;
    size_t before = counts_.size();
    for (size_t i = 0; i < later.countedBeforeText_; ++i)
      before += counts_.contains(later.counts_.value(i)) ? 0 : 1;
    if (before > kNumericDistinct) return false;
    countedBeforeText_ = before;
  }
  if (allNumeric_ && later.allNumeric_ && (countsDropped_ || later.countsDropped_)) {
    counts_.clear();
    countsDropped_ = true;
    return true;
  }
  for (auto& [v, n] : later.counts_.entries())
    counts_.add(v, kMaxDistinct, n);
  if (allNumeric_ && later.allNumeric_ && counts_.size() > kNumericDistinct) {
    counts_.clear();
    countsDropped_ = true;
  }
  return true;
}

void ColumnAccumulator::flush() {
  counts_.flush();
  if (allNumeric_) dropNumericCounts();
}

bool ColumnAccumulator::merge(ColumnAccumulator&& later) {
  flush();
  later.flush();
  if (!mergeCounts(later)) return false;
  if (later.numbers_ > 0) {
    foldMoments();
    later.foldMoments();
    combineMoments(later.moments_);
    numbers_ += later.numbers_;
    // Level by level, from the bottom: each value enters as if added at its weight, and a level
    // is compacted when it reaches 2 * kExact values, as in a sequential read. The values of
    // level 0 are in the moments already.
    for (double x : later.levels_[0]) {
      levels_[0].push_back(x);
      folded_ = levels_[0].size();
      if (levels_[0].size() == 2 * kExact) compact(0);
    }
    for (size_t h = 1; h < later.levels_.size(); ++h) {
      if (h == levels_.size()) levels_.emplace_back();
      for (double x : later.levels_[h])
        push(h, x);
    }
  }
  present_ += later.present_;
  missing_ += later.missing_;
  allIntegral_ = allIntegral_ && later.allIntegral_;
  allNumeric_ = allNumeric_ && later.allNumeric_;
  return true;
}

ColumnStats ColumnAccumulator::finish(std::string name, size_t sketchSize, size_t topValues) {
  flush();
  foldMoments();
  ColumnStats col;
  col.name = std::move(name);
  col.present = present_;
  col.missing = missing_;
  if (present_ == 0) {
    col.inferredType = "Unknown";
    return col;
  }
  if (allNumeric_) {
    col.inferredType = allIntegral_ ? "Integral" : "Fractional";
    col.sum = moments_.sum;
    col.mean = moments_.mean;
    col.stdDev = std::sqrt(moments_.m2 / static_cast<double>(moments_.n));
    col.min = moments_.min;
    col.max = moments_.max;
    // Weighted values, sorted; the order statistic at rank r is the first whose cumulative
    // weight passes r. Every level is sorted (level 0 here; each one above is a single sorted
    // run, as compact() moves up half of a sorted level at a time) and they are walked as one
    // merged sequence, equal values from the lower level (the lighter weight) first: the order
    // in which a sort of (value, weight) pairs puts them. Sorting those pairs, in a vector
    // built for it, was most of the time after the file's halves were read (perf).
    radixSort(levels_[0], levels_[0].data());
    size_t count = 0;
    for (auto& level : levels_) {
      if (!std::is_sorted(level.begin(), level.end()))
        radixSort(level, level.data()); // not expected
      count += level.size();
    }
    if (levels_.size() == 1 && count <= sketchSize) {
      col.sketch = levels_[0];
      return col;
    }
    std::vector<size_t> at(levels_.size(), 0);
    auto next = [&] { // the level holding the next value in the merged order
      size_t best = levels_.size();
      for (size_t h = 0; h < levels_.size(); ++h)
        if (at[h] < levels_[h].size() &&
            (best == levels_.size() || levels_[h][at[h]] < levels_[best][at[best]]))
          best = h;
      return best;
    };
    auto weight = [](size_t level) { return static_cast<double>(uint64_t{1} << level); };
    double total = 0;
    for (size_t h = 0; h < levels_.size(); ++h)
      total += weight(h) * static_cast<double>(levels_[h].size());
    double cum = 0;
    size_t h = next(), left = count; // the current value: levels_[h][at[h]], `left` from it on
    for (size_t k = 0; k < sketchSize; ++k) {
      double rank = static_cast<double>(k) * (total - 1) / static_cast<double>(sketchSize - 1);
      while (left > 1 && cum + weight(h) <= rank) {
        cum += weight(h);
        ++at[h];
        --left;
        h = next();
      }
      col.sketch.push_back(levels_[h][at[h]]);
    }
    col.sketch.front() = moments_.min; // the ends are exact
    col.sketch.back() = moments_.max;
    return col;
  }
  col.inferredType = "String";
  col.distinct = static_cast<long long>(counts_.size());
  col.distinctExact = !countsDropped_ && counts_.size() < kMaxDistinct;
  std::vector<std::pair<std::string, long long>> byCount = counts_.entries();
  // The most frequent first; equal counts in text order, so the output is deterministic.
  std::sort(byCount.begin(), byCount.end(), [](auto& a, auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (byCount.size() > topValues) byCount.resize(topValues);
  col.topValues = std::move(byCount);
  return col;
}

} // namespace mlpc::monitor
