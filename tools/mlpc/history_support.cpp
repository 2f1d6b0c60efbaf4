#include "history_support.h"

#include "commands.h"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace mlpc::cli {

void addWorkspaceOption(CLI::App& cmd, std::string& dir) {
  cmd.add_option("--workspace", dir,
                 "Workspace directory (default: $MLP_WORKSPACE, else the nearest .mlp/ upwards)");
}

std::optional<std::string> findWorkspaceDir(const std::string& explicitDir) {
  std::string dir = explicitDir;
  if (dir.empty()) {
    if (const char* env = std::getenv("MLP_WORKSPACE"); env && *env) dir = env;
  }
  if (dir.empty()) {
    std::error_code ec;
    for (fs::path p = fs::current_path(); !p.empty(); p = p.parent_path()) {
      if (fs::exists(p / ".mlp" / "meta.db", ec)) {
        dir = (p / ".mlp").string();
        break;
      }
      if (p == p.root_path()) break;
    }
  }
  if (dir.empty()) {
    std::cerr << "error: no workspace here: run a pipeline first, or pass --workspace DIR "
                 "(a pipeline's workspace is the .mlp/ beside its .mlp file)\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return fs::absolute(dir).string();
}

std::optional<sched::Workspace> openHistory(const std::string& explicitDir) {
  auto dir = findWorkspaceDir(explicitDir);
  if (!dir) return std::nullopt;
  auto ws = sched::openWorkspace(*dir, false);
  if (!ws) {
    std::cerr << "error: " << ws.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return std::move(*ws);
}

std::optional<meta::RunRecord> getRunOrReport(meta::MetaStore& meta, const std::string& ref) {
  auto r = meta.getRun(ref);
  if (!r) {
    std::cerr << "error: " << r.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return std::move(*r);
}

std::string formatTime(double t) {
  if (t <= 0) return "-";
  std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string formatDuration(double s) {
  if (s < 0) return "-";
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.2fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

std::string shortHash(const std::string& h) {
  return h.substr(0, 12);
}

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  auto width = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
      n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t i = 0; i < header.size(); ++i)
    w[i] = width(header[i]);
  for (auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i)
      w[i] = std::max(w[i], width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - width(r[i]) + 2, ' ');
    }
    out += "\n";
  };
  line(header);
  for (auto& r : rows)
    line(r);
  return out;
}

int64_t parseVersionNumber(const std::string& ver) {
  if (ver.empty() ||
      !std::all_of(ver.begin(), ver.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  errno = 0;
  long long n = std::strtoll(ver.c_str(), nullptr, 10);
  return errno == ERANGE || n < 1 ? 0 : n; // 99999999999999999999 is no version
}

std::optional<VersionRef> parseVersionRef(const std::string& ref) {
  auto at = ref.rfind('@');
  if (at == std::string::npos || at == 0) return std::nullopt;
  int64_t n = parseVersionNumber(ref.substr(at + 1));
  if (n == 0) return std::nullopt;
  return VersionRef{ref.substr(0, at), n};
}

} // namespace mlpc::cli
