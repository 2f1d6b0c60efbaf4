#include "syntax/interpolation.h"

namespace mlpc::syntax {

void splitInterpolations(ast::StringLit& lit, const std::string& body, uint32_t base, bool triple,
                         FileId file, DiagnosticSink& sink, const ExprParser& parse) {
  std::string text;
  uint32_t textStart = base;
  auto flush = [&](uint32_t end) {
    if (text.empty()) return;
    ast::StringPart part;
    part.text = std::move(text);
    part.range = {file, textStart, end};
    lit.parts.push_back(std::move(part));
    text.clear();
  };
  size_t i = 0;
  while (i < body.size()) {
    char c = body[i];
    uint32_t at = base + static_cast<uint32_t>(i);
    if (c == '$' && body.compare(i, 3, "$${") == 0) {
      if (text.empty()) textStart = at;
      text += "${";
      i += 3;
      continue;
    }
    if (c == '$' && i + 1 < body.size() && body[i + 1] == '{') {
      flush(at);
      // Find the matching close brace; records inside an interpolation may nest braces.
      size_t depth = 0, j = i + 2;
      for (; j < body.size(); ++j) {
        if (body[j] == '{') ++depth;
        if (body[j] == '}') {
          if (depth == 0) break;
          --depth;
        }
      }
      if (j >= body.size()) {
        sink.report(DiagCode::BadLiteral, {file, at, at + 2}, "unterminated interpolation")
            .withLabel("this `${` has no closing `}`")
            .note("write `$${` for a literal `${`");
        return;
      }
      std::string src = body.substr(i + 2, j - i - 2);
      uint32_t exprAt = at + 2;
      ast::StringPart part;
      part.range = {file, at, base + static_cast<uint32_t>(j + 1)};
      bool blank = src.find_first_not_of(" \t\r\n") == std::string::npos;
      if (blank) {
        sink.report(DiagCode::BadInterpolation, part.range, "empty interpolation")
            .withLabel("names nothing");
        part.expr = std::make_unique<ast::ErrorExpr>(part.range);
      } else {
        part.expr = parse(src, exprAt);
        if (!part.expr) part.expr = std::make_unique<ast::ErrorExpr>(part.range);
      }
      lit.parts.push_back(std::move(part));
      i = j + 1;
      textStart = base + static_cast<uint32_t>(i);
      continue;
    }
    if (c == '\\' && !triple) {
      if (text.empty()) textStart = at;
      char n = i + 1 < body.size() ? body[i + 1] : '\0';
      switch (n) {
      case 'n':
        text += '\n';
        break;
      case 't':
        text += '\t';
        break;
      case 'r':
        text += '\r';
        break;
      case '0':
        text += '\0';
        break;
      case '\\':
        text += '\\';
        break;
      case '"':
        text += '"';
        break;
      case '$':
        text += '$';
        break;
      default:
        sink.report(DiagCode::BadLiteral, {file, at, at + 2},
                    std::string("unknown escape `\\") + n + "`")
            .note("valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\$");
      }
      i += 2;
      continue;
    }
    if (text.empty()) textStart = at;
    text += c;
    ++i;
  }
  flush(base + static_cast<uint32_t>(body.size()));
}

} // namespace mlpc::syntax
