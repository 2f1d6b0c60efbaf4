#pragma once
/// Baseline statistics of a tabular dataset, as SageMaker Model Monitor writes them
/// (`statistics.json`) and the constraints suggested from them (`constraints.json`): what
/// `mlpc baseline DATA -o DIR` writes, like SageMaker's suggest_baseline.
///
/// Per column: the inferred type (Integral, Fractional or String, from every present value),
/// how many values are present and missing (an empty cell is missing), and for numbers the
/// mean, sum, standard deviation (population), min, max and a distribution (ten equal-width
/// buckets, and the sorted values — all of them up to 2,048, else 2,048 evenly spaced order
/// statistics, exact up to 8,192 values and from a compacting sketch beyond — in the `kll`
/// sketch's JSON shape); for strings the distinct count and the counts of the most frequent
/// values. A file is read as a stream, in memory bounded by its columns, not its rows
/// (column_accumulator.h).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mlpc::monitor {

/// A numeric column's sketch: at most this many sorted values (evenly spaced order statistics).
inline constexpr size_t kSketchSize = 2048;
/// A text column's most frequent values kept.
inline constexpr size_t kTopValues = 20;

struct ColumnStats {
  std::string name;
  std::string inferredType; ///< "Integral", "Fractional", "String" or "Unknown" (all missing)
  long long present = 0, missing = 0;
  // numbers
  double sum = 0, mean = 0, stdDev = 0, min = 0, max = 0;
  std::vector<double> sketch; ///< sorted values or evenly spaced order statistics
  // strings
  long long distinct = 0;
  bool distinctExact = true; ///< false: more distinct values than counted (a lower bound)
  std::vector<std::pair<std::string, long long>> topValues; ///< most frequent first
};

struct DatasetStats {
  long long rows = 0;
  std::vector<ColumnStats> columns;
};

/// Reads a CSV file with a header row (statistics_file.h: in two halves on two threads). nullopt
/// with `error` (naming the line) when it cannot be read: missing, empty, no header, a row with
/// another number of fields, malformed quoting.
std::optional<DatasetStats> computeStatistics(const std::string& csvPath, std::string& error);

/// The statistics of rows already in memory (a monitoring window); a row shorter than the header
/// is missing the values it lacks.
DatasetStats statisticsOf(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows);

nlohmann::ordered_json statisticsJson(const DatasetStats& s);
nlohmann::ordered_json constraintsJson(const DatasetStats& s);

} // namespace mlpc::monitor
