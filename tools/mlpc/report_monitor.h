#pragma once
// `mlpc report monitor:NAME`: one self-contained HTML page about a monitor — every monitoring
// execution in a table, and each feature's drift (psi, ks, missing) over time as charts. Read
// from the workspace's records only, so the agent need not run.
#include "meta/deploy_log.h"

#include <string>
#include <vector>

namespace mlpc::cli::report {

struct MonitorReport {
  std::string name;
  std::vector<meta::MonitorExecutionRow> executions; ///< oldest first
  std::string mlpcVersion;
};

/// The page as one HTML document: inline CSS and SVG, no scripts, no network.
std::string renderMonitorReport(const MonitorReport& data);

} // namespace mlpc::cli::report
