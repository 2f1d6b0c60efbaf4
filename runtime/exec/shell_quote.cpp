#include "exec/shell_quote.h"

namespace mlpc::exec {
namespace {

bool isSafeUnquoted(unsigned char c) {
  // ASCII only on purpose: the locale must not decide what the shell treats as special.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
  case '_':
  case '@':
  case '%':
  case '+':
  case ':':
  case ',':
  case '.':
  case '/':
  case '-':
    return true;
  default:
    return false;
  }
}

} // namespace

std::string shellQuote(std::string_view value) {
  if (value.empty()) return "''";
  bool safe = true;
  for (char c : value)
    safe = safe && isSafeUnquoted(static_cast<unsigned char>(c));
  if (safe) return std::string(value);

  // Inside single quotes every byte is literal except `'` itself, which cannot be escaped there:
  // close the quote, emit an escaped quote, reopen.
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

} // namespace mlpc::exec
