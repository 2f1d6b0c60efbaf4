// The HTML of `mlpc report`: one self-contained page (inline CSS and SVG, no scripts, no
// network) with the run's header and parameters, its DAG, timeline, metrics and the model
// versions it registered with their lineage.
#include "report_page.h"

#include "history_support.h"
#include "report_charts.h"
#include "report_dag.h"
#include "report_html.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace mlpc::cli::report {

namespace {

/// A metrics object's leaves by dotted path: nested metrics (`{regression: {mse: {value: 1}}}`)
/// get one column each (`regression.mse.value`), as `models show` and `runs --sort` name them.
std::vector<std::pair<std::string, plan::Json>> flattenRecords(const plan::Json& j,
                                                               const std::string& prefix = "") {
  std::vector<std::pair<std::string, plan::Json>> out;
  for (auto& [k, x] : j.items()) {
    std::string path = prefix.empty() ? k : prefix + "." + k;
    if (x.is_object()) {
      auto inner = flattenRecords(x, path);
      out.insert(out.end(), inner.begin(), inner.end());
    } else {
      out.emplace_back(path, x);
    }
  }
  return out;
}

std::string runStatusClass(meta::RunStatus s) {
  switch (s) {
  case meta::RunStatus::Succeeded:
    return "succeeded";
  case meta::RunStatus::Failed:
    return "failed";
  case meta::RunStatus::Running:
    return "running";
  case meta::RunStatus::Interrupted:
    return "interrupted";
  }
  return "not-run";
}

std::string versionStatusClass(const std::string& s) {
  if (s == "Approved") return "succeeded";
  if (s == "Rejected") return "failed";
  if (s == "PendingManualApproval") return "skipped";
  return "control";
}

std::string shortStep(const std::string& key) {
  return key.rfind("std/", 0) == 0 ? key.substr(4) : key;
}

/// A JSON value as a person reads it: strings without quotes, the rest as JSON.
std::string valueText(const plan::Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return num(v.get<double>());
  return v.dump();
}

/// The plan node an execution key belongs to: `m[2]` -> `m`, `t#shard1` -> `t`.
std::string nodeOfKey(std::string key) {
  if (auto p = key.rfind("#shard");
      p != std::string::npos && key.find_first_not_of("0123456789", p + 6) == std::string::npos)
    key.resize(p);
  while (!key.empty() && key.back() == ']') {
    auto open = key.rfind('[');
    if (open == std::string::npos) break;
    key.resize(open);
  }
  return key;
}

double execEnd(const meta::ExecutionRecord& e, const meta::RunRecord& run) {
  if (e.finishedAt) return *e.finishedAt;
  return std::max(e.startedAt, run.finishedAt.value_or(e.startedAt));
}

// ---- node states ------------------------------------------------------------------------

void collectIds(const std::vector<plan::Node>& list, std::vector<std::string>& out) {
  for (auto& n : list) {
    out.push_back(n.id);
    for (auto* c : n.children())
      collectIds(*c, out);
  }
}

std::map<std::string, NodeState> nodeStates(const ReportData& d) {
  std::map<std::string, std::vector<const meta::ExecutionRecord*>> byNode;
  for (auto& e : d.executions)
    byNode[nodeOfKey(e.node)].push_back(&e);
  auto aggregate = [&](const std::vector<const meta::ExecutionRecord*>& es) {
    NodeState st;
    if (es.empty()) return st;
    int failed = 0, running = 0, skipped = 0, cached = 0, ok = 0;
    double total = 0;
    for (auto* e : es) {
      std::string s = statusClass(meta::toString(e->status));
      failed += s == "failed";
      running += s == "running";
      skipped += s == "skipped";
      cached += s == "cached";
      ok += s == "succeeded";
      if (s != "cached") total += execEnd(*e, d.run) - e->startedAt;
    }
    st.status = failed    ? "failed"
                : running ? "running"
                : skipped ? "skipped"
                : ok      ? "succeeded"
                          : "cached";
    if (es.size() > 1) {
      st.note = std::to_string(es.size()) + "×";
      if (cached && cached < static_cast<int>(es.size()))
        st.note += ", " + std::to_string(cached) + " cached";
      if (failed) st.note += ", " + std::to_string(failed) + " failed";
    } else if (st.status != "cached") {
      st.note = formatDuration(total);
    }
    return st;
  };
  std::map<std::string, NodeState> out;
  std::map<std::string, std::vector<int64_t>> registered;
  for (auto& v : d.versions)
    registered[v.version.group].push_back(v.version.version);
  if (!d.plan) return out;
  std::function<std::vector<const meta::ExecutionRecord*>(const std::vector<plan::Node>&)> walk =
      [&](const std::vector<plan::Node>& list) {
        std::vector<const meta::ExecutionRecord*> all;
        for (auto& n : list) {
          const std::string& id = n.id;
          const std::string kind = n.kindName();
          std::vector<const meta::ExecutionRecord*> mine;
          for (auto* c : n.children()) {
            auto inner = walk(*c);
            mine.insert(mine.end(), inner.begin(), inner.end());
          }
          if (auto it = byNode.find(id); it != byNode.end())
            mine.insert(mine.end(), it->second.begin(), it->second.end());
          NodeState st;
          if (kind == "call" || kind == "transform" || kind == "for") {
            st = aggregate(mine);
            if (kind == "for" && !mine.empty())
              st.note = std::to_string(mine.size()) + " executions";
          } else if (kind == "register") {
            const std::string& g = n.as<plan::RegisterNode>()->group;
            if (registered.count(g)) {
              st.status = "succeeded";
              st.note = "version";
              for (auto v : registered[g])
                st.note += " " + std::to_string(v);
            } else {
              st = {"control", "no new version"};
            }
          } else if (kind == "if") {
            // A branch with something that ran (or registered) was taken; the other was not.
            std::vector<std::string> ids[2];
            bool ran[2] = {false, false};
            for (int b = 0; b < 2; ++b) {
              collectIds(b ? n.as<plan::IfNode>()->otherwise : n.as<plan::IfNode>()->then, ids[b]);
              for (auto& x : ids[b])
                if (auto it = out.find(x); it != out.end())
                  ran[b] =
                      ran[b] || (it->second.status != "control" && it->second.status != "not-run");
            }
            st = {"control", "decided at run time"};
            for (int b = 0; b < 2; ++b)
              if (ran[b] && !ran[1 - b]) {
                st.note = b ? "took else" : "took then";
                for (auto& x : ids[1 - b])
                  out[x] = {"not-run", "branch not taken"};
              }
          } else if (kind == "value") {
            st = {"control", "computed value"};
          } else if (kind == "fail") {
            // The run's message names the range of the statement that failed it.
            const std::string& range = n.range;
            bool here = !range.empty() && d.run.status == meta::RunStatus::Failed &&
                        d.run.message.find("(" + range + ")") != std::string::npos;
            st = here ? NodeState{"failed", "stopped the run"} : NodeState{"control", ""};
          } else {
            st = {"control", ""};
          }
          out[id] = st;
          all.insert(all.end(), mine.begin(), mine.end());
        }
        return all;
      };
  walk(d.plan->nodes);
  return out;
}

// ---- sections ------------------------------------------------------------------------------

void header(std::string& o, const ReportData& d) {
  const auto& r = d.run;
  std::string sc = runStatusClass(r.status);
  o += "<section data-testid=\"summary\"><h1>Run <span class=\"mono\" data-testid=\"run-id\">" +
       esc(r.id) + "</span></h1>";
  o += "<div>pipeline <b data-testid=\"pipeline\">" + esc(r.pipeline) +
       "</b> &nbsp;<span class=\"badge st-" + sc + "\" data-testid=\"run-status\">" +
       esc(meta::toString(r.status)) + "</span></div>";
  o += "<dl class=\"kv\">";
  auto row = [&](const std::string& k, const std::string& htmlValue) {
    o += "<dt>" + esc(k) + "</dt><dd>" + htmlValue + "</dd>";
  };
  row("started", esc(formatTime(r.startedAt) + " UTC"));
  row("duration", r.finishedAt ? esc(formatDuration(*r.finishedAt - r.startedAt))
                               : "<span class=\"muted\">still running or never finished</span>");
  row("entry", "<code data-testid=\"entry\">" + esc(r.entry) + "</code>");
  row("steps", esc(std::to_string(r.counts.ran) + " ran, " + std::to_string(r.counts.cached) +
                   " cached, " + std::to_string(r.counts.failed) + " failed, " +
                   std::to_string(r.counts.skipped) + " skipped"));
  if (!r.host.empty())
    row("host", esc(r.host + (r.pid ? " (pid " + std::to_string(r.pid) + ")" : "")));
  row("plan", "<code>" + esc(shortHash(r.planHash)) + "</code>");
  row("message", r.message.empty() ? "<span class=\"muted\">none</span>"
                                   : "<pre data-testid=\"message\">" + esc(r.message) + "</pre>");
  o += "</dl></section>\n";
}

void params(std::string& o, const ReportData& d) {
  o += "<section data-testid=\"params\"><h2>Parameters</h2>";
  plan::Json given = plan::Json::parse(d.run.paramsJson, nullptr, false);
  std::map<std::string, const plan::PipelineParam*> declared;
  if (d.plan)
    for (auto& p : d.plan->pipeline.params)
      declared[p.name] = &p;
  if (!given.is_object() || given.empty()) {
    o += "<p class=\"muted\">This pipeline takes no parameters.</p></section>\n";
    return;
  }
  o += "<table><thead><tr><th>name</th><th>value</th><th>type</th><th>default</th></tr></thead>"
       "<tbody>";
  for (auto& [k, v] : given.items()) {
    const plan::PipelineParam* decl = declared.count(k) ? declared[k] : nullptr;
    std::string type = decl ? decl->type : "";
    bool hasDefault = decl && decl->defaultValue.has_value();
    bool changed = hasDefault && *decl->defaultValue != v;
    o += "<tr data-testid=\"param\" data-name=\"" + esc(k) + "\"><td><code>" + esc(k) +
         "</code></td><td><code data-testid=\"param-value\">" + esc(valueText(v)) + "</code>" +
         (changed ? " <span class=\"muted\">(set)</span>" : "") + "</td><td>" + esc(type) +
         "</td><td>" +
         (hasDefault ? "<code>" + esc(valueText(*decl->defaultValue)) + "</code>" : "") +
         "</td></tr>";
  }
  o += "</tbody></table></section>\n";
}

void dag(std::string& o, const ReportData& d) {
  o += "<section data-testid=\"dag\"><h2>Pipeline graph</h2>";
  if (!d.plan) {
    o += "<p class=\"muted\">" + esc(d.planNote) + "</p></section>\n";
    return;
  }
  DagLayout layout = layoutDag(*d.plan);
  o += "<div class=\"scroll\">" + dagSvg(layout, nodeStates(d)) + "</div>";
  o += "<div class=\"legend\" data-testid=\"dag-legend\">";
  for (auto [cls, text] : std::initializer_list<std::pair<const char*, const char*>>{
           {"succeeded", "succeeded"},
           {"cached", "cached"},
           {"failed", "failed"},
           {"skipped", "skipped"},
           {"not-run", "not run"},
           {"control", "no execution (value, branch, register)"}})
    o += std::string("<span class=\"st-") + cls + "\">" + text + "</span>";
  o += "<span class=\"muted\">dashed arrows: what a for/if holds</span></div></section>\n";
}

void timeline(std::string& o, const ReportData& d) {
  o += "<section data-testid=\"timeline\"><h2>Timeline</h2>";
  if (d.executions.empty()) {
    o += "<p class=\"muted\">No step ran in this run.</p></section>\n";
    return;
  }
  double t0 = d.run.startedAt;
  std::vector<TimelineBar> bars;
  for (auto& e : d.executions) {
    TimelineBar b;
    b.label = e.node;
    b.sub = shortStep(e.step);
    b.status = statusClass(meta::toString(e.status));
    b.cached = e.status == meta::ExecStatus::Cached;
    b.start = std::max(0.0, e.startedAt - t0);
    b.end = std::max(b.start, execEnd(e, d.run) - t0);
    b.tooltip = e.node + " (" + e.step + "): " + std::string(meta::toString(e.status));
    if (b.cached)
      b.tooltip += e.cachedFrom ? ", reused execution #" + std::to_string(*e.cachedFrom) : "";
    else
      b.tooltip += ", " + formatDuration(b.end - b.start) + " from +" + formatDuration(b.start);
    if (!e.command.empty()) b.tooltip += "\n" + ellipsize(e.command, 300);
    bars.push_back(std::move(b));
  }
  double span = d.run.finishedAt ? *d.run.finishedAt - t0 : 0;
  o += "<div class=\"scroll\">" + timelineSvg(bars, span) + "</div>";
  o += "<h3>Steps</h3><table data-testid=\"steps\"><thead><tr><th>step</th><th>called</th>"
       "<th>status</th><th>time</th><th>tries</th><th>cached from</th><th>source</th></tr>"
       "</thead><tbody>";
  for (auto& e : d.executions) {
    std::string sc = statusClass(meta::toString(e.status));
    double dur = execEnd(e, d.run) - e.startedAt;
    o += "<tr data-testid=\"step-row\" data-node=\"" + esc(e.node) + "\"><td><code>" + esc(e.node) +
         "</code></td><td>" + esc(e.step) + "</td><td><span class=\"st-" + sc + "\">" +
         esc(meta::toString(e.status)) + "</span></td><td class=\"num\">" +
         (e.status == meta::ExecStatus::Cached ? "" : esc(formatDuration(dur))) +
         "</td><td class=\"num\">" + std::to_string(e.attempts) + "</td><td>" +
         (e.cachedFrom ? "#" + std::to_string(*e.cachedFrom) : "") + "</td><td class=\"muted\">" +
         esc(e.source) + "</td></tr>";
  }
  o += "</tbody></table>";
  for (auto& e : d.executions)
    if (!e.error.empty())
      o += "<h3>" + esc(e.node) + " " + esc(meta::toString(e.status)) + "</h3><pre>" +
           esc(e.error) + "</pre>";
  o += "</section>\n";
}

/// A metric series: by name, or by name and node when the run recorded a name at several nodes.
struct Series {
  std::string key, name, node;
};

void metrics(std::string& o, const ReportData& d) {
  o += "<section data-testid=\"metrics\"><h2>Metrics</h2>";
  if (d.metrics.empty() && d.iterations.empty()) {
    o += "<p class=\"muted\">This run recorded no metrics.</p></section>\n";
    return;
  }
  std::map<std::string, std::set<std::string>> nodesOf;
  for (auto& m : d.metrics)
    nodesOf[m.name].insert(m.node);
  std::vector<Series> series;
  std::set<std::string> seen;
  for (auto& m : d.metrics) {
    bool several = nodesOf[m.name].size() > 1;
    Series s{several ? m.name + "@" + m.node : m.name, m.name, several ? m.node : ""};
    if (seen.insert(s.key).second) series.push_back(s);
  }
  auto valueIn = [](const RunMetrics& r, const Series& s) -> std::optional<double> {
    std::optional<double> v;
    for (auto& m : r.metrics)
      if (m.name == s.name && (s.node.empty() || m.node == s.node)) v = m.value;
    return v;
  };
  std::vector<std::vector<MetricPoint>> points(series.size());
  for (size_t i = 0; i < series.size(); ++i)
    for (auto& r : d.history)
      if (auto v = valueIn(r, series[i]))
        points[i].push_back({r.runId, r.startedAt, *v, r.runId == d.run.id});
  o += "<table><thead><tr><th>metric</th><th>value</th><th>step</th><th>runs</th><th>min</th>"
       "<th>max</th></tr></thead><tbody>";
  for (size_t i = 0; i < series.size(); ++i) {
    double lo = 0, hi = 0, cur = 0;
    std::string node = series[i].node;
    for (size_t k = 0; k < points[i].size(); ++k) {
      double v = points[i][k].value;
      lo = k ? std::min(lo, v) : v;
      hi = k ? std::max(hi, v) : v;
      if (points[i][k].current) cur = v;
    }
    if (node.empty())
      for (auto& m : d.metrics)
        if (m.name == series[i].name) node = m.node;
    o += "<tr data-testid=\"metric\" data-name=\"" + esc(series[i].key) + "\"><td><code>" +
         esc(series[i].key) + "</code></td><td class=\"num\" data-testid=\"metric-value\">" +
         esc(num(cur)) + "</td><td>" + esc(node) + "</td><td class=\"num\">" +
         std::to_string(points[i].size()) + "</td><td class=\"num\">" + esc(num(lo)) +
         "</td><td class=\"num\">" + esc(num(hi)) + "</td></tr>";
  }
  o += "</tbody></table>";
  if (!d.iterations.empty()) {
    // A sweep's candidates: each iteration's values under its index, apart from the headline.
    o += "<h3>Per iteration</h3><table data-testid=\"iteration-metrics\"><thead><tr><th>step</th>"
         "<th>metric</th><th>value</th></tr></thead><tbody>";
    for (auto& m : d.iterations)
      o += "<tr data-testid=\"iteration-metric\"><td>" + esc(m.node) + "</td><td><code>" +
           esc(m.name) + "</code></td><td class=\"num\">" + esc(num(m.value)) + "</td></tr>";
    o += "</tbody></table>";
  }
  o += "<p class=\"muted\">Each chart: the metric in every run of <b>" + esc(d.run.pipeline) +
       "</b> that recorded it, oldest to newest; this run is the larger orange point.</p>";
  o += "<div class=\"charts\">";
  for (size_t i = 0; i < series.size(); ++i)
    o += "<div class=\"chart\" data-testid=\"metric-chart-" + esc(series[i].key) + "\"><h3>" +
         esc(series[i].key) + "</h3>" + metricChartSvg(series[i].key, points[i]) + "</div>";
  o += "</div></section>\n";
}

std::string argsText(const meta::ExecutionRecord& e) {
  plan::Json a = plan::Json::parse(e.paramsJson, nullptr, false);
  if (a.is_discarded() || !a.is_object() || !a.contains("args") || !a["args"].is_object())
    return "";
  std::string s;
  for (auto& [k, v] : a["args"].items()) {
    if (v.is_object() && v.contains("sha256")) continue;
    s += (s.empty() ? "" : ", ") + k + "=" + v.dump();
  }
  return s;
}

std::string lineageHtml(const LineageGraph& g, const std::string& root) {
  std::string o;
  std::set<std::string> printed;
  std::function<void(const std::string&, const std::string&)> art = [&](const std::string& h,
                                                                        const std::string& name) {
    o += "<li data-testid=\"lineage-artifact\">";
    if (!name.empty()) o += "<b>" + esc(name) + "</b>: ";
    o += "<code title=\"" + esc(h) + "\">" + esc(shortHash(h)) + "</code>";
    if (auto it = g.artifacts.find(h); it != g.artifacts.end()) {
      if (!it->second.type.empty()) o += " " + esc(it->second.type);
      o += " <span class=\"muted\">(" + std::to_string(it->second.size) + " bytes)</span>";
    }
    auto p = g.producer.find(h);
    if (p == g.producer.end() || !g.executions.count(p->second)) {
      o += " <span class=\"muted\">← source data</span></li>";
      return;
    }
    if (!printed.insert(h).second) {
      o += " <span class=\"muted\">← execution #" + std::to_string(p->second) +
           ", shown above</span></li>";
      return;
    }
    const auto& e = g.executions.at(p->second);
    o += "<div>← made by <b data-testid=\"lineage-step\">" + esc(e.node) + "</b> (" + esc(e.step) +
         ") in run <code>" + esc(e.runId) + "</code>, execution #" + std::to_string(e.id) +
         ", <span class=\"st-" + statusClass(meta::toString(e.status)) + "\">" +
         esc(meta::toString(e.status)) + "</span>";
    if (e.finishedAt) o += " in " + esc(formatDuration(*e.finishedAt - e.startedAt));
    o += "</div>";
    if (!e.command.empty())
      o += "<code class=\"cmd\" data-testid=\"lineage-command\">" + esc(e.command) + "</code>";
    if (!e.image.empty()) o += "<div>image <code>" + esc(e.image) + "</code></div>";
    if (std::string a = argsText(e); !a.empty())
      o += "<div>params <code>" + esc(a) + "</code></div>";
    if (auto c = g.code.find(e.id); c != g.code.end() && !c->second.empty()) {
      o += "<div>code";
      for (auto& ref : c->second)
        o += " <code>" + esc(ref.path) + "</code> <code class=\"muted\" title=\"" + esc(ref.hash) +
             "\">" + esc(shortHash(ref.hash)) + "</code>";
      o += "</div>";
    }
    if (auto in = g.inputs.find(e.id); in != g.inputs.end() && !in->second.empty()) {
      o += "<ul class=\"lineage\">";
      for (auto& b : in->second)
        art(b.artifact.hash, b.name);
      o += "</ul>";
    }
    o += "</li>";
  };
  o += "<ul class=\"lineage top\">";
  art(root, "model");
  o += "</ul>";
  return o;
}

void versions(std::string& o, const ReportData& d) {
  o += "<section data-testid=\"versions\"><h2>Model versions registered by this run</h2>";
  if (d.versions.empty()) {
    o += "<p class=\"muted\">This run registered no model versions.</p></section>\n";
    return;
  }
  for (auto& vr : d.versions) {
    const auto& v = vr.version;
    o += "<div class=\"version\" data-testid=\"version\" data-group=\"" + esc(v.group) +
         "\" data-version=\"" + std::to_string(v.version) + "\">";
    o += "<h3>" + esc(v.group) + " version " + std::to_string(v.version) +
         " &nbsp;<span class=\"badge st-" + versionStatusClass(v.status) +
         "\" data-testid=\"version-status\">" + esc(v.status) + "</span></h3>";
    o += "<dl class=\"kv\"><dt>artifact</dt><dd><code>" + esc(v.artifactHash) + "</code></dd>";
    o += "<dt>registered</dt><dd>" + esc(formatTime(v.createdAt)) + " UTC</dd>";
    plan::Json tags = plan::Json::parse(v.tagsJson, nullptr, false);
    if (tags.is_object() && !tags.empty()) {
      o += "<dt>tags</dt><dd>";
      for (auto& [k, t] : tags.items())
        o += "<code>" + esc(k) + "=" + esc(valueText(t)) + "</code> ";
      o += "</dd>";
    }
    o += "</dl>";
    plan::Json mj = plan::Json::parse(v.metricsJson, nullptr, false);
    if (mj.is_object() && !mj.empty()) {
      std::string names, values;
      for (auto& [k, x] : flattenRecords(mj)) {
        names += "<th>" + esc(k) + "</th>";
        values += "<td class=\"num\">" + esc(x.is_number() ? num(x.get<double>()) : valueText(x)) +
                  "</td>";
      }
      o += "<table data-testid=\"version-metrics\"><thead><tr>" + names +
           "</tr></thead><tbody><tr>" + values + "</tr>";
      o += "</tbody></table>";
    }
    o += "<h3>Approval history</h3><table data-testid=\"version-history\"><thead><tr>"
         "<th>when (UTC)</th><th>change</th><th>who</th><th>comment</th></tr></thead><tbody>";
    for (auto& e : vr.events)
      o += "<tr><td>" + esc(formatTime(e.at)) + "</td><td>" +
           esc(e.fromStatus ? *e.fromStatus + " → " + e.toStatus : "registered as " + e.toStatus) +
           "</td><td>" + esc(e.actor) + "</td><td>" + esc(e.comment) + "</td></tr>";
    o += "</tbody></table>";
    o += "<h3>Lineage</h3>";
    if (vr.lineage)
      o += "<div data-testid=\"lineage\">" + lineageHtml(*vr.lineage, v.artifactHash) + "</div>";
    else
      o += "<p class=\"muted\">cannot read the lineage: " + esc(vr.lineageError) + "</p>";
    o += "</div>";
  }
  o += "</section>\n";
}

} // namespace

std::string renderReport(const ReportData& d) {
  std::string o;
  o.reserve(64 * 1024);
  o += pageStart("Run " + d.run.id + " of " + d.run.pipeline + " — mlpc report", d.mlpcVersion);
  header(o, d);
  params(o, d);
  dag(o, d);
  timeline(o, d);
  metrics(o, d);
  versions(o, d);
  o += "<footer>Written by mlpc " + esc(d.mlpcVersion) + " (<code>mlpc report " + esc(d.run.id) +
       "</code>). Times are UTC.</footer>\n</main>\n</body>\n</html>\n";
  return o;
}

} // namespace mlpc::cli::report
