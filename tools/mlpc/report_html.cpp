#include "report_html.h"

#include <cmath>
#include <cstdio>

namespace mlpc::cli::report {

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        out += "\xEF\xBF\xBD";
      else
        out += c;
    }
  }
  return out;
}

std::string ellipsize(std::string_view text, size_t max) {
  if (max < 2) max = 2;
  size_t chars = 0, cut = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max - 1 && cut == std::string_view::npos) cut = i;
    if (++chars > max) return std::string(text.substr(0, cut)) + "…";
  }
  return std::string(text);
}

std::string num(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "∞" : "-∞");
  char buf[48];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string px(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string statusClass(std::string_view s) {
  if (s == "succeeded" || s == "cached" || s == "failed" || s == "skipped" || s == "running" ||
      s == "not-run" || s == "control")
    return std::string(s);
  if (s == "timed_out") return "failed";
  if (s == "cancelled") return "skipped";
  return "not-run";
}

std::string_view stylesheet() {
  return R"css(
:root { --fg:#1d2330; --muted:#5d6677; --line:#d8dde6; --bg:#f6f7f9; --card:#fff;
  --ok:#2e7d32; --ok-bg:#e6f4e7; --cache:#1565c0; --cache-bg:#e3eefc; --bad:#c62828;
  --bad-bg:#fde8e8; --skip:#a15c00; --skip-bg:#fff3dc; --run:#6a1b9a; --run-bg:#f3e5f5;
  --none:#8a93a3; --none-bg:#f1f2f4; --ctl:#4a5568; --ctl-bg:#ffffff; --accent:#d9480f; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:16px 18px; margin:16px 0; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; background:var(--bg); padding:8px 10px;
  border-radius:6px; margin:6px 0; }
table { border-collapse: collapse; width: auto; min-width: 40%; }
th, td { text-align:left; padding:5px 12px 5px 0; border-bottom:1px solid var(--line);
  vertical-align: top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase;
  letter-spacing:.03em; }
td.num { font-variant-numeric: tabular-nums; }
.muted { color:var(--muted); }
.kv { display:grid; grid-template-columns: max-content 1fr; gap:4px 18px; margin-top:10px; }
.kv dt { color:var(--muted); } .kv dd { margin:0; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px;
  font-weight:600; border:1px solid currentColor; }
.st-succeeded { color:var(--ok); } .st-cached { color:var(--cache); }
.st-failed { color:var(--bad); } .st-skipped { color:var(--skip); }
.st-running { color:var(--run); } .st-not-run { color:var(--none); }
.st-control { color:var(--ctl); } .st-interrupted { color:var(--skip); }
.scroll { overflow-x:auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
svg .node rect, svg .node polygon { stroke-width:1.6; }
svg .node.st-succeeded rect, svg .node.st-succeeded polygon { fill:var(--ok-bg); stroke:var(--ok); }
svg .node.st-cached rect, svg .node.st-cached polygon { fill:var(--cache-bg); stroke:var(--cache); }
svg .node.st-failed rect, svg .node.st-failed polygon { fill:var(--bad-bg); stroke:var(--bad); }
svg .node.st-skipped rect, svg .node.st-skipped polygon { fill:var(--skip-bg); stroke:var(--skip); }
svg .node.st-running rect, svg .node.st-running polygon { fill:var(--run-bg); stroke:var(--run); }
svg .node.st-not-run rect, svg .node.st-not-run polygon { fill:var(--none-bg); stroke:var(--none);
  stroke-dasharray:4 3; }
svg .node.st-control rect, svg .node.st-control polygon { fill:var(--ctl-bg); stroke:var(--ctl); }
svg .node.data rect { fill:#fbfaf4; stroke:#8d7b3a; }
svg .node text { fill:var(--fg); font-size:12px; }
svg .node text.sub { fill:var(--muted); font-size:10.5px; }
svg .edge { fill:none; stroke:#7b8494; stroke-width:1.3; }
svg .edge.contain { stroke:#a3abb8; stroke-dasharray:5 4; }
svg .edge-label { fill:var(--muted); font-size:10px; }
svg .axis line, svg .grid line { stroke:var(--line); }
svg .axis text { fill:var(--muted); font-size:10.5px; }
svg .bar.st-succeeded { fill:var(--ok); } svg .bar.st-failed { fill:var(--bad); }
svg .bar.st-skipped { fill:var(--skip); } svg .bar.st-running { fill:var(--run); }
svg .bar.st-not-run { fill:var(--none); }
svg .marker { fill:var(--cache); }
svg .lane-label { fill:var(--fg); font-size:12px; }
svg .bar-label { fill:var(--muted); font-size:10.5px; }
svg .series { fill:none; stroke:#5b7bb4; stroke-width:1.8; }
svg .point { fill:#5b7bb4; stroke:#fff; stroke-width:1.2; }
svg .point.current { fill:var(--accent); stroke:#fff; stroke-width:2; }
svg .point-label { fill:var(--accent); font-size:11px; font-weight:600; }
.legend { display:flex; flex-wrap:wrap; gap:14px; margin-top:8px; font-size:12px; }
.legend span::before { content:""; display:inline-block; width:12px; height:12px;
  border-radius:3px; margin-right:5px; vertical-align:-2px; border:1.5px solid currentColor;
  background: var(--card); }
.charts { display:grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap:14px;
  margin-top:12px; }
.chart { border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
.chart h3 { margin:0 0 4px; }
.version { border-top:1px solid var(--line); padding-top:10px; margin-top:10px; }
.version:first-of-type { border-top:none; margin-top:0; padding-top:0; }
ul.lineage { list-style:none; padding-left:16px; margin:4px 0; border-left:2px solid var(--line); }
ul.lineage > li { margin:4px 0; }
ul.lineage.top { border-left:none; padding-left:0; }
.cmd { display:block; white-space:pre-wrap; word-break:break-all; background:var(--bg);
  padding:4px 8px; border-radius:4px; margin:2px 0; }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:24px; }
)css";
}

std::string pageStart(const std::string& title, const std::string& mlpcVersion) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"mlpc " +
         esc(mlpcVersion) + "\">\n<title>" + esc(title) + "</title>\n<style>" +
         std::string(stylesheet()) + "</style>\n</head>\n<body>\n<main>\n";
}

} // namespace mlpc::cli::report
