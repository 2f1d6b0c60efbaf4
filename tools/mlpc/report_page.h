#pragma once
// `mlpc report`: everything one run's report shows, read from the workspace (collectReport),
// and the self-contained HTML page made from it (renderReport, a pure function).
#include "lineage_graph.h"
#include "plan/model.h"
#include "sched/workspace.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::cli::report {

/// The metrics one run of the pipeline recorded, for the charts across runs.
struct RunMetrics {
  std::string runId;
  double startedAt = 0;
  std::vector<meta::MetricRecord> metrics;
};

/// A model version the run registered, with its approval history and upstream lineage.
struct VersionReport {
  meta::ModelVersion version;
  std::vector<meta::ModelVersionEvent> events;
  std::optional<LineageGraph> lineage;
  std::string lineageError;
};

struct ReportData {
  meta::RunRecord run;
  std::optional<plan::Plan> plan; ///< the plan the run saved; none when missing or unreadable
  std::string planNote;           ///< why `plan` is null
  std::vector<meta::ExecutionRecord> executions;
  /// The run's headline metrics (meta/headline.h): `node` says where each comes from — the
  /// version the run registered, or the step outside any loop that recorded it.
  std::vector<meta::MetricRecord> metrics;
  /// Metrics of steps inside loops, one record per iteration (`scores[2]`), never a headline.
  std::vector<meta::MetricRecord> iterations;
  std::vector<RunMetrics> history; ///< runs of the same pipeline, oldest first, this one included
  std::vector<VersionReport> versions;
  std::string mlpcVersion;
};

/// Reads the run (`runRef`: an id or unique prefix) and everything around it.
store::Result<ReportData> collectReport(sched::Workspace& ws, const std::string& runRef);

/// The whole report as one HTML document: inline CSS and SVG, no scripts, no network.
std::string renderReport(const ReportData& data);

} // namespace mlpc::cli::report
