#include "monitor/drift.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace mlpc::monitor {

namespace {

using Json = nlohmann::ordered_json;
constexpr double kMinShare = 1e-4;
constexpr double kDriftThreshold = 0.1; // constraintsJson's comparison_threshold

bool numeric(const std::string& type) {
  return type == "Integral" || type == "Fractional";
}

double psiTerm(double expected, double actual) {
  expected = std::max(expected, kMinShare);
  actual = std::max(actual, kMinShare);
  return (actual - expected) * std::log(actual / expected);
}

/// The share of sorted `values` in each bin cut by `edges` (bin i: edges[i-1] < v <= edges[i];
/// the last bin is open above).
std::vector<double> shares(const std::vector<double>& values, const std::vector<double>& edges) {
  std::vector<double> out(edges.size() + 1, 0.0);
  if (values.empty()) return out;
  size_t prev = 0;
  for (size_t i = 0; i < edges.size(); ++i) {
    size_t upto = static_cast<size_t>(std::upper_bound(values.begin(), values.end(), edges[i]) -
                                      values.begin());
    out[i] = static_cast<double>(upto - prev) / static_cast<double>(values.size());
    prev = upto;
  }
  out.back() = static_cast<double>(values.size() - prev) / static_cast<double>(values.size());
  return out;
}

double numericPsi(const std::vector<double>& base, const std::vector<double>& win) {
  // Decile edges of the baseline, without repeats (a feature of few values has fewer bins).
  std::vector<double> edges;
  for (int k = 1; k < 10; ++k) {
    double e = base[(base.size() - 1) * static_cast<size_t>(k) / 10];
    if (edges.empty() || e > edges.back()) edges.push_back(e);
  }
  auto b = shares(base, edges), w = shares(win, edges);
  double psi = 0;
  for (size_t i = 0; i < b.size(); ++i)
    psi += psiTerm(b[i], w[i]);
  return psi;
}

double ksStatistic(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x)
      ++i;
    while (j < b.size() && b[j] <= x)
      ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / static_cast<double>(a.size()) -
                              static_cast<double>(j) / static_cast<double>(b.size())));
  }
  return d;
}

double categoricalPsi(const ColumnStats& base, const ColumnStats& win) {
  double baseTotal = static_cast<double>(base.present), winTotal = static_cast<double>(win.present);
  if (baseTotal == 0 || winTotal == 0) return 0;
  std::map<std::string, long long> winCounts(win.topValues.begin(), win.topValues.end());
  double psi = 0, baseRest = 1, winRest = 1;
  for (auto& [v, n] : base.topValues) {
    double e = static_cast<double>(n) / baseTotal;
    auto it = winCounts.find(v);
    double a = it == winCounts.end() ? 0 : static_cast<double>(it->second) / winTotal;
    psi += psiTerm(e, a);
    baseRest -= e;
    winRest -= a;
  }
  if (baseRest > 1e-9 || winRest > 1e-9)
    psi += psiTerm(std::max(0.0, baseRest), std::max(0.0, winRest));
  return psi;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", v);
  return buf;
}

} // namespace

DriftReport compare(const DatasetStats& baseline, const DatasetStats& window, bool names) {
  DriftReport r;
  r.rows = window.rows;
  std::map<std::string, const ColumnStats*> winCols;
  for (auto& c : window.columns)
    winCols[c.name] = &c;
  std::set<std::string> baseNames;
  for (auto& base : baseline.columns) {
    baseNames.insert(base.name);
    FeatureDrift f;
    f.name = base.name;
    f.baselineType = base.inferredType;
    auto it = winCols.find(base.name);
    if (it == winCols.end()) {
      if (names && window.rows > 0)
        r.violations.push_back({base.name, "missing_column_check",
                                "Baseline column '" + base.name + "' is not in the requests"});
      r.features.push_back(f);
      continue;
    }
    const ColumnStats& win = *it->second;
    f.windowType = win.inferredType;
    f.present = win.present;
    f.missing = win.missing;
    long long total = win.present + win.missing;
    f.missingPercent =
        total ? 100.0 * static_cast<double>(win.missing) / static_cast<double>(total) : 0;
    r.worstMissing = std::max(r.worstMissing, f.missingPercent);
    long long baseTotal = base.present + base.missing;
    double baseCompleteness =
        baseTotal ? static_cast<double>(base.present) / static_cast<double>(baseTotal) : 0;
    if (total && static_cast<double>(win.present) / static_cast<double>(total) < baseCompleteness)
      r.violations.push_back({base.name, "completeness_check",
                              "Data completeness " + percent(100.0 - f.missingPercent) +
                                  " is below the baseline's " + percent(100.0 * baseCompleteness)});
    if (win.present == 0) {
      r.features.push_back(f);
      continue;
    }
    if (numeric(base.inferredType) && win.inferredType == "String") {
      r.violations.push_back(
          {base.name, "data_type_check",
           "Data type " + base.inferredType + " expected; the requests have " + "text values"});
    } else if (numeric(base.inferredType) && numeric(win.inferredType) && !base.sketch.empty()) {
      f.compared = true;
      f.psi = numericPsi(base.sketch, win.sketch);
      f.ks = ksStatistic(base.sketch, win.sketch);
      if (f.ks > kDriftThreshold) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "Baseline drift distance %.4g exceeds threshold %.4g (two-sample KS)", f.ks,
                      kDriftThreshold);
        r.violations.push_back({base.name, "baseline_drift_check", buf});
      }
    } else if (base.inferredType == "String") {
      f.compared = true;
      f.psi = categoricalPsi(base, win);
      if (base.distinct == static_cast<long long>(base.topValues.size())) { // the whole domain
        std::set<std::string> domain;
        for (auto& [v, n] : base.topValues)
          domain.insert(v);
        long long outside = 0;
        for (auto& [v, n] : win.topValues)
          if (!domain.count(v)) outside += n;
        if (outside > 0)
          r.violations.push_back(
              {base.name, "categorical_values_check",
               std::to_string(outside) + " value(s) outside the baseline's domain"});
      }
    }
    r.worstPsi = std::max(r.worstPsi, f.psi);
    r.worstKs = std::max(r.worstKs, f.ks);
    r.features.push_back(f);
  }
  if (names && window.rows > 0)
    for (auto& c : window.columns)
      if (!baseNames.count(c.name))
        r.violations.push_back({c.name, "extra_column_check",
                                "Column '" + c.name + "' is in the requests, not in the baseline"});
  return r;
}

Json violationsJson(const DriftReport& r) {
  Json v = Json::array();
  for (auto& x : r.violations)
    v.push_back({{"feature_name", x.feature},
                 {"constraint_check_type", x.check},
                 {"description", x.description}});
  return Json{{"violations", v}};
}

Json featuresJson(const DriftReport& r) {
  Json out = Json::array();
  for (auto& f : r.features) {
    Json j{{"name", f.name},
           {"baseline_type", f.baselineType},
           {"window_type", f.windowType.empty() ? Json() : Json(f.windowType)},
           {"present", f.present},
           {"missing_percent", f.windowType.empty() ? Json() : Json(f.missingPercent)}};
    j["psi"] = f.compared ? Json(f.psi) : Json();
    j["ks"] = f.compared && numeric(f.baselineType) ? Json(f.ks) : Json();
    out.push_back(j);
  }
  return out;
}

} // namespace mlpc::monitor
