// `mlpc report RUN [-o report.html]`: one self-contained HTML page about a run: its parameters,
// DAG, timeline, metrics across runs and the model versions it registered with their lineage.
// `mlpc report monitor:NAME`: the page of a monitor, its executions and drift over time.
#include "commands.h"
#include "history_support.h"
#include "mlpc/version.h"
#include "report_monitor.h"
#include "report_page.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mlpc::cli {

namespace {

/// Writes `text` to `path` through a temporary file beside it and one rename, so a reader never
/// sees a half-written report. Returns "" or the error.
std::string writeAtomically(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return path + " is a directory";
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return "the directory " + dir.string() + " does not exist";
  std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create a file in " + dir.string() + ": " + std::strerror(errno);
  auto fail = [&](const std::string& what) {
    std::string why = what + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return why;
  };
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot write " + tmp);
  if (::close(fd) != 0) {
    std::string why = "cannot write " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  }
  return "";
}

/// Writes the page and says so; an error is exit 2 with nothing written.
void writePage(const std::string& out, const std::string& html, const std::string& what) {
  if (std::string err = writeAtomically(out, html); !err.empty()) {
    std::cerr << "error: cannot write the report to " << out << ": " << err << "\n";
    exitCode() = 2;
    return;
  }
  std::cout << "wrote " << out << " (" << what << ", " << (html.size() + 1023) / 1024 << " KiB)\n";
}

/// `mlpc report monitor:NAME`.
void monitorReport(const std::string& wsDir, const std::string& name, std::string out) {
  auto ws = findWorkspaceDir(wsDir);
  if (!ws) return;
  auto rows = readDeployLog(*ws, "the monitors' records",
                            [&](meta::DeployLog& log) { return log.monitorExecutions(name); });
  if (!rows) return;
  if (rows->empty()) {
    std::cerr << "error: monitor `" << name
              << "` has no monitoring execution in this workspace (the agent that `mlpc up` "
                 "starts runs monitors)\n";
    exitCode() = 2;
    return;
  }
  report::MonitorReport data{name, std::move(*rows), kVersion};
  if (out.empty()) out = "report-monitor-" + name + ".html";
  writePage(out, report::renderMonitorReport(data), "monitor " + name);
}

} // namespace

void registerReport(CLI::App& app) {
  struct O {
    std::string ws, run, out;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML page about a run: parameters, DAG, timeline, "
                "metrics across runs, registered models and their lineage; or, for "
                "monitor:NAME, a monitor's executions and each feature's drift over time");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_option("RUN", o->run, "A run id or a unique prefix of one, or monitor:NAME")->required();
  cmd->add_option("-o,--output", o->out,
                  "Where to write the page (default: report-RUN.html, report-monitor-NAME.html)");
  cmd->callback([o] {
    if (o->run.rfind("monitor:", 0) == 0) {
      std::string name = o->run.substr(8);
      if (name.empty()) {
        std::cerr << "error: `monitor:` needs the monitor's name, e.g. monitor:drift\n";
        exitCode() = 2;
        return;
      }
      monitorReport(o->ws, name, o->out);
      return;
    }
    auto ws = openHistory(o->ws);
    if (!ws) return;
    auto data = report::collectReport(*ws, o->run);
    if (!data) {
      std::cerr << "error: " << data.error() << "\n";
      exitCode() = 2;
      return;
    }
    std::string out = o->out.empty() ? "report-" + data->run.id + ".html" : o->out;
    writePage(out, report::renderReport(*data), "run " + data->run.id);
  });
}

} // namespace mlpc::cli
