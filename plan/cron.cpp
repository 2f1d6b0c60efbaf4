#include "plan/cron.h"

#include <cctype>
#include <ctime>
#include <vector>

namespace mlpc::plan {

namespace {

struct Field {
  const char* name;
  int lo, hi;
};
const Field kFields[5] = {{"minute", 0, 59},
                          {"hour", 0, 23},
                          {"day of month", 1, 31},
                          {"month", 1, 12},
                          {"day of week", 0, 7}};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool number(const std::string& s, int& v) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  v = std::stoi(s);
  return true;
}

/// One field into the values it allows (a vector of flags over lo..hi).
bool readField(const std::string& text, const Field& f, std::vector<bool>& on, bool& star,
               std::string& error) {
  on.assign(static_cast<size_t>(f.hi + 1), false);
  star = text == "*";
  auto bad = [&](const std::string& why) {
    error = std::string("the ") + f.name + " field `" + text + "` " + why;
    return false;
  };
  for (const std::string& part : split(text, ',')) {
    if (part.empty()) return bad("has an empty list item");
    std::string range = part;
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      range = part.substr(0, slash);
      if (!number(part.substr(slash + 1), step) || step < 1)
        return bad("needs a step of at least 1 after `/`");
    }
    int a = f.lo, b = f.hi;
    if (range != "*") {
      auto dash = range.find('-');
      if (dash == std::string::npos) {
        if (!number(range, a)) return bad("is not a number, `*`, a range or a list");
        b = part.find('/') == std::string::npos ? a : f.hi;
      } else if (!number(range.substr(0, dash), a) || !number(range.substr(dash + 1), b)) {
        return bad("has a range that is not `FROM-TO`");
      }
      if (a < f.lo || b > f.hi || a > b)
        return bad("allows " + std::to_string(f.lo) + " to " + std::to_string(f.hi) +
                   (a > b ? ", and a range goes upwards" : ""));
    }
    for (int v = a; v <= b; v += step)
      on[static_cast<size_t>(v)] = true;
  }
  return true;
}

} // namespace

std::optional<Cron> parseCron(const std::string& text, std::string& error) {
  std::vector<std::string> fields;
  for (auto& w : split(text, ' '))
    if (!w.empty()) fields.push_back(w);
  if (fields.size() != 5) {
    error = "a cron expression has 5 fields (minute hour day month weekday), found " +
            std::to_string(fields.size());
    return std::nullopt;
  }
  Cron c;
  std::vector<bool> on;
  bool star = false;
  for (size_t i = 0; i < 5; ++i) {
    if (!readField(fields[i], kFields[i], on, star, error)) return std::nullopt;
    for (size_t v = 0; v < on.size(); ++v) {
      if (!on[v]) continue;
      switch (i) {
      case 0:
        c.minute.set(v);
        break;
      case 1:
        c.hour.set(v);
        break;
      case 2:
        c.day.set(v);
        break;
      case 3:
        c.month.set(v);
        break;
      default:
        c.weekday.set(v % 7);
        break; // 7 is Sunday too
      }
    }
    if (i == 2) c.dayStar = star;
    if (i == 4) c.weekdayStar = star;
  }
  return c;
}

std::optional<int64_t> nextCronTime(const Cron& c, int64_t afterUnixS) {
  int64_t t = (afterUnixS / 60 + 1) * 60; // the next whole minute
  const int64_t limit = t + int64_t{5} * 366 * 24 * 3600;
  while (t < limit) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    bool dayOk = c.day[static_cast<size_t>(tm.tm_mday)];
    bool weekdayOk = c.weekday[static_cast<size_t>(tm.tm_wday)];
    bool dateOk = c.dayStar || c.weekdayStar ? dayOk && weekdayOk : dayOk || weekdayOk;
    if (!c.month[static_cast<size_t>(tm.tm_mon + 1)] || !dateOk) {
      t += (24 * 60 - (tm.tm_hour * 60 + tm.tm_min)) * 60; // the next day's midnight
      continue;
    }
    if (!c.hour[static_cast<size_t>(tm.tm_hour)]) {
      t += (60 - tm.tm_min) * 60; // the next hour
      continue;
    }
    if (c.minute[static_cast<size_t>(tm.tm_min)]) return t;
    t += 60;
  }
  return std::nullopt;
}

} // namespace mlpc::plan
