#include "monitor/statistics.h"

#include "monitor/column_accumulator.h"

#include <csv.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

namespace mlpc::monitor {

namespace {

using Json = nlohmann::ordered_json;
constexpr size_t kSketchSize = 2048;
constexpr size_t kTopValues = 20;
constexpr int kBuckets = 10;

/// Rows in flight between the CSV reader and the accumulators: every field's bytes in one buffer
/// and where each ends (field `c` of row `r` is number r * columns + c).
struct Batch {
  std::string bytes;
  std::vector<size_t> ends;
  size_t rows = 0;
  std::string_view field(size_t i) const {
    size_t b = i ? ends[i - 1] : 0;
    return std::string_view(bytes).substr(b, ends[i] - b);
  }
};

constexpr size_t kBatchRows = 16384;
constexpr size_t kWorkers = 2; // the machines mlpc targets have two cores or more

/// Feeds a batch's values to the accumulators of the columns `worker` owns (every kWorkers-th),
/// in row order: each column sees exactly the sequence a single thread would give it, so the
/// statistics do not depend on the threads.
void accumulate(const Batch& b, std::vector<ColumnAccumulator>& columns, size_t worker) {
  size_t n = columns.size();
  for (size_t c = worker; c < n; c += kWorkers)
    for (size_t r = 0; r < b.rows; ++r)
      columns[c].add(b.field(r * n + c));
}

/// libcsv's callbacks: the header row names the columns; every later row must have as many
/// fields, and is copied into the batch being filled. A full batch goes to kWorkers threads while
/// the reader fills the other one. Nothing but the accumulators and two batches is kept.
struct Stream {
  std::vector<std::string> header;
  std::vector<ColumnAccumulator> columns;
  size_t field = 0;
  long long rows = 0; ///< data rows so far
  std::string error;
  Batch filling, working;
  std::vector<std::thread> workers;

  ~Stream() { wait(); }
  void wait() {
    for (auto& t : workers)
      t.join();
    workers.clear();
  }
  /// Hands the filled batch to the workers (after the previous one is done).
  void flush() {
    wait();
    std::swap(filling, working);
    filling.bytes.clear();
    filling.ends.clear();
    filling.rows = 0;
    if (working.rows == 0) return;
    for (size_t w = 0; w < kWorkers; ++w)
      workers.emplace_back(accumulate, std::cref(working), std::ref(columns), w);
  }

  static void onField(void* s, size_t len, void* self) {
    auto* st = static_cast<Stream*>(self);
    std::string_view v = s ? std::string_view(static_cast<const char*>(s), len) : "";
    if (st->rows == 0 && st->columns.empty() && st->header.size() == st->field) {
      st->header.emplace_back(v); // still reading the header row
    } else if (st->field < st->columns.size()) {
      st->filling.bytes += v;
      st->filling.ends.push_back(st->filling.bytes.size());
    }
    ++st->field;
  }
  static void onRow(int, void* self) {
    auto* st = static_cast<Stream*>(self);
    if (st->columns.empty() && st->rows == 0) {
      st->columns.resize(st->header.size());
    } else {
      ++st->rows;
      if (st->field != st->header.size()) {
        if (st->error.empty())
          st->error = "row " + std::to_string(st->rows + 1) + " has " + std::to_string(st->field) +
                      " fields, the header has " + std::to_string(st->header.size());
        // Keep the batch rectangular: drop what this row added.
        size_t keep = st->filling.rows * st->columns.size();
        st->filling.ends.resize(keep);
        st->filling.bytes.resize(keep ? st->filling.ends.back() : 0);
      } else if (++st->filling.rows == kBatchRows) {
        st->flush();
      }
    }
    st->field = 0;
  }
};

} // namespace

std::optional<DatasetStats> computeStatistics(const std::string& csvPath, std::string& error) {
  std::ifstream in(csvPath, std::ios::binary);
  if (!in) {
    error = csvPath + ": cannot open";
    return std::nullopt;
  }
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    error = "cannot start the CSV reader";
    return std::nullopt;
  }
  Stream st;
  std::vector<char> buf(1 << 20);
  bool ok = true;
  while (ok && st.error.empty() && in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (csv_parse(&p, buf.data(), n, Stream::onField, Stream::onRow, &st) != n) ok = false;
  }
  if (ok && st.error.empty() && csv_fini(&p, Stream::onField, Stream::onRow, &st) != 0) ok = false;
  st.flush(); // the last, partial batch
  st.wait();
  if (!ok) {
    error = csvPath + ": not valid CSV after row " + std::to_string(st.rows + 1) + ": " +
            csv_strerror(csv_error(&p));
    csv_free(&p);
    return std::nullopt;
  }
  csv_free(&p);
  if (!st.error.empty()) {
    error = csvPath + ": " + st.error;
    return std::nullopt;
  }
  if (st.header.empty() && st.columns.empty()) {
    error = csvPath + ": empty (no header row)";
    return std::nullopt;
  }
  DatasetStats out;
  out.rows = st.rows;
  for (size_t c = 0; c < st.header.size(); ++c)
    out.columns.push_back(st.columns[c].finish(st.header[c], kSketchSize, kTopValues));
  return out;
}

DatasetStats statisticsOf(const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
  DatasetStats out;
  out.rows = static_cast<long long>(rows.size());
  std::vector<ColumnAccumulator> columns(header.size());
  // Columns are independent: each worker takes every kWorkers-th, reading the rows in order.
  auto work = [&](size_t worker) {
    for (size_t c = worker; c < header.size(); c += kWorkers)
      for (const auto& row : rows)
        columns[c].add(c < row.size() ? std::string_view(row[c]) : std::string_view());
  };
  std::vector<std::thread> workers;
  for (size_t w = 1; w < kWorkers; ++w)
    workers.emplace_back(work, w);
  work(0);
  for (auto& t : workers)
    t.join();
  for (size_t c = 0; c < header.size(); ++c)
    out.columns.push_back(columns[c].finish(header[c], kSketchSize, kTopValues));
  return out;
}

Json statisticsJson(const DatasetStats& s) {
  Json features = Json::array();
  for (auto& c : s.columns) {
    Json f{{"name", c.name}, {"inferred_type", c.inferredType}};
    Json common{{"num_present", c.present}, {"num_missing", c.missing}};
    if (c.inferredType == "Integral" || c.inferredType == "Fractional") {
      Json buckets = Json::array();
      double width = (c.max - c.min) / kBuckets;
      for (int b = 0; b < kBuckets; ++b) {
        double lo = c.min + width * b, hi = b == kBuckets - 1 ? c.max : c.min + width * (b + 1);
        long long n = 0;
        for (double v : c.sketch)
          if (v >= lo && (v < hi || (b == kBuckets - 1 && v <= hi))) ++n;
        buckets.push_back({{"lower_bound", lo}, {"upper_bound", hi}, {"count", n}});
        if (width == 0) break; // one value: one bucket
      }
      f["numerical_statistics"] = {
          {"common", common},
          {"mean", c.mean},
          {"sum", c.sum},
          {"std_dev", c.stdDev},
          {"min", c.min},
          {"max", c.max},
          {"distribution",
           {{"kll",
             {{"buckets", buckets},
              {"sketch",
               {{"parameters", {{"c", 1.0}, {"k", static_cast<double>(kSketchSize)}}},
                {"data", Json::array({c.sketch})}}}}}}}};
    } else {
      Json cat = Json::array();
      for (auto& [v, n] : c.topValues)
        cat.push_back({{"value", v}, {"count", n}});
      f["string_statistics"] = {{"common", common},
                                {"distinct_count", c.distinct},
                                {"distribution", {{"categorical", {{"buckets", cat}}}}}};
    }
    features.push_back(std::move(f));
  }
  return Json{{"version", 0.0}, {"dataset", {{"item_count", s.rows}}}, {"features", features}};
}

Json constraintsJson(const DatasetStats& s) {
  Json features = Json::array();
  for (auto& c : s.columns) {
    long long total = c.present + c.missing;
    Json f{{"name", c.name},
           {"inferred_type", c.inferredType},
           {"completeness",
            total ? static_cast<double>(c.present) / static_cast<double>(total) : 0.0}};
    if (c.inferredType == "Integral" || c.inferredType == "Fractional")
      f["num_constraints"] = {{"is_non_negative", c.present > 0 && c.min >= 0}};
    else if (c.inferredType == "String" && c.distinct <= static_cast<long long>(kTopValues)) {
      Json domain = Json::array();
      for (auto& [v, n] : c.topValues)
        domain.push_back(v);
      f["string_constraints"] = {{"domains", domain}};
    }
    features.push_back(std::move(f));
  }
  // SageMaker's defaults for a suggested baseline.
  Json config{{"evaluate_constraints", "Enabled"},
              {"emit_metrics", "Enabled"},
              {"datatype_check_threshold", 1.0},
              {"domain_content_threshold", 1.0},
              {"distribution_constraints",
               {{"perform_comparison", "Enabled"},
                {"comparison_threshold", 0.1},
                {"comparison_method", "Robust"}}}};
  return Json{{"version", 0.0}, {"features", features}, {"monitoring_config", config}};
}

} // namespace mlpc::monitor
