#pragma once
// Shared by the commands that read a workspace's history: finding the workspace, formatting
// times and tables.
#include "commands.h"
#include "run_support.h"

#include "meta/deploy_log.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace mlpc::cli {

/// --workspace, $MLP_WORKSPACE, or the nearest `.mlp/` from the current directory upwards, as an
/// absolute path; prints the error and sets exit code 2 when there is none.
std::optional<std::string> findWorkspaceDir(const std::string& explicitDir);
/// findWorkspaceDir, opened.
std::optional<sched::Workspace> openHistory(const std::string& explicitDir);

/// A run by id or unique prefix; prints the error and sets exit code 2 when there is none.
std::optional<meta::RunRecord> getRunOrReport(meta::MetaStore& meta, const std::string& ref);

std::string formatTime(double unixSeconds);
std::string formatDuration(double seconds);
std::string shortHash(const std::string& h);

/// A plain text table with a header row; columns padded to their widest cell.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

void addWorkspaceOption(CLI::App& cmd, std::string& dir);

/// A model version reference `GROUP@N` (N = 1, 2, …, within 64 bits); nullopt if `ref` is not
/// one. Callers decide what a non-match means (lineage also takes hashes and RUN:step.output).
/// A version number as typed: 1, 2, … within 64 bits; 0 when `text` is not one.
int64_t parseVersionNumber(const std::string& text);
struct VersionRef {
  std::string group;
  int64_t version = 0;
};
std::optional<VersionRef> parseVersionRef(const std::string& ref);

/// What `read` returns from the workspace's deployment records (meta::DeployLog: schedule
/// firings, monitoring executions); prints the error and sets exit code 2 when they cannot be
/// opened or read (`what` names them: "the schedules' records").
template <class Read>
auto readDeployLog(const std::string& ws, const char* what, Read&& read)
    -> std::optional<std::decay_t<decltype(*read(std::declval<meta::DeployLog&>()))>> {
  auto log = meta::DeployLog::open(ws);
  if (!log) {
    std::cerr << "error: cannot open the workspace's records: " << log.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  auto rows = read(**log);
  if (!rows) {
    std::cerr << "error: cannot read " << what << ": " << rows.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return std::move(*rows);
}

} // namespace mlpc::cli
