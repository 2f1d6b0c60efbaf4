#include "deploy/missed_firings.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace mlpc::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

std::map<std::string, ScheduleMark> readScheduleMarks(const std::string& path) {
  std::map<std::string, ScheduleMark> out;
  std::ifstream in(path);
  if (!in) return out;
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  auto marks = j.is_object() ? j.find("marks") : j.end();
  if (marks == j.end() || !marks->is_object()) return out;
  auto at = j.find("written_at");
  double writtenAt = at != j.end() && at->is_number() ? at->get<double>() : 0;
  for (auto& [name, m] : marks->items()) {
    if (!m.is_object()) continue;
    auto trigger = m.find("trigger"), spec = m.find("spec"), next = m.find("next_at");
    if (trigger == m.end() || spec == m.end() || next == m.end() || !trigger->is_string() ||
        !spec->is_string() || !next->is_number())
      continue;
    out[name] = {trigger->get<std::string>(), spec->get<std::string>(), next->get<double>(),
                 writtenAt};
  }
  return out;
}

bool writeScheduleMarks(const std::string& path, const std::map<std::string, ScheduleMark>& marks,
                        double writtenAt) {
  json byName = json::object();
  for (auto& [name, m] : marks)
    byName[name] = {{"trigger", m.trigger}, {"spec", m.spec}, {"next_at", m.nextAt}};
  json j{{"written_at", writtenAt}, {"marks", byName}};
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(1) << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

int64_t missedFirings(const ScheduleMark& was, const ScheduleMark& current,
                      const std::optional<plan::Cron>& cron, double now, int64_t cap) {
  if (was.trigger != current.trigger || was.spec != current.spec || was.nextAt > now) return 0;
  if (was.trigger == "every") {
    double period = std::strtod(was.spec.c_str(), nullptr);
    if (!(period > 0)) return 0;
    double n = std::floor((now - was.nextAt) / period) + 1;
    return n >= static_cast<double>(cap) ? cap : static_cast<int64_t>(n);
  }
  if (was.trigger != "cron" || !cron) return 0;
  // Walk the firings: at most `cap` steps, each the next matching minute.
  int64_t n = 0;
  for (auto t = std::optional<int64_t>(static_cast<int64_t>(was.nextAt));
       t && static_cast<double>(*t) <= now && n < cap; t = plan::nextCronTime(*cron, *t))
    ++n;
  return n;
}

} // namespace mlpc::deploy
