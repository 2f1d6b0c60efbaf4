// Reading what a run's report shows from the workspace's metadata and the saved plan.
#include "meta/headline.h"
#include "report_page.h"

#include "mlpc/version.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace mlpc::cli::report {

namespace {

/// How many runs of the pipeline the charts show at most (the newest, plus this one).
constexpr int64_t kMaxHistory = 200;

void loadPlan(const std::string& workspace, ReportData& d) {
  fs::path p = fs::path(workspace) / "runs" / d.run.id / "plan.json";
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    d.planNote = "the plan of this run is not in the workspace (" + p.string() + ")";
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  plan::Json j = plan::Json::parse(buf.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    d.planNote = p.string() + " is not valid JSON";
    return;
  }
  std::string why;
  d.plan = plan::read(j, why);
  if (!d.plan) d.planNote = p.string() + ": " + why;
}

} // namespace

store::Result<ReportData> collectReport(sched::Workspace& ws, const std::string& runRef) {
  meta::MetaStore& m = *ws.meta;
  ReportData d;
  d.mlpcVersion = kVersion;
  auto run = m.getRun(runRef);
  if (!run) return run.err();
  d.run = *run;
  loadPlan(ws.dir, d);

  auto ex = m.executionsOf(d.run.id);
  if (!ex) return ex.err();
  d.executions = *ex;
  std::stable_sort(d.executions.begin(), d.executions.end(), [](auto& a, auto& b) {
    return a.startedAt != b.startedAt ? a.startedAt < b.startedAt : a.id < b.id;
  });
  auto heads = meta::Headlines::load(m);
  if (!heads) return heads.err();
  // A run's charted value of a metric is its headline: never a losing candidate of a sweep.
  auto headline = [&](const std::string& runId) -> store::Result<std::vector<meta::MetricRecord>> {
    auto h = heads->of(runId);
    if (!h) return h.err();
    std::vector<meta::MetricRecord> out;
    for (auto& [k, v] : h->metrics)
      out.push_back({runId, 0, h->sourceOf[k], k, v});
    return out;
  };
  auto own = headline(d.run.id);
  if (!own) return own.err();
  d.metrics = *own;
  auto ms = m.metricsOf(d.run.id);
  if (!ms) return ms.err();
  for (auto& x : *ms)
    if (meta::isIteration(x.node)) d.iterations.push_back(x);

  meta::RunFilter f;
  f.pipeline = d.run.pipeline;
  f.limit = kMaxHistory;
  auto runs = m.listRuns(f);
  if (!runs) return runs.err();
  // Reproduction runs re-make a version that is already charted; drawing them would count the
  // same result twice. The report of a reproduction run itself still shows its own point.
  std::vector<meta::RunRecord> rs;
  for (auto& r : *runs)
    if (r.reproductionOf.empty() || r.id == d.run.id) rs.push_back(r);
  if (std::none_of(rs.begin(), rs.end(), [&](auto& r) { return r.id == d.run.id; }))
    rs.push_back(d.run);
  std::stable_sort(rs.begin(), rs.end(), [](auto& a, auto& b) {
    return a.startedAt != b.startedAt ? a.startedAt < b.startedAt : a.id < b.id;
  });
  for (auto& r : rs) {
    RunMetrics rm{r.id, r.startedAt, {}};
    if (r.id == d.run.id) {
      rm.metrics = d.metrics;
    } else {
      auto rmx = headline(r.id);
      if (!rmx) return rmx.err();
      rm.metrics = *rmx;
    }
    d.history.push_back(std::move(rm));
  }

  auto groups = m.modelGroups();
  if (!groups) return groups.err();
  for (auto& g : *groups) {
    auto vs = m.listVersions(g);
    if (!vs) return vs.err();
    for (auto& v : *vs) {
      if (v.runId != d.run.id) continue;
      VersionReport vr;
      vr.version = v;
      auto ev = m.versionEvents(v.group, v.version);
      if (!ev) return ev.err();
      vr.events = *ev;
      auto lg = walkLineage(m, v.artifactHash, true);
      if (lg)
        vr.lineage = std::move(*lg);
      else
        vr.lineageError = lg.error();
      d.versions.push_back(std::move(vr));
    }
  }
  return d;
}

} // namespace mlpc::cli::report
