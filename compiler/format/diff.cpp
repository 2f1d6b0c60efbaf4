#include "format/format.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace mlpc::format {

namespace {

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

/// One line of the edit script: ' ' kept, '-' removed, '+' added.
struct Edit {
  char op;
  size_t a, b; ///< line indices in before / after (the one that applies)
};

/// The edit script by longest common subsequence, after trimming the common prefix and suffix
/// (a formatter's diff is small). Very large middles fall back to remove-all, add-all.
std::vector<Edit> editScript(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre])
    ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  std::vector<Edit> out;
  for (size_t i = 0; i < pre; ++i)
    out.push_back({' ', i, i});
  if (n * m <= 16'000'000) {
    std::vector<std::vector<uint32_t>> L(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        L[i][j] =
            a[pre + i] == b[pre + j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        out.push_back({' ', pre + i++, pre + j++});
      } else if (i < n && (j == m || L[i + 1][j] >= L[i][j + 1])) {
        out.push_back({'-', pre + i++, pre + j}); // removals first, as diff(1) prints them
      } else {
        out.push_back({'+', pre + i, pre + j++});
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i)
      out.push_back({'-', pre + i, pre});
    for (size_t j = 0; j < m; ++j)
      out.push_back({'+', pre + n, pre + j});
  }
  for (size_t k = 0; k < suf; ++k)
    out.push_back({' ', a.size() - suf + k, b.size() - suf + k});
  return out;
}

} // namespace

std::string unifiedDiff(const std::string& before, const std::string& after,
                        const std::string& fromName, const std::string& toName) {
  if (before == after) return "";
  auto a = splitLines(before), b = splitLines(after);
  auto edits = editScript(a, b);
  constexpr size_t kContext = 3;
  std::string out = "--- " + fromName + "\n+++ " + toName + "\n";
  size_t k = 0;
  while (k < edits.size()) {
    while (k < edits.size() && edits[k].op == ' ')
      ++k;
    if (k == edits.size()) break;
    // A hunk: from kContext lines before this change to kContext after the last change that
    // is within 2 * kContext kept lines of the previous one.
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    while (end < edits.size()) {
      size_t run = 0;
      while (end + run < edits.size() && edits[end + run].op == ' ')
        ++run;
      if (end + run == edits.size() || run > 2 * kContext) {
        end = std::min(edits.size(), end + std::min(run, kContext));
        break;
      }
      end += run;
      while (end < edits.size() && edits[end].op != ' ')
        ++end;
    }
    size_t aFrom = edits[start].a, bFrom = edits[start].b, aLen = 0, bLen = 0;
    std::string body;
    for (size_t x = start; x < end; ++x) {
      const Edit& e = edits[x];
      if (e.op != '+') ++aLen;
      if (e.op != '-') ++bLen;
      body += e.op;
      body += (e.op == '+' ? b[e.b] : a[e.a]) + "\n";
    }
    out += "@@ -" + std::to_string(aLen ? aFrom + 1 : aFrom) + "," + std::to_string(aLen) + " +" +
           std::to_string(bLen ? bFrom + 1 : bFrom) + "," + std::to_string(bLen) + " @@\n" + body;
    k = end;
  }
  return out;
}

} // namespace mlpc::format
