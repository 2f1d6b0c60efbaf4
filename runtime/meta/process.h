#pragma once
/// Is the process that started a run still alive? A pid alone is not enough: pids are reused
/// (containers restart from small pids), so a run also records its process's start time.
#include <cstdint>
#include <string>

namespace mlpc::meta {

/// This machine's hostname ("" if unknown). Liveness is only judged for runs of this host.
std::string hostName();

/// Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); 0 if unknown.
int64_t processStartTime(int64_t pid);

/// True when `pid` exists, is not a zombie and (if `startTime` is not 0) started at
/// `startTime`.
bool processAlive(int64_t pid, int64_t startTime);

} // namespace mlpc::meta
