#include "monitor/column_accumulator.h"

#include <algorithm>
#include <boost/sort/pdqsort/pdqsort.hpp>
#include <charconv>
#include <cmath>

namespace mlpc::monitor {

namespace {

bool parseNumber(std::string_view s, double& out, bool& integral) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  while (b < e && *b == ' ')
    ++b;
  while (e > b && (e[-1] == ' ' || e[-1] == '\r'))
    --e;
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e || !std::isfinite(out)) return false;
  integral =
      std::all_of(b, e, [](char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+'; });
  return true;
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
  } else {
    allNumeric_ = false;
  }
  if (countsDropped_ && allNumeric_) return;
  counts_.add(v, kMaxDistinct);
  if (allNumeric_ && counts_.size() > kNumericDistinct) { // a numeric column needs no counts
    counts_.clear();
    countsDropped_ = true;
  }
}

void ColumnAccumulator::addNumber(double d) {
  ++numbers_;
  sum_ += d;
  double delta = d - mean_;
  mean_ += delta / static_cast<double>(numbers_);
  m2_ += delta * (d - mean_);
  min_ = numbers_ == 1 ? d : std::min(min_, d);
  max_ = numbers_ == 1 ? d : std::max(max_, d);
  levels_[0].push_back(d);
  if (levels_[0].size() >= 2 * kExact) compact(0);
}

void ColumnAccumulator::compact(size_t level) {
  if (level + 1 == levels_.size()) levels_.emplace_back(); // before taking references into it
  auto& v = levels_[level];
  // Level 0 arrives unsorted: branchless pdqsort is about twice as fast as std::sort on doubles
  // (boost's spreadsort was faster still, but its float_sort overflows a signed integer on
  // values of both signs, which UBSan reports). A higher level is exactly two sorted halves,
  // one from each compaction below it, so a merge sorts it.
  if (level > 0 && v.size() == 2 * kExact)
    std::inplace_merge(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(kExact), v.end());
  else
    boost::sort::pdqsort_branchless(v.begin(), v.end());
  auto& up = levels_[level + 1];
  // Alternating the kept half keeps the sketch unbiased over many compactions.
  for (size_t i = flip_ ? 1 : 0; i < v.size(); i += 2)
    up.push_back(v[i]);
  flip_ = !flip_;
  v.clear();
  if (up.size() >= 2 * kExact) compact(level + 1);
}

ColumnStats ColumnAccumulator::finish(std::string name, size_t sketchSize, size_t topValues) const {
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
    col.sum = sum_;
    col.mean = mean_;
    col.stdDev = std::sqrt(m2_ / static_cast<double>(numbers_));
    col.min = min_;
    col.max = max_;
    // Weighted values, sorted; the order statistic at rank r is the first whose cumulative
    // weight passes r.
    std::vector<std::pair<double, double>> weighted;
    double w = 1, total = 0;
    for (auto& level : levels_) {
      for (double x : level)
        weighted.emplace_back(x, w);
      total += w * static_cast<double>(level.size());
      w *= 2;
    }
    std::sort(weighted.begin(), weighted.end());
    if (levels_.size() == 1 && weighted.size() <= sketchSize) {
      for (auto& [x, wt] : weighted)
        col.sketch.push_back(x);
      return col;
    }
    double cum = 0;
    size_t i = 0;
    for (size_t k = 0; k < sketchSize; ++k) {
      double rank = static_cast<double>(k) * (total - 1) / static_cast<double>(sketchSize - 1);
      while (i + 1 < weighted.size() && cum + weighted[i].second <= rank)
        cum += weighted[i++].second;
      col.sketch.push_back(weighted[i].first);
    }
    col.sketch.front() = min_; // the ends are exact
    col.sketch.back() = max_;
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
