#pragma once
/// A monitoring window's statistics compared with a baseline's: the drift measures the language
/// names (`psi`, `ks`, `missing`) per feature, and SageMaker Model Monitor's constraint checks,
/// written as its `constraint_violations.json`.
///
/// - `psi` (population stability index): the baseline's deciles cut the values into ten bins
///   (strings: the baseline's most frequent values, plus one bin for the rest); the sum over bins
///   of (window share - baseline share) * ln(window share / baseline share), each share at least
///   0.0001 so an empty bin counts without dividing by zero.
/// - `ks`: the two-sample Kolmogorov-Smirnov statistic, the largest distance between the two
///   empirical distribution functions (numeric features only).
/// - `missing`: the percentage of the window's rows without a value for the feature.
/// The checks: data_type_check (a numeric baseline feature with text in the window),
/// completeness_check (fewer values present than the baseline's completeness), baseline_drift_check
/// (`ks` over the baseline's comparison threshold, 0.1 as suggested), missing_column_check and
/// extra_column_check (named requests only), categorical_values_check (a text value the baseline
/// never had, when its domain is known).
#include "monitor/statistics.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlpc::monitor {

struct FeatureDrift {
  std::string name;
  std::string baselineType, windowType;
  long long present = 0, missing = 0;
  bool compared = false; ///< present in both and the window has values
  double psi = 0, ks = 0, missingPercent = 0;
};

struct Violation {
  std::string feature, check, description;
};

struct DriftReport {
  long long rows = 0;
  std::vector<FeatureDrift> features;
  std::vector<Violation> violations;
  /// The worst values over all features: what a monitor's `alert` reads.
  double worstPsi = 0, worstKs = 0, worstMissing = 0;
};

/// `names`: whether the window's columns were named by the requests (JSON objects, a CSV header);
/// positional rows cannot show a missing or an extra column.
DriftReport compare(const DatasetStats& baseline, const DatasetStats& window, bool names);

/// SageMaker's `constraint_violations.json`: {"violations": [{feature_name, constraint_check_type,
/// description}]}.
nlohmann::ordered_json violationsJson(const DriftReport& r);

/// Per feature: psi, ks, missing (percent) and the types; for `mlpc monitors show`.
nlohmann::ordered_json featuresJson(const DriftReport& r);

} // namespace mlpc::monitor
