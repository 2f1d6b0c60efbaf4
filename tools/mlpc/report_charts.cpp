#include "report_charts.h"

#include "history_support.h"
#include "report_html.h"

#include <algorithm>
#include <cmath>

namespace mlpc::cli::report {

double niceStep(double span, int want) {
  if (!(span > 0) || !std::isfinite(span)) return 1;
  double raw = span / std::max(1, want);
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

namespace {

std::string secondsLabel(double s, double step) {
  char buf[32];
  if (s == 0) return "0";
  if (step >= 60 && std::fmod(s, 60) == 0) {
    std::snprintf(buf, sizeof buf, "%dm", static_cast<int>(s / 60));
    return buf;
  }
  if (step >= 1) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
    return buf;
  }
  int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  std::snprintf(buf, sizeof buf, "%.*fs", decimals, s);
  return buf;
}

} // namespace

std::string timelineSvg(const std::vector<TimelineBar>& bars, double span) {
  constexpr double kLabelW = 210, kPlotW = 820, kLane = 28, kBarH = 14, kTop = 26, kRight = 16;
  for (auto& b : bars)
    span = std::max(span, b.end);
  if (!(span > 0)) span = 1;
  double width = kLabelW + kPlotW + kRight;
  double height = kTop + kLane * static_cast<double>(bars.size()) + 8;
  auto X = [&](double t) { return kLabelW + std::clamp(t / span, 0.0, 1.0) * kPlotW; };
  std::string o = "<svg class=\"timeline\" width=\"" + px(width) + "\" height=\"" + px(height) +
                  "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
                  "\" role=\"img\" aria-label=\"timeline of the run's steps\">";
  double step = niceStep(span, 8);
  o += "<g class=\"axis\">";
  for (double t = 0; t <= span + step * 1e-6; t += step) {
    o += "<line x1=\"" + px(X(t)) + "\" x2=\"" + px(X(t)) + "\" y1=\"" + px(kTop - 6) + "\" y2=\"" +
         px(height - 4) + "\"/>";
    o += "<text x=\"" + px(X(t)) + "\" y=\"" + px(kTop - 10) + "\" text-anchor=\"middle\">" +
         esc(secondsLabel(t, step)) + "</text>";
  }
  o += "</g>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    double y = kTop + kLane * static_cast<double>(i);
    double by = y + (kLane - kBarH) / 2;
    o += "<g class=\"lane\" data-node=\"" + esc(b.label) + "\">";
    o += "<title>" + esc(b.tooltip) + "</title>";
    o += "<text class=\"lane-label\" x=\"4\" y=\"" + px(y + kLane / 2 + 4) + "\">" +
         esc(ellipsize(b.label, 16)) + "<tspan class=\"bar-label\" dx=\"6\">" +
         esc(ellipsize(b.sub, 16)) + "</tspan></text>";
    std::string text;
    double x1 = X(b.start), x2 = X(b.end);
    if (b.cached) {
      o += "<rect class=\"marker\" data-testid=\"timeline-cached\" data-node=\"" + esc(b.label) +
           "\" x=\"" + px(x1 - 1.5) + "\" y=\"" + px(by - 3) + "\" width=\"3\" height=\"" +
           px(kBarH + 6) + "\"/>";
      text = "cached";
      x2 = x1 + 2;
    } else {
      double w = std::max(2.0, x2 - x1);
      o += "<rect class=\"bar st-" + esc(statusClass(b.status)) +
           "\" data-testid=\"timeline-bar\" data-node=\"" + esc(b.label) + "\" x=\"" + px(x1) +
           "\" y=\"" + px(by) + "\" width=\"" + px(w) + "\" height=\"" + px(kBarH) +
           "\" rx=\"3\"/>";
      x2 = x1 + w;
      text = formatDuration(b.end - b.start);
      if (b.status != "succeeded") text += " " + b.status;
    }
    bool inside = x2 + 90 > width;
    o += "<text class=\"bar-label\" x=\"" + px(inside ? x1 - 5 : x2 + 5) + "\" y=\"" +
         px(by + kBarH - 3) + "\"" + (inside ? " text-anchor=\"end\"" : "") + ">" + esc(text) +
         "</text>";
    o += "</g>";
  }
  o += "</svg>";
  return o;
}

std::string metricChartSvg(const std::string& name, const std::vector<MetricPoint>& points,
                           const std::string& what) {
  constexpr double kW = 360, kH = 190, kL = 52, kR = 16, kT = 18, kB = 34;
  std::string o = "<svg class=\"metric-chart\" width=\"" + px(kW) + "\" height=\"" + px(kH) +
                  "\" viewBox=\"0 0 " + px(kW) + " " + px(kH) + "\" role=\"img\" aria-label=\"" +
                  esc(name) + " across " + what + "s\">";
  if (points.empty()) return o + "</svg>";
  double lo = points[0].value, hi = lo;
  for (auto& p : points) {
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
  }
  double pad =
      hi - lo > 1e-12 ? (hi - lo) * 0.12 : (std::fabs(hi) > 1e-12 ? std::fabs(hi) * 0.05 : 0.5);
  lo -= pad;
  hi += pad;
  double step = niceStep(hi - lo, 4);
  auto Y = [&](double v) { return kT + (hi - v) / (hi - lo) * (kH - kT - kB); };
  size_t n = points.size();
  auto X = [&](size_t i) {
    return n == 1 ? kL + (kW - kL - kR) / 2
                  : kL + static_cast<double>(i) / static_cast<double>(n - 1) * (kW - kL - kR);
  };
  o += "<g class=\"axis\">";
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    double vv = std::fabs(v) < step * 1e-9 ? 0 : v;
    o += "<line x1=\"" + px(kL) + "\" x2=\"" + px(kW - kR) + "\" y1=\"" + px(Y(vv)) + "\" y2=\"" +
         px(Y(vv)) + "\"/>";
    o += "<text x=\"" + px(kL - 6) + "\" y=\"" + px(Y(vv) + 3.5) + "\" text-anchor=\"end\">" +
         esc(num(vv)) + "</text>";
  }
  // The first and last runs' start times, and "runs in time order" between them.
  auto day = [](double t) { return formatTime(t).substr(5, 11); };
  o += "<text x=\"" + px(X(0)) + "\" y=\"" + px(kH - 14) + "\" text-anchor=\"" +
       (n == 1 ? "middle" : "start") + "\">" + esc(day(points.front().startedAt)) + "</text>";
  if (n > 1)
    o += "<text x=\"" + px(X(n - 1)) + "\" y=\"" + px(kH - 14) + "\" text-anchor=\"end\">" +
         esc(day(points.back().startedAt)) + "</text>";
  o += "<text x=\"" + px((kL + kW - kR) / 2) + "\" y=\"" + px(kH - 2) +
       "\" text-anchor=\"middle\">" + std::to_string(n) + " " + what + (n == 1 ? "" : "s") +
       ", oldest → newest (UTC)</text>";
  o += "</g>";
  if (n > 1) {
    std::string pts;
    for (size_t i = 0; i < n; ++i)
      pts += (i ? " " : "") + px(X(i)) + "," + px(Y(points[i].value));
    o += "<polyline class=\"series\" data-testid=\"metric-line\" points=\"" + pts + "\"/>";
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& p = points[i];
    o += "<circle class=\"point" + std::string(p.current ? " current" : "") +
         "\" data-testid=\"metric-point\" data-run=\"" + esc(p.runId) + "\" data-value=\"" +
         esc(num(p.value)) + "\"" + (p.current ? " data-current=\"true\"" : "") + " cx=\"" +
         px(X(i)) + "\" cy=\"" + px(Y(p.value)) + "\" r=\"" + (p.current ? "6" : "4") +
         "\"><title>" +
         esc(p.runId + " · " + formatTime(p.startedAt) + " UTC · " + name + " = " + num(p.value) +
             (p.current ? " (this " + what + ")" : "")) +
         "</title></circle>";
  }
  for (size_t i = 0; i < n; ++i)
    if (points[i].current) {
      double x = X(i);
      const char* anchor = n == 1 ? "middle" : i == 0 ? "start" : i + 1 == n ? "end" : "middle";
      o += "<text class=\"point-label\" x=\"" + px(x) + "\" y=\"" +
           px(std::max(kT - 4, Y(points[i].value) - 10)) + "\" text-anchor=\"" + anchor + "\">" +
           esc(num(points[i].value)) + "</text>";
    }
  o += "</svg>";
  return o;
}

} // namespace mlpc::cli::report
