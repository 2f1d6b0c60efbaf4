#pragma once
// The charts of `mlpc report`, as inline SVG: a timeline (Gantt) of a run's executions and a
// line chart of one metric across runs.
#include <string>
#include <vector>

namespace mlpc::cli::report {

/// One execution on the timeline; times are seconds since the run started.
struct TimelineBar {
  std::string label;  ///< the node key, e.g. "train[2]"
  std::string sub;    ///< the step, e.g. "sklearn.Train"
  std::string status; ///< a statusClass()
  double start = 0;
  double end = 0;
  bool cached = false; ///< drawn as a thin marker
  std::string tooltip;
};

/// One lane per bar, in the order given; `span` is the run's length (at least the last end).
std::string timelineSvg(const std::vector<TimelineBar>& bars, double span);

struct MetricPoint {
  std::string runId;
  double startedAt = 0;
  double value = 0;
  bool current = false;
};

/// Points in time order, evenly spaced; the current one highlighted. `name` labels the chart;
/// `what` names a point in the axis caption ("run": "3 runs, oldest → newest").
std::string metricChartSvg(const std::string& name, const std::vector<MetricPoint>& points,
                           const std::string& what = "run");

/// A round step for about `want` ticks over `span` (1, 2 or 5 times a power of ten).
double niceStep(double span, int want);

} // namespace mlpc::cli::report
