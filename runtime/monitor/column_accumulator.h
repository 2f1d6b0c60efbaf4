#pragma once
/// One column's statistics gathered value by value, in bounded memory: a CSV file is read as a
/// stream (statistics.h), never held whole.
///
/// - counts, min and max: exact; sum, mean and the population standard deviation: to rounding
///   (each block of up to 8,192 values by two passes, the blocks combined by Chan's formula);
/// - the order statistics: exact up to kExact values; beyond, a deterministic compacting sketch
///   (each level holds at most kExact values; a full level is sorted and every other value moves
///   up with twice the weight, alternating which half), whose rank error stays within a few
///   parts in ten thousand of the count for the sizes mlpc reads;
/// - value counts for text: every distinct value up to kMaxDistinct, then only those already
///   seen (the distinct count is then a lower bound, `distinctExact` false). While every value
///   is a number the counts stop at kNumericDistinct distinct values: a numeric column needs none,
///   and one that turns to text after that many distinct numbers has an inexact distinct count.
///
/// Two accumulators of consecutive parts of a column merge (statistics_file.h reads a file's two
/// halves on two threads): counts add up, the moments by Chan's parallel formula, the sketch level
/// by level, the text counts in first-seen order.
#include "monitor/statistics.h"
#include "monitor/text_counts.h"

#include <string_view>
#include <vector>

namespace mlpc::monitor {

class ColumnAccumulator {
public:
  static constexpr size_t kExact = 4096;
  static constexpr size_t kMaxDistinct = 100000;
  static constexpr size_t kNumericDistinct = 1000;

  void add(std::string_view v);
  /// Appends the statistics of the values that follow this accumulator's. False when the merged
  /// value counts could differ from one accumulator fed both parts (a column that turns from
  /// numbers to text after its counts were dropped): then read the column sequentially instead.
  /// The counts, types, value counts, min and max are then exactly those of the sequential
  /// read; the mean, sum and standard deviation equal them up to rounding, and the sketch is
  /// within its rank error.
  bool merge(ColumnAccumulator&& later);
  /// The column's statistics (the sketch: `sketchSize` evenly spaced order statistics, or every
  /// value when there are no more).
  ColumnStats finish(std::string name, size_t sketchSize, size_t topValues);

private:
  void addNumber(double d);
  void compact(size_t level);
  void push(size_t level, double x);
  void dropNumericCounts();
  void flush(); ///< counts the value TextCounts::addSoon holds
  bool mergeCounts(const ColumnAccumulator& later);
  long long present_ = 0, missing_ = 0, numbers_ = 0;
  bool allNumeric_ = true, allIntegral_ = true, countsDropped_ = false;
  /// Count, mean, sum of squared deviations, sum, min and max of the numbers folded in so far:
  /// level 0's values are folded as one block when it is compacted (or finished, or merged).
  struct Moments {
    long long n = 0;
    double mean = 0, m2 = 0, sum = 0, min = 0, max = 0;
  };
  void combineMoments(const Moments& m);
  void foldMoments();
  Moments moments_;
  size_t folded_ = 0;                          ///< level 0's first value not yet in moments_
  std::vector<std::vector<double>> levels_{1}; ///< level h: values of weight 2^h
  bool flip_ = false;
  size_t countedBeforeText_ = 0; ///< distinct values counted when the first text value came
  TextCounts counts_;
};

} // namespace mlpc::monitor
