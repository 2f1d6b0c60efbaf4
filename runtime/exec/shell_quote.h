#pragma once
/// Quoting values for `/bin/sh -c` command lines.
#include <string>
#include <string_view>

namespace mlpc::exec {

/// Returns `value` as one POSIX shell word that expands to exactly the same bytes, whatever they
/// are (`;`, `$(...)`, backticks, quotes, newlines, globs, `~`, non-UTF-8). Single-quote style:
/// `'...'` with each `'` written as `'\''`; the empty string becomes `''`. Words made only of
/// `[A-Za-z0-9_@%+:,./-]` are returned unquoted so command lines stay readable (`=` is not in
/// that set: an unquoted `a=b` in command position would be an assignment). A NUL byte cannot be
/// passed through any command line; the caller must reject such values before quoting.
std::string shellQuote(std::string_view value);

} // namespace mlpc::exec
