#include "monitor/capture_window.h"

#include "monitor/capture_sax.h"
#include "monitor/csv_rows.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace mlpc::monitor {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr size_t kMaxProblems = 5;
constexpr size_t kWorkers = 2;          // the machines mlpc targets have two cores or more
constexpr size_t kParallelLines = 2000; // below this, one thread is as fast

/// Builds the window's rows as requests arrive, named or positional.
struct Rows {
  CaptureWindow& w;
  const std::vector<std::string>& features;
  std::map<std::string, size_t> index;

  size_t column(const std::string& name) {
    auto [it, added] = index.emplace(name, w.header.size());
    if (added) w.header.push_back(name);
    return it->second;
  }
  std::vector<size_t> featureCols; ///< the columns of `features`, once known

  /// Sets the value of column `name` in `row`.
  void set(std::vector<std::string>& row, const std::string& name, std::string value) {
    size_t c = column(name);
    if (row.size() <= c) row.resize(c + 1);
    row[c] = std::move(value);
  }
  bool addPositional(std::vector<std::string>&& values, std::string& why) {
    if (values.size() != features.size()) {
      why = "a row of " + std::to_string(values.size()) + " values; the model has " +
            std::to_string(features.size()) + " features";
      return false;
    }
    if (featureCols.empty())
      for (auto& f : features)
        featureCols.push_back(column(f));
    std::vector<std::string> row;
    for (size_t i = 0; i < values.size(); ++i) {
      if (row.size() <= featureCols[i]) row.resize(featureCols[i] + 1);
      row[featureCols[i]] = std::move(values[i]);
    }
    w.rows.push_back(std::move(row));
    return true;
  }
};

std::string valueText(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return "";
  }
  return v.dump();
}

bool looksNumeric(const std::string& s) {
  if (s.empty()) return true; // a missing value says nothing
  char* end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

/// The rows of one request body; false with `why` when none can be taken.
bool addBody(Rows& rows, const CaptureRecord& rec, std::string& why) {
  if (!rec.encoding || !rec.data) {
    why = "no endpointInput data/encoding";
    return false;
  }
  const std::string* enc = &*rec.encoding;
  const std::string& text = *rec.data;
  if (*enc == "CSV") {
    std::vector<std::vector<std::string>> csv;
    if (!parseCsvText(text, csv, why)) return false;
    csv.erase(std::remove_if(csv.begin(), csv.end(),
                             [](auto& r) { return r.size() == 1 && r[0].empty(); }),
              csv.end());
    if (csv.empty()) {
      why = "an empty CSV body";
      return false;
    }
    // A first row with text that is not a number names the columns (as the servers read it).
    bool header = !std::all_of(csv[0].begin(), csv[0].end(), looksNumeric);
    if (header) {
      rows.w.named = true;
      for (size_t r = 1; r < csv.size(); ++r) {
        std::vector<std::string> row;
        for (size_t c = 0; c < csv[0].size() && c < csv[r].size(); ++c)
          rows.set(row, csv[0][c], std::move(csv[r][c]));
        rows.w.rows.push_back(std::move(row));
      }
      return true;
    }
    for (auto& r : csv)
      if (!rows.addPositional(std::move(r), why)) return false;
    return true;
  }
  if (*enc == "JSON") {
    std::vector<Instance> instances;
    if (readInstances(text, instances)) { // the usual flat body, without a document
      for (auto& item : instances) {
        if (item.named) {
          rows.w.named = true;
          std::vector<std::string> row;
          for (auto& [k, v] : item.fields)
            rows.set(row, k, std::move(v));
          rows.w.rows.push_back(std::move(row));
        } else if (!rows.addPositional(std::move(item.values), why)) {
          return false;
        }
      }
      return true;
    }
    json doc = json::parse(text, nullptr, false);
    auto inst = doc.is_object() ? doc.find("instances") : doc.end();
    if (!doc.is_object() || inst == doc.end() || !inst->is_array()) {
      why = "a JSON body without an \"instances\" list";
      return false;
    }
    for (auto& item : *inst) {
      if (item.is_object()) {
        rows.w.named = true;
        std::vector<std::string> row;
        for (auto& [k, v] : item.items())
          rows.set(row, k, valueText(v));
        rows.w.rows.push_back(std::move(row));
      } else if (item.is_array()) {
        std::vector<std::string> values;
        values.reserve(item.size());
        for (auto& v : item)
          values.push_back(valueText(v));
        if (!rows.addPositional(std::move(values), why)) return false;
      } else {
        why = "an instance that is neither a list nor an object";
        return false;
      }
    }
    return true;
  }
  why = "a body encoded as " + *enc + " (neither CSV nor JSON)";
  return false;
}

/// "YYYY-MM-DDTHH" of an hourly capture directory `…/YYYY/MM/DD/HH/capture.jsonl`.
std::string hourOf(const fs::path& file) {
  auto p = file.parent_path();
  std::string hh = p.filename().string(), dd = p.parent_path().filename().string(),
              mm = p.parent_path().parent_path().filename().string(),
              yyyy = p.parent_path().parent_path().parent_path().filename().string();
  return yyyy + "-" + mm + "-" + dd + "T" + hh;
}

} // namespace

std::string isoUtc(double t) {
  std::time_t s = static_cast<std::time_t>(std::floor(t));
  std::tm utc{};
  ::gmtime_r(&s, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

CaptureWindow readCaptureWindow(const std::string& endpointDir, const std::string& from,
                                const std::string& to, const std::vector<std::string>& features) {
  CaptureWindow w;
  std::error_code ec;
  if (!fs::is_directory(endpointDir, ec)) return w;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(endpointDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->path().filename() == "capture.jsonl") {
      std::string hour = hourOf(it->path());
      // Only the hours the window touches.
      if (hour >= from.substr(0, 13) && hour <= to.substr(0, 13)) files.push_back(it->path());
    }
  std::sort(files.begin(), files.end());
  // The lines are read first, then parsed by kWorkers threads over consecutive shares (JSON
  // parsing is nearly all of a large window's cost); the shares are joined in order, so the rows
  // and problems come out as one pass would give them.
  struct Line {
    size_t file;
    std::string text;
  };
  std::vector<Line> lines;
  for (size_t f = 0; f < files.size(); ++f) {
    std::ifstream in(files[f], std::ios::binary);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) lines.push_back({f, std::move(line)});
  }
  auto readShare = [&](size_t begin, size_t end, CaptureWindow& part) {
    Rows rows{part, features, {}, {}};
    auto skip = [&](const std::string& why) {
      ++part.skipped;
      if (part.problems.size() < kMaxProblems) part.problems.push_back(why);
    };
    for (size_t l = begin; l < end; ++l) {
      CaptureRecord rec;
      if (!readCaptureRecord(lines[l].text, rec) || !rec.hasMeta || !rec.hasInput || !rec.when) {
        ++part.records;
        skip(files[lines[l].file].filename().string() + ": a line that is not a capture record");
        continue;
      }
      const std::string& t = *rec.when;
      if (t < from || t >= to) continue;
      ++part.records;
      size_t before = part.rows.size();
      std::string why;
      if (!addBody(rows, rec, why)) {
        part.rows.resize(before); // a record counts whole or not at all
        skip(why);
      }
    }
  };
  size_t shares = lines.size() >= kParallelLines ? kWorkers : 1;
  std::vector<CaptureWindow> parts(shares);
  std::vector<std::thread> threads;
  for (size_t k = 1; k < shares; ++k)
    threads.emplace_back(readShare, lines.size() * k / shares, lines.size() * (k + 1) / shares,
                         std::ref(parts[k]));
  readShare(0, lines.size() / shares, parts[0]);
  for (auto& t : threads)
    t.join();
  w = std::move(parts[0]);
  Rows joined{w, features, {}, {}};
  for (size_t c = 0; c < w.header.size(); ++c)
    joined.index.emplace(w.header[c], c);
  for (size_t k = 1; k < shares; ++k) {
    CaptureWindow& part = parts[k];
    std::vector<size_t> target(part.header.size()); // the share's columns in the joined header
    for (size_t c = 0; c < part.header.size(); ++c)
      target[c] = joined.column(part.header[c]);
    for (auto& row : part.rows) {
      std::vector<std::string> moved;
      for (size_t c = 0; c < row.size(); ++c) {
        if (moved.size() <= target[c]) moved.resize(target[c] + 1);
        moved[target[c]] = std::move(row[c]);
      }
      w.rows.push_back(std::move(moved));
    }
    w.named = w.named || part.named;
    w.records += part.records;
    w.skipped += part.skipped;
    for (auto& p : part.problems)
      if (w.problems.size() < kMaxProblems) w.problems.push_back(std::move(p));
  }
  return w;
}

} // namespace mlpc::monitor
