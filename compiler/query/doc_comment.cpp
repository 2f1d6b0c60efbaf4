// Doc comments: the `//` lines written directly above a declaration (or at the top of a file).
#include "query/query.h"

#include <vector>

namespace mlpc::query {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}
std::string_view commentText(std::string_view line) {
  line = trim(line);
  line.remove_prefix(2);
  if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}
bool isComment(std::string_view line) {
  line = trim(line);
  return line.size() >= 2 && line[0] == '/' && line[1] == '/';
}
} // namespace

std::string docComment(const SourceManager& sm, SourceRange declRange) {
  if (!declRange.valid() || declRange.file >= sm.size()) return "";
  const SourceFile& f = sm.file(declRange.file);
  std::vector<std::string_view> lines;
  if (declRange.begin == 0 && declRange.end == 0) {
    // A whole file: its leading comment block.
    for (uint32_t l = 1; l <= f.lineCount() && isComment(f.lineText(l)); ++l)
      lines.push_back(commentText(f.lineText(l)));
  } else {
    uint32_t line = f.lineCol(declRange.begin).line;
    for (uint32_t l = line; l > 1 && isComment(f.lineText(l - 1)); --l)
      lines.insert(lines.begin(), commentText(f.lineText(l - 1)));
  }
  std::string out;
  for (auto l : lines) {
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
}

} // namespace mlpc::query
