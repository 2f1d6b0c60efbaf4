#include "format/format.h"

#include "syntax/layout.h"

#include <algorithm>

namespace mlpc::format {

namespace {

using syntax::LayoutKind;
using syntax::LayoutToken;
using K = LayoutKind;

int linesIn(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

/// Whether one space separates `a` and `b` on a line.
bool spaced(const LayoutToken& a, const LayoutToken& b) {
  if (b.kind == K::LineComment || b.kind == K::BlockComment) return true;
  if (a.kind == K::BlockComment) return true;
  if (a.unary) return false;
  if (a.kind == K::Dot || b.kind == K::Dot) return false;
  if (b.kind == K::Comma || b.kind == K::Colon) return false;
  if (a.inType && b.inType) {
    // `Metrics{auc: float, n: int}`, `list<int>`, `Dataset<csv>`: spaces only after , and :
    return a.kind == K::Comma || a.kind == K::Colon;
  }
  if (a.kind == K::Open) {
    // a record's braces are spaced (`{ cpu: 2 }`), except when empty; ( and [ never are
    return a.text == "{" && !(b.kind == K::Close);
  }
  if (b.kind == K::Close) return b.text == "}" && a.kind != K::Open;
  if (b.kind == K::Open) {
    if (b.text == "{") return !b.inType;
    // a call or an index follows its callee directly; a list or a group after anything else
    return !(a.kind == K::Word || a.kind == K::Close || a.kind == K::String);
  }
  return true;
}

struct Line {
  std::vector<const LayoutToken*> toks; ///< code and comments, in order
  int blankBefore = 0;
  size_t indent = 0;      ///< spaces for the open brackets (see layout())
  bool continued = false; ///< a continued expression: four more spaces
  bool statement = false; ///< at statement level: inside braces or at the top, not in ( or [
};

std::string render(const Line& l, size_t width, bool alignEq, size_t eqWidth) {
  std::string s;
  for (size_t i = 0; i < width && i < l.toks.size(); ++i) {
    const LayoutToken& t = *l.toks[i];
    if (i > 0 && spaced(*l.toks[i - 1], t)) s += ' ';
    s += t.text;
    if (i == 0 && alignEq && t.text.size() < eqWidth)
      s += std::string(eqWidth - t.text.size(), ' ');
  }
  return s;
}

bool trailingComment(const Line& l) {
  return l.toks.size() > 1 && l.toks.back()->kind == K::LineComment;
}
bool startsAssignment(const Line& l) {
  return l.statement && l.toks.size() > 2 && l.toks[0]->kind == K::Word &&
         l.toks[1]->kind == K::Assign && !l.continued;
}
bool multiLine(const Line& l) {
  for (auto* t : l.toks)
    if (t->text.find('\n') != std::string::npos) return true;
  return false;
}

std::string layout(const std::vector<LayoutToken>& toks) {
  // Group the tokens into the author's lines.
  std::vector<Line> lines;
  int prevEnd = 0;
  for (const LayoutToken& t : toks) {
    if (lines.empty() || t.line > prevEnd) {
      Line l;
      l.blankBefore = lines.empty() ? 0 : std::min(1, t.line - prevEnd - 1);
      lines.push_back(l);
    }
    lines.back().toks.push_back(&t);
    prevEnd = t.line + linesIn(t.text);
  }
  // Indentation: for each earlier line that opened a bracket still open here, two spaces when
  // one of them is a brace (a block, a record) and four when all are ( or [ (a continued list
  // of arguments or parameters, set apart from the body below it).
  struct Opened {
    size_t line;
    char c;
  };
  std::vector<Opened> open;
  const LayoutToken* lastCode = nullptr;
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& l = lines[i];
    size_t k = 0;
    while (k < l.toks.size() && l.toks[k]->kind == K::Close && !open.empty()) {
      open.pop_back();
      ++k;
    }
    l.indent = 0;
    for (size_t x = 0; x < open.size();) {
      size_t y = x;
      bool brace = false;
      while (y < open.size() && open[y].line == open[x].line)
        brace = brace || open[y++].c == '{';
      l.indent += brace ? 2 : 4;
      x = y;
    }
    l.statement = open.empty() || open.back().c == '{';
    const LayoutToken& first = *l.toks[0];
    bool comment = first.kind == K::LineComment || first.kind == K::BlockComment;
    if (!comment && first.kind != K::Close && lastCode) {
      bool prevOpen = lastCode->kind == K::Operator || lastCode->kind == K::Assign ||
                      lastCode->kind == K::Arrow;
      bool startsOp = (first.kind == K::Operator && !first.unary) || first.kind == K::Arrow;
      l.continued = (prevOpen && !lastCode->unary) || startsOp;
    }
    for (; k < l.toks.size(); ++k) {
      const LayoutToken& t = *l.toks[k];
      if (t.kind == K::Open) open.push_back({i, t.text[0]});
      if (t.kind == K::Close && !open.empty()) open.pop_back();
    }
    for (auto it = l.toks.rbegin(); it != l.toks.rend(); ++it)
      if ((*it)->kind != K::LineComment && (*it)->kind != K::BlockComment) {
        lastCode = *it;
        break;
      }
  }
  // Alignment groups: consecutive lines (no blank line between) at the same indent.
  std::vector<size_t> eqWidth(lines.size(), 0), commentCol(lines.size(), 0);
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    if (startsAssignment(lines[i]) && !multiLine(lines[i])) {
      size_t w = 0;
      while (j < lines.size() && startsAssignment(lines[j]) && !multiLine(lines[j]) &&
             lines[j].indent == lines[i].indent && (j == i || lines[j].blankBefore == 0)) {
        w = std::max(w, lines[j].toks[0]->text.size());
        ++j;
      }
      for (size_t x = i; x < j; ++x)
        eqWidth[x] = w;
    }
    i = std::max(j, i + 1);
  }
  auto indent = [&](const Line& l) { return std::string(l.indent + (l.continued ? 4 : 0), ' '); };
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    size_t w = 0;
    while (j < lines.size() && trailingComment(lines[j]) && !multiLine(lines[j]) &&
           (j == i || lines[j].blankBefore == 0)) {
      w = std::max(
          w, indent(lines[j]).size() +
                 render(lines[j], lines[j].toks.size() - 1, eqWidth[j] > 0, eqWidth[j]).size());
      ++j;
    }
    for (size_t x = i; x < j; ++x)
      commentCol[x] = w + 2;
    i = std::max(j, i + 1);
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.blankBefore) out += '\n';
    std::string text = indent(l);
    if (commentCol[i]) {
      text += render(l, l.toks.size() - 1, eqWidth[i] > 0, eqWidth[i]);
      text += std::string(commentCol[i] > text.size() ? commentCol[i] - text.size() : 1, ' ');
      text += l.toks.back()->text;
    } else {
      text += render(l, l.toks.size(), eqWidth[i] > 0, eqWidth[i]);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
      text.pop_back();
    out += text + '\n';
  }
  return out;
}

/// A token as the check compares it: comments without trailing blanks (the formatter trims
/// them), everything else byte for byte.
std::string comparable(const LayoutToken& t) {
  std::string s = t.text;
  if (t.kind == K::LineComment)
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
      s.pop_back();
  return std::to_string(static_cast<int>(t.kind)) + ":" + s;
}

} // namespace

std::optional<std::string> formatFile(const SourceManager& sm, FileId file, DiagnosticSink& sink,
                                      std::string& error) {
  auto toks = syntax::layoutTokens(sm, file, sink);
  if (!toks) return std::nullopt;
  std::string out = layout(*toks);
  // Never change a program: the result must hold exactly the same tokens.
  SourceManager again;
  FileId f2 = again.add(sm.file(file).path(), out);
  DiagnosticSink quiet;
  auto check = syntax::layoutTokens(again, f2, quiet);
  bool same = check && check->size() == toks->size();
  for (size_t i = 0; same && i < toks->size(); ++i)
    same = comparable((*toks)[i]) == comparable((*check)[i]);
  if (!same) {
    error = "internal error: formatting " + sm.file(file).path() +
            " would change its tokens; the file is left as it is (please report this)";
    return std::nullopt;
  }
  return out;
}

} // namespace mlpc::format
