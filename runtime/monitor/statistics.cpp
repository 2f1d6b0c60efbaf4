#include "monitor/statistics.h"

#include "monitor/column_accumulator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <thread>

namespace mlpc::monitor {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kBuckets = 10;

constexpr size_t kWorkers = 2; // the machines mlpc targets have two cores or more

} // namespace

DatasetStats statisticsOf(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
  DatasetStats out;
  out.rows = static_cast<long long>(rows.size());
  std::vector<ColumnAccumulator> columns(header.size());
  // Columns are independent: each worker takes every kWorkers-th, reading the rows in order.
  auto work = [&](size_t worker) {
    for (size_t c = worker; c < header.size(); c += kWorkers)
      for (const auto& row : rows)
        columns[c].add(c < row.size() ? std::string_view(row[c]) : std::string_view());
  };
  std::vector<std::thread> workers;
  for (size_t w = 1; w < kWorkers; ++w)
    workers.emplace_back(work, w);
  work(0);
  for (auto& t : workers)
    t.join();
  for (size_t c = 0; c < header.size(); ++c)
    out.columns.push_back(columns[c].finish(header[c], kSketchSize, kTopValues));
  return out;
}

Json statisticsJson(const DatasetStats& s) {
  Json features = Json::array();
  for (auto& c : s.columns) {
    Json f{{"name", c.name}, {"inferred_type", c.inferredType}};
    Json common{{"num_present", c.present}, {"num_missing", c.missing}};
    if (c.inferredType == "Integral" || c.inferredType == "Fractional") {
      Json buckets = Json::array();
      double width = (c.max - c.min) / kBuckets;
      for (int b = 0; b < kBuckets; ++b) {
        double lo = c.min + width * b, hi = b == kBuckets - 1 ? c.max : c.min + width * (b + 1);
        long long n = 0;
        for (double v : c.sketch)
          if (v >= lo && (v < hi || (b == kBuckets - 1 && v <= hi))) ++n;
        buckets.push_back({{"lower_bound", lo}, {"upper_bound", hi}, {"count", n}});
        if (width == 0) break; // one value: one bucket
      }
      f["numerical_statistics"] = {
          {"common", common},
          {"mean", c.mean},
          {"sum", c.sum},
          {"std_dev", c.stdDev},
          {"min", c.min},
          {"max", c.max},
          {"distribution",
           {{"kll",
             {{"buckets", buckets},
              {"sketch",
               {{"parameters", {{"c", 1.0}, {"k", static_cast<double>(kSketchSize)}}},
                {"data", Json::array({c.sketch})}}}}}}}};
    } else {
      Json cat = Json::array();
      for (auto& [v, n] : c.topValues)
        cat.push_back({{"value", v}, {"count", n}});
      f["string_statistics"] = {{"common", common},
                                {"distinct_count", c.distinct},
                                {"distribution", {{"categorical", {{"buckets", cat}}}}}};
    }
    features.push_back(std::move(f));
  }
  return Json{{"version", 0.0}, {"dataset", {{"item_count", s.rows}}}, {"features", features}};
}

Json constraintsJson(const DatasetStats& s) {
  Json features = Json::array();
  for (auto& c : s.columns) {
    long long total = c.present + c.missing;
    Json f{{"name", c.name},
           {"inferred_type", c.inferredType},
           {"completeness",
            total ? static_cast<double>(c.present) / static_cast<double>(total) : 0.0}};
    if (c.inferredType == "Integral" || c.inferredType == "Fractional")
      f["num_constraints"] = {{"is_non_negative", c.present > 0 && c.min >= 0}};
    else if (c.inferredType == "String" && c.distinct <= static_cast<long long>(kTopValues)) {
      Json domain = Json::array();
      for (auto& [v, n] : c.topValues)
        domain.push_back(v);
      f["string_constraints"] = {{"domains", domain}};
    }
    features.push_back(std::move(f));
  }
  // SageMaker's defaults for a suggested baseline.
  Json config{{"evaluate_constraints", "Enabled"},
              {"emit_metrics", "Enabled"},
              {"datatype_check_threshold", 1.0},
              {"domain_content_threshold", 1.0},
              {"distribution_constraints",
               {{"perform_comparison", "Enabled"},
                {"comparison_threshold", 0.1},
                {"comparison_method", "Robust"}}}};
  return Json{{"version", 0.0}, {"features", features}, {"monitoring_config", config}};
}

} // namespace mlpc::monitor
