#include "meta/process.h"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <limits.h>
#include <sstream>
#include <unistd.h>

namespace mlpc::meta {
namespace {

struct ProcStat {
  bool found = false;
  char state = '?';
  int64_t startTime = 0;
};

ProcStat readProcStat(int64_t pid) {
  ProcStat out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return out;
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  // Fields after the name start at 3 (state); the start time is field 22.
  for (int index = 3; fields >> field; ++index) {
    if (index == 3) out.state = field.empty() ? '?' : field[0];
    if (index == 22) {
      out.startTime = std::stoll(field);
      out.found = true;
      break;
    }
  }
  return out;
}

} // namespace

std::string hostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

int64_t processStartTime(int64_t pid) {
  return readProcStat(pid).startTime;
}

bool processAlive(int64_t pid, int64_t startTime) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  ProcStat st = readProcStat(pid);
  if (!st.found) return true; // no /proc: trust kill()
  if (st.state == 'Z' || st.state == 'X') return false;
  return startTime == 0 || st.startTime == startTime;
}

} // namespace mlpc::meta
