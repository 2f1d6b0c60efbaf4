#pragma once
// Small helpers for writing the HTML of `mlpc report`: escaping, number formatting and the
// colours that stand for execution statuses. Everything the report writes goes through esc().
#include <string>
#include <string_view>

namespace mlpc::cli::report {

/// Escapes text for HTML content and attribute values (`& < > " '`). Control characters other
/// than tab and newline, which HTML does not allow, become U+FFFD.
std::string esc(std::string_view text);

/// Shortens text to at most `max` characters (UTF-8 aware), ending it with `…` when cut.
std::string ellipsize(std::string_view text, size_t max);

/// A number for people: `%.4g`, or an integer without a decimal point.
std::string num(double v);

/// A coordinate for SVG: at most two decimals, no exponent.
std::string px(double v);

/// The statuses a DAG node or timeline bar is drawn with; the CSS classes are `st-<status>`.
/// One of: succeeded, cached, failed, skipped, running, not-run, control.
std::string statusClass(std::string_view execStatus);

/// The stylesheet of the whole report (inline).
std::string_view stylesheet();

/// A page's start, up to and including `<main>`: doctype, meta tags, the title and the
/// stylesheet. Every page of the report begins with it.
std::string pageStart(const std::string& title, const std::string& mlpcVersion);

} // namespace mlpc::cli::report
