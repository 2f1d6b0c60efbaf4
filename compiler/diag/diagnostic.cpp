#include "diag/diagnostic.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>

namespace mlpc {

namespace {
const DiagInfo kInfos[] = {
#define DIAG(Name, Code, Sev, Title) {Code, Severity::Sev, Title},
#include "diag/codes.def"
#undef DIAG
};
} // namespace

const DiagInfo& diagInfo(DiagCode code) {
  return kInfos[static_cast<size_t>(code)];
}

const std::vector<DiagCode>& allDiagCodes() {
  static const std::vector<DiagCode> codes = [] {
    std::vector<DiagCode> v;
    for (size_t i = 0; i < std::size(kInfos); ++i)
      v.push_back(static_cast<DiagCode>(i));
    return v;
  }();
  return codes;
}

Diagnostic makeDiag(DiagCode code, SourceRange range, std::string message) {
  Diagnostic d;
  d.code = code;
  d.severity = diagInfo(code).severity;
  d.range = range;
  d.message = std::move(message);
  return d;
}

Diagnostic& DiagnosticSink::report(DiagCode code, SourceRange range, std::string message) {
  diags_.push_back(makeDiag(code, range, std::move(message)));
  if (diags_.back().severity == Severity::Error) ++errors_;
  if (diags_.back().severity == Severity::Warning) ++warnings_;
  return diags_.back();
}

void DiagnosticSink::absorb(DiagnosticSink& other) {
  for (auto& d : other.diags_)
    diags_.push_back(std::move(d));
  errors_ += other.errors_;
  warnings_ += other.warnings_;
  other.diags_.clear();
  other.errors_ = other.warnings_ = 0;
}

void DiagnosticSink::sort(const SourceManager& sm) {
  // By path, start, code and message, compared in place: a key copied out per comparison (the
  // path and the message are heap strings) was most of the time of sorting 100,000 warnings.
  auto path = [&](const Diagnostic& d) {
    return d.range.valid() ? std::string_view(sm.file(d.range.file).path()) : std::string_view();
  };
  auto compare = [&](const Diagnostic& a, const Diagnostic& b) {
    if (int c = path(a).compare(path(b))) return c;
    if (a.range.begin != b.range.begin) return a.range.begin < b.range.begin ? -1 : 1;
    if (int c = std::string_view(diagInfo(a.code).code).compare(diagInfo(b.code).code)) return c;
    return a.message.compare(b.message);
  };
  auto less = [&](const Diagnostic& a, const Diagnostic& b) { return compare(a, b) < 0; };
  // Checkers report mostly in source order; a sorted list is then confirmed in one pass.
  if (!std::is_sorted(diags_.begin(), diags_.end(), less))
    std::stable_sort(diags_.begin(), diags_.end(), less);
  diags_.erase(std::unique(diags_.begin(), diags_.end(),
                           [&](const Diagnostic& a, const Diagnostic& b) {
                             return compare(a, b) == 0 && a.range.end == b.range.end;
                           }),
               diags_.end());
}

namespace {

struct Style {
  bool on;
  std::string wrap(const char* code, const std::string& s) const {
    return on ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
  }
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string sev(Severity k, const std::string& s) const {
    return wrap(k == Severity::Error ? "1;31" : k == Severity::Warning ? "1;33" : "1;36", s);
  }
  std::string gutter(const std::string& s) const { return wrap("1;34", s); }
};

const char* severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

std::string location(const SourceManager& sm, SourceRange r) {
  LineCol lc = sm.start(r);
  return sm.file(r.file).path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
}

/// The source line of `r` with an underline of its span (to the end of the first line when the
/// span crosses lines) drawn with `mark`, and `text` after the underline.
void snippet(std::string& out, const SourceManager& sm, SourceRange r, char mark,
             const std::string& text, const Style& st, Severity sev, size_t width) {
  const SourceFile& f = sm.file(r.file);
  LineCol b = f.lineCol(r.begin), e = f.lineCol(r.end);
  std::string_view line = f.lineText(b.line);
  size_t startCol = b.col;
  size_t endCol = e.line == b.line ? e.col : line.size() + 1;
  if (endCol <= startCol) endCol = startCol + 1;
  std::string num = std::to_string(b.line);
  std::string pad(width, ' ');
  // A very long line is shown as a window around the span, with `...` where it was cut.
  constexpr size_t kMaxLine = 160, kContext = 60;
  std::string prefix, suffix;
  if (line.size() > kMaxLine) {
    size_t from = startCol - 1 > kContext ? startCol - 1 - kContext : 0;
    size_t to = std::min({line.size(), std::max(endCol - 1, startCol) + kContext, from + kMaxLine});
    if (from > 0) prefix = "...";
    if (to < line.size()) suffix = "...";
    line = line.substr(from, to - from);
    endCol = std::min(endCol, to + 1) - from + prefix.size();
    startCol = startCol - from + prefix.size();
  }
  out += st.gutter(pad + " |") + "\n";
  out += st.gutter(std::string(width - num.size(), ' ') + num + " |") + " " + prefix;
  // Tabs are shown as single spaces so the underline stays aligned.
  for (char c : line)
    out += c == '\t' ? ' ' : c;
  out += suffix + "\n";
  // Columns are bytes; the underline is drawn in characters so it sits under UTF-8 text too.
  auto chars = [&](size_t fromByte, size_t toByte) {
    size_t n = 0;
    for (size_t i = fromByte; i < toByte && i < line.size(); ++i)
      n += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    return n + (toByte > line.size() ? toByte - std::max(fromByte, line.size()) : 0);
  };
  size_t lead = prefix.size() + chars(0, startCol - 1 - prefix.size());
  size_t span =
      std::max<size_t>(1, chars(startCol - 1 - prefix.size(), endCol - 1 - prefix.size()));
  std::string under(lead, ' ');
  under += std::string(span, mark);
  if (!text.empty()) under += " " + text;
  out += st.gutter(pad + " |") + " " + (mark == '^' ? st.sev(sev, under) : st.gutter(under)) + "\n";
}

size_t gutterWidth(const SourceManager& sm, const Diagnostic& d) {
  uint32_t maxLine = 0;
  auto consider = [&](SourceRange r) {
    if (r.valid()) maxLine = std::max(maxLine, sm.start(r).line);
  };
  consider(d.range);
  for (auto& l : d.labels)
    consider(l.range);
  for (auto& n : d.notes)
    consider(n.range);
  return std::to_string(maxLine).size();
}

} // namespace

std::string renderText(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opts) {
  Style st{opts.color};
  const DiagInfo& info = diagInfo(d.code);
  std::string out;
  std::string head = std::string(severityName(d.severity)) + "[" + info.code + "]";
  if (d.range.valid()) out += st.bold(location(sm, d.range) + ":") + " ";
  out += st.sev(d.severity, head) + st.bold(": " + d.message) + "\n";
  size_t width = gutterWidth(sm, d);
  if (d.range.valid()) snippet(out, sm, d.range, '^', d.label, st, d.severity, width);
  for (const Label& l : d.labels) {
    if (!l.range.valid()) continue;
    if (l.range.file != d.range.file || !d.range.valid())
      out += std::string(width, ' ') + st.gutter("-->") + " " + location(sm, l.range) + "\n";
    snippet(out, sm, l.range, '-', l.message, st, d.severity, width);
  }
  for (const FixIt& f : d.fixits)
    out += std::string(width, ' ') + st.gutter(" = ") + st.bold("help") + ": replace with `" +
           f.replacement + "`\n";
  for (const Note& n : d.notes) {
    out += std::string(width, ' ') + st.gutter(" = ") + st.bold("note") + ": " + n.message;
    if (n.range.valid()) out += " (" + location(sm, n.range) + ")";
    out += "\n";
  }
  return out;
}

std::string renderAllText(const DiagnosticSink& sink, const SourceManager& sm,
                          const RenderOptions& opts) {
  std::string out;
  writeAllText(sink, sm, opts, [&](std::string_view part) { out += part; });
  return out;
}

void writeAllText(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opts,
                  const std::function<void(std::string_view)>& write) {
  const std::vector<Diagnostic>& all = sink.diagnostics();
  // Rendered a chunk at a time: one string grown to the whole output's size was copied at each
  // doubling, and the kernel cleared each new page (most of rendering's time, by `perf`).
  constexpr size_t kChunk = 1 << 20;
  auto render = [&](size_t from, size_t to, const std::function<void(std::string&)>& full) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
      out += renderText(all[i], sm, opts);
      out += "\n";
      if (out.size() >= kChunk) {
        full(out);
        out.clear();
      }
    }
    if (!out.empty()) full(out);
  };
  // Written as it is rendered, through one buffer that is reused.
  auto writeNow = [&](std::string& chunk) { write(chunk); };
  // Below this, a thread costs more than it saves. Above it (a generated program with a warning
  // on every line), rendering was a tenth of `check`'s time.
  constexpr size_t kTwoThreadsFrom = 4096;
  if (all.size() < kTwoThreadsFrom) {
    render(0, all.size(), writeNow);
  } else {
    size_t half = all.size() / 2;
    std::vector<std::string> second; // held until the first half is written
    std::exception_ptr failed;       // out of memory on the worker, rethrown here
    {
      // jthread: joined on the way out, also when rendering the first half throws.
      std::jthread worker([&] {
        try {
          render(half, all.size(), [&](std::string& chunk) { second.push_back(std::move(chunk)); });
        } catch (...) {
          failed = std::current_exception();
        }
      });
      render(0, half, writeNow);
    }
    if (failed) std::rethrow_exception(failed);
    for (const std::string& chunk : second)
      write(chunk);
  }
  Style st{opts.color};
  if (sink.errorCount() || sink.warningCount()) {
    std::string summary;
    auto plural = [](size_t n, const char* w) {
      return std::to_string(n) + " " + w + (n == 1 ? "" : "s");
    };
    if (sink.errorCount()) summary = plural(sink.errorCount(), "error");
    if (sink.warningCount())
      summary += (summary.empty() ? "" : ", ") + plural(sink.warningCount(), "warning");
    write(st.bold(summary + " emitted") + "\n");
  }
}

namespace {
nlohmann::ordered_json rangeJson(const SourceManager& sm, SourceRange r) {
  nlohmann::ordered_json j;
  if (!r.valid()) return nullptr;
  LineCol b = sm.start(r), e = sm.end(r);
  j["file"] = sm.file(r.file).path();
  j["line"] = b.line;
  j["column"] = b.col;
  j["end_line"] = e.line;
  j["end_column"] = e.col;
  return j;
}
} // namespace

std::string renderJson(const DiagnosticSink& sink, const SourceManager& sm) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Diagnostic& d : sink.diagnostics()) {
    nlohmann::ordered_json j;
    j["code"] = diagInfo(d.code).code;
    j["severity"] = severityName(d.severity);
    j["message"] = d.message;
    j["range"] = rangeJson(sm, d.range);
    j["label"] = d.label;
    j["labels"] = nlohmann::ordered_json::array();
    for (auto& l : d.labels)
      j["labels"].push_back({{"range", rangeJson(sm, l.range)}, {"message", l.message}});
    j["notes"] = nlohmann::ordered_json::array();
    for (auto& n : d.notes)
      j["notes"].push_back({{"message", n.message}, {"range", rangeJson(sm, n.range)}});
    j["fixits"] = nlohmann::ordered_json::array();
    for (auto& f : d.fixits)
      j["fixits"].push_back({{"range", rangeJson(sm, f.range)}, {"replacement", f.replacement}});
    all.push_back(std::move(j));
  }
  nlohmann::ordered_json doc;
  doc["diagnostics"] = std::move(all);
  doc["errors"] = sink.errorCount();
  doc["warnings"] = sink.warningCount();
  return doc.dump(2) + "\n";
}

std::string closestName(const std::string& name, const std::vector<std::string>& candidates) {
  // Optimal string alignment distance: like Levenshtein, but a swap of two neighbouring letters
  // (`Spilt` for `Split`) counts as one edit.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
      d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
      d[0][j] = j;
    auto eq = [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) ==
             std::tolower(static_cast<unsigned char>(y));
    };
    for (size_t i = 1; i <= a.size(); ++i)
      for (size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min(
            {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (eq(a[i - 1], b[j - 1]) ? 0 : 1)});
        if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1]))
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.size()][b.size()];
  };
  std::string best;
  size_t bestD = SIZE_MAX;
  size_t limit = std::max<size_t>(1, name.size() / 3);
  for (const auto& c : candidates) {
    if (c == name) continue;
    size_t dd = distance(name, c);
    if (dd <= limit && (dd < bestD || (dd == bestD && c < best))) {
      bestD = dd;
      best = c;
    }
  }
  return best;
}

} // namespace mlpc
