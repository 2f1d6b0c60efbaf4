#pragma once
/// Turns a Metrics output (a JSON document) into metric rows: every numeric field, nested
/// objects joined with '.', array elements as `name[i]` (e.g. `eval.f1`, `losses[3]`).
/// Booleans, strings and nulls are not metrics and are skipped.
#include "meta/records.h"

#include <string_view>
#include <vector>

namespace mlpc::meta {

Result<std::vector<Metric>> numericMetrics(std::string_view json);

} // namespace mlpc::meta
