#include "meta/records.h"

#include <array>
#include <utility>

namespace mlpc::meta {
namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 4> kRunStatuses{{
    {RunStatus::Running, "running"},
    {RunStatus::Succeeded, "succeeded"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Interrupted, "interrupted"},
}};

constexpr std::array<std::pair<ExecStatus, std::string_view>, 7> kExecStatuses{{
    {ExecStatus::Running, "running"},
    {ExecStatus::Succeeded, "succeeded"},
    {ExecStatus::Failed, "failed"},
    {ExecStatus::Cached, "cached"},
    {ExecStatus::Skipped, "skipped"},
    {ExecStatus::TimedOut, "timed_out"},
    {ExecStatus::Cancelled, "cancelled"},
}};

template <class Table, class E> std::string_view nameOf(const Table& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <class E, class Table>
std::optional<E> valueOf(const Table& table, std::string_view text) {
  for (const auto& [v, name] : table)
    if (name == text) return v;
  return std::nullopt;
}

} // namespace

std::string_view toString(RunStatus status) {
  return nameOf(kRunStatuses, status);
}
std::string_view toString(ExecStatus status) {
  return nameOf(kExecStatuses, status);
}

std::optional<RunStatus> parseRunStatus(std::string_view text) {
  return valueOf<RunStatus>(kRunStatuses, text);
}

std::optional<ExecStatus> parseExecStatus(std::string_view text) {
  return valueOf<ExecStatus>(kExecStatuses, text);
}

} // namespace mlpc::meta
