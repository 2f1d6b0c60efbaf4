#include "report_monitor.h"

#include "history_support.h"
#include "report_charts.h"
#include "report_html.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>

namespace mlpc::cli::report {

namespace {

using Json = nlohmann::json;

/// One feature's values in one execution, as `featuresJson` recorded them (null: not compared).
struct FeaturePoint {
  std::optional<double> psi, ks, missing;
};

std::optional<double> numberAt(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string opt(const std::optional<double>& v) {
  return v ? num(*v) : std::string("-");
}

std::string statusClassOf(const std::string& s) {
  if (s == "Completed") return "st-succeeded";
  if (s == "CompletedWithViolations" || s == "Failed") return "st-failed";
  return "st-skipped"; // NoData and anything newer
}

void summary(std::string& o, const MonitorReport& d) {
  const auto& last = d.executions.back();
  size_t alerts = 0, retrains = 0;
  for (auto& e : d.executions) {
    alerts += e.alert ? 1 : 0;
    retrains += e.runId ? 1 : 0;
  }
  o += "<section data-testid=\"summary\"><h1>Monitor <span class=\"mono\" "
       "data-testid=\"monitor-name\">" +
       esc(d.name) + "</span></h1><dl class=\"kv\">";
  auto fact = [&](const std::string& k, const std::string& v, const char* id) {
    o += "<dt>" + esc(k) + "</dt><dd data-testid=\"" + id + "\">" + v + "</dd>";
  };
  fact("endpoint", "<code>" + esc(last.endpoint) + "</code>", "endpoint");
  fact("baseline",
       esc(last.baseline) + (last.baselineHash
                                 ? " <span class=\"muted\">(stored as <code>baseline:" +
                                       esc(last.baselineHash->substr(0, 12)) + "</code>)</span>"
                                 : std::string()),
       "baseline");
  fact("executions", std::to_string(d.executions.size()), "execution-count");
  fact("alerts", std::to_string(alerts), "alert-count");
  fact("retraining runs", std::to_string(retrains), "retrain-count");
  fact("first window ends", esc(formatTime(d.executions.front().windowEnd)) + " UTC", "first");
  fact("last window ends", esc(formatTime(last.windowEnd)) + " UTC", "last");
  o += "</dl></section>\n";
}

void executions(std::string& o, const MonitorReport& d) {
  o += "<section data-testid=\"executions\"><h2>Executions</h2><table><thead><tr><th>id</th>"
       "<th>window end (UTC)</th><th>served</th><th>status</th><th>rows</th><th>skipped</th>"
       "<th>psi</th><th>ks</th><th>missing %</th><th>violations</th><th>alert</th>"
       "<th>retraining run</th></tr></thead><tbody>";
  for (auto& e : d.executions) {
    std::string served =
        e.modelVersion ? e.modelGroup + " v" + std::to_string(*e.modelVersion) : std::string("-");
    std::string retrain = "-";
    if (e.runId || e.retrainStatus)
      retrain =
          "<code>" + esc(e.runId.value_or("")) + "</code> " + esc(e.retrainStatus.value_or(""));
    else if (e.alert && !e.retrainDetail.empty())
      retrain = esc(e.retrainDetail);
    o += "<tr data-testid=\"execution\" data-id=\"" + std::to_string(e.id) + "\" data-status=\"" +
         esc(e.status) + "\" data-alert=\"" + (e.alert ? "true" : "false") +
         "\"><td class=\"num\">" + std::to_string(e.id) + "</td><td>" +
         esc(formatTime(e.windowEnd)) + "</td><td>" + esc(served) +
         "</td><td><span class=\"badge " + statusClassOf(e.status) + "\">" + esc(e.status) +
         "</span>" + (e.detail.empty() ? "" : "<br><small>" + esc(e.detail) + "</small>") +
         "</td><td class=\"num\">" + std::to_string(e.rows) + "</td><td class=\"num\">" +
         std::to_string(e.skipped) + "</td><td class=\"num\">" + esc(opt(e.psi)) +
         "</td><td class=\"num\">" + esc(opt(e.ks)) + "</td><td class=\"num\">" +
         esc(opt(e.missing)) + "</td><td class=\"num\">" + std::to_string(e.violations) +
         "</td><td>" + (e.alert ? "yes" : "no") + "</td><td>" + retrain + "</td></tr>";
  }
  o += "</tbody></table></section>\n";
}

/// Per feature, per measure: the executions that compared it, in time order.
void drift(std::string& o, const MonitorReport& d) {
  o += "<section data-testid=\"drift\"><h2>Drift over time, per feature</h2>";
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::pair<const meta::MonitorExecutionRow*, FeaturePoint>>>
      byFeature;
  for (auto& e : d.executions) {
    Json features = Json::parse(e.featuresJson, nullptr, false);
    if (!features.is_array()) continue;
    for (auto& f : features) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) continue;
      std::string name = f["name"].get<std::string>();
      FeaturePoint p{numberAt(f, "psi"), numberAt(f, "ks"), numberAt(f, "missing_percent")};
      if (!p.psi && !p.ks && !p.missing) continue;
      if (!byFeature.count(name)) order.push_back(name);
      byFeature[name].push_back({&e, p});
    }
  }
  if (order.empty()) {
    o += "<p class=\"muted\">No execution has compared traffic with the baseline yet (too little "
         "traffic is recorded as NoData).</p></section>\n";
    return;
  }
  o += "<p class=\"muted\">Each chart: one drift measure of one feature in every execution that "
       "compared it, oldest to newest; the newest is the larger orange point. psi: population "
       "stability index over the baseline's deciles; ks: two-sample Kolmogorov–Smirnov statistic; "
       "missing: the percentage of rows without a value.</p>";
  const auto& lastId = d.executions.back().id;
  for (auto& name : order) {
    o += "<div class=\"feature\" data-testid=\"feature\" data-name=\"" + esc(name) + "\"><h3>" +
         esc(name) + "</h3><div class=\"charts\">";
    auto chart = [&](const char* measure, std::optional<double> FeaturePoint::*field) {
      std::vector<MetricPoint> pts;
      for (auto& [e, p] : byFeature[name])
        if (auto v = p.*field)
          pts.push_back({"execution " + std::to_string(e->id), e->windowEnd, *v, e->id == lastId});
      if (pts.empty()) return;
      o += "<div class=\"chart\" data-testid=\"drift-chart\" data-measure=\"" +
           std::string(measure) + "\"><h4>" + measure + "</h4>" +
           metricChartSvg(name + " " + measure, pts, "execution") + "</div>";
    };
    chart("psi", &FeaturePoint::psi);
    chart("ks", &FeaturePoint::ks);
    chart("missing", &FeaturePoint::missing);
    o += "</div></div>";
  }
  o += "</section>\n";
}

} // namespace

std::string renderMonitorReport(const MonitorReport& d) {
  std::string o;
  o.reserve(64 * 1024);
  o += pageStart("Monitor " + d.name + " — mlpc report", d.mlpcVersion);
  if (d.executions.empty()) {
    o += "<section data-testid=\"summary\"><h1>Monitor " + esc(d.name) +
         "</h1><p class=\"muted\">No monitoring execution is recorded.</p></section>\n";
  } else {
    summary(o, d);
    drift(o, d);
    executions(o, d);
  }
  o += "<footer>Written by mlpc " + esc(d.mlpcVersion) +
       " (<code>mlpc report monitor:" + esc(d.name) +
       "</code>). Times are UTC.</footer>\n</main>\n</body>\n</html>\n";
  return o;
}

} // namespace mlpc::cli::report
