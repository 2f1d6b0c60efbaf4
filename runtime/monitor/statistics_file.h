#pragma once
/// How `computeStatistics` (statistics.h) reads a CSV file: as a stream, in 1 MiB `pread`s, its
/// plain lines split in place (csv_lines.h) and the others read by libcsv. A file of at least
/// `splitFrom` bytes is read as two halves on two threads, each with its own parser and column
/// accumulators, cut after the first newline past the middle; the cut counts only when libcsv,
/// having read the first half, stands between two records (a quoted field may hold newlines), else
/// the first thread reads on to the end and the second one's work is dropped. The halves'
/// accumulators then merge (column_accumulator.h) and finish, every other column on a second
/// thread; where a column's merge could differ from one sequential read, the file is read again
/// sequentially.
#include "monitor/statistics.h"

#include <cstddef>
#include <optional>
#include <string>

namespace mlpc::monitor {

/// What `computeStatistics` uses: files of 4 MiB and more are read in two halves.
inline constexpr size_t kSplitFrom = size_t{4} << 20;

/// The statistics of a CSV file with a header row, or nullopt with `error` (naming the file and
/// the row). `split`, when given, tells whether the two-half read was used.
std::optional<DatasetStats> readStatistics(const std::string& csvPath, std::string& error,
                                           size_t splitFrom, bool* split = nullptr);

} // namespace mlpc::monitor
