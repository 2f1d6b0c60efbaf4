#include "monitor/statistics.h"

#include "monitor/csv_rows.h"

#include <csv.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>

namespace mlpc::monitor {

namespace {

using Json = nlohmann::ordered_json;
constexpr size_t kSketchSize = 2048;
constexpr size_t kTopValues = 20;
constexpr int kBuckets = 10;
const std::string kNoValue; // a row shorter than the header: the value is missing

bool parseNumber(const std::string& s, double& out, bool& integral) {
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

std::optional<DatasetStats> computeStatistics(const std::string& csvPath, std::string& error) {
  std::ifstream in(csvPath, std::ios::binary);
  if (!in) {
    error = csvPath + ": cannot open";
    return std::nullopt;
  }
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    error = "cannot start the CSV reader";
    return std::nullopt;
  }
  CsvRows r;
  char buf[65536];
  bool ok = true;
  while (ok && in) {
    in.read(buf, sizeof buf);
    size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (csv_parse(&p, buf, n, CsvRows::field, CsvRows::end, &r) != n) ok = false;
  }
  if (ok && csv_fini(&p, CsvRows::field, CsvRows::end, &r) != 0) ok = false;
  if (!ok) {
    error = csvPath + ": not valid CSV after row " + std::to_string(r.rows.size()) + ": " +
            csv_strerror(csv_error(&p));
    csv_free(&p);
    return std::nullopt;
  }
  csv_free(&p);
  if (r.rows.empty()) {
    error = csvPath + ": empty (no header row)";
    return std::nullopt;
  }
  std::vector<std::string> header = std::move(r.rows[0]);
  r.rows.erase(r.rows.begin());
  for (size_t i = 0; i < r.rows.size(); ++i)
    if (r.rows[i].size() != header.size()) {
      error = csvPath + ": row " + std::to_string(i + 2) + " has " +
              std::to_string(r.rows[i].size()) + " fields, the header has " +
              std::to_string(header.size());
      return std::nullopt;
    }
  return statisticsOf(header, r.rows);
}

DatasetStats statisticsOf(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
  DatasetStats out;
  out.rows = static_cast<long long>(rows.size());
  for (size_t c = 0; c < header.size(); ++c) {
    ColumnStats col;
    col.name = header[c];
    std::vector<double> nums;
    std::map<std::string, long long> counts;
    bool allNumeric = true, allIntegral = true;
    for (const auto& row : rows) {
      const std::string& v = c < row.size() ? row[c] : kNoValue;
      if (v.empty()) {
        ++col.missing;
        continue;
      }
      ++col.present;
      ++counts[v];
      double d = 0;
      bool integral = false;
      if (allNumeric && parseNumber(v, d, integral)) {
        nums.push_back(d);
        allIntegral = allIntegral && integral;
      } else {
        allNumeric = false;
      }
    }
    if (col.present == 0) {
      col.inferredType = "Unknown";
    } else if (allNumeric) {
      col.inferredType = allIntegral ? "Integral" : "Fractional";
      std::sort(nums.begin(), nums.end());
      for (double d : nums)
        col.sum += d;
      col.mean = col.sum / static_cast<double>(nums.size());
      double sq = 0;
      for (double d : nums)
        sq += (d - col.mean) * (d - col.mean);
      col.stdDev = std::sqrt(sq / static_cast<double>(nums.size()));
      col.min = nums.front();
      col.max = nums.back();
      if (nums.size() <= kSketchSize) {
        col.sketch = nums;
      } else {
        for (size_t k = 0; k < kSketchSize; ++k)
          col.sketch.push_back(nums[k * (nums.size() - 1) / (kSketchSize - 1)]);
      }
    } else {
      col.inferredType = "String";
      col.distinct = static_cast<long long>(counts.size());
      std::vector<std::pair<std::string, long long>> byCount(counts.begin(), counts.end());
      std::stable_sort(byCount.begin(), byCount.end(),
                       [](auto& a, auto& b) { return a.second > b.second; });
      if (byCount.size() > kTopValues) byCount.resize(kTopValues);
      col.topValues = std::move(byCount);
    }
    out.columns.push_back(std::move(col));
  }
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
