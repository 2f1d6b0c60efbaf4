#pragma once
/// Source buffers and positions. A SourceRange is a half-open byte range in one file; line and
/// column (both 1-based, columns in bytes) are computed on demand from a per-file line table.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc {

using FileId = uint32_t;
inline constexpr FileId kNoFile = UINT32_MAX;

struct SourceRange {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;
  bool valid() const { return file != kNoFile; }
  /// The range covering both `a` and `b` (which must be in the same file).
  static SourceRange join(SourceRange a, SourceRange b) {
    if (!a.valid()) return b;
    if (!b.valid()) return a;
    return {a.file, std::min(a.begin, b.begin), std::max(a.end, b.end)};
  }
};

struct LineCol {
  uint32_t line = 0;
  uint32_t col = 0;
};

class SourceFile {
public:
  SourceFile(std::string path, std::string text);
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  LineCol lineCol(uint32_t offset) const;
  /// The text of 1-based line `line`, without its newline.
  std::string_view lineText(uint32_t line) const;
  uint32_t lineCount() const { return static_cast<uint32_t>(lineStarts_.size()); }

private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> lineStarts_;
};

/// Owns every loaded source file; FileIds index into it and stay valid for its lifetime.
class SourceManager {
public:
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  size_t size() const { return files_.size(); }
  LineCol start(SourceRange r) const { return file(r.file).lineCol(r.begin); }
  LineCol end(SourceRange r) const { return file(r.file).lineCol(r.end); }
  /// `path:line:col-line:col`, the form plans and JSON use.
  std::string describe(SourceRange r) const;
  std::string_view text(SourceRange r) const {
    if (!r.valid()) return {};
    return std::string_view(file(r.file).text()).substr(r.begin, r.end - r.begin);
  }

private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

/// Reads a whole file; returns false (and leaves `out` empty) when it cannot be read.
bool readFile(const std::string& path, std::string& out, std::string& error);

} // namespace mlpc
