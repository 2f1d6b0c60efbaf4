#pragma once
/// Diagnostics are data: phases report them to a sink, the driver renders them once (text for
/// people, JSON for tools) and takes the exit code from the count of errors.
#include "source/source.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpc {

enum class Severity { Error, Warning, Note };

enum class DiagCode {
#define DIAG(Name, Code, Sev, Title) Name,
#include "diag/codes.def"
#undef DIAG
};

struct DiagInfo {
  const char* code;
  Severity severity;
  const char* title;
};
const DiagInfo& diagInfo(DiagCode code);
/// Every code, in table order (for docs and the coverage test).
const std::vector<DiagCode>& allDiagCodes();

/// A secondary span with its own message, e.g. "previously defined here".
struct Label {
  SourceRange range;
  std::string message;
};

struct Note {
  std::string message;
  SourceRange range; ///< optional: where the note points
};

struct FixIt {
  SourceRange range;
  std::string replacement;
};

struct Diagnostic {
  DiagCode code = DiagCode::SyntaxError;
  Severity severity = Severity::Error;
  SourceRange range;   ///< the primary span (may be invalid for command-line errors)
  std::string message; ///< the headline
  std::string label;   ///< text under the primary span
  std::vector<Label> labels;
  std::vector<Note> notes;
  std::vector<FixIt> fixits;

  Diagnostic& withLabel(std::string text) {
    label = std::move(text);
    return *this;
  }
  Diagnostic& secondary(SourceRange r, std::string text) {
    labels.push_back({r, std::move(text)});
    return *this;
  }
  Diagnostic& note(std::string text, SourceRange r = {}) {
    notes.push_back({std::move(text), r});
    return *this;
  }
  Diagnostic& fix(SourceRange r, std::string replacement) {
    fixits.push_back({r, std::move(replacement)});
    return *this;
  }
};

Diagnostic makeDiag(DiagCode code, SourceRange range, std::string message);

/// Where phases send diagnostics. The collector keeps them for rendering in a stable order.
class DiagnosticSink {
public:
  virtual ~DiagnosticSink() = default;
  Diagnostic& report(DiagCode code, SourceRange range, std::string message);
  size_t errorCount() const { return errors_; }
  size_t warningCount() const { return warnings_; }
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  /// Sorts by file, position and code (stable), and drops exact duplicates.
  void sort(const SourceManager& sm);
  /// Moves every diagnostic of `other` (in order) to the end of this sink; `other` is emptied.
  void absorb(DiagnosticSink& other);
  /// Room for `more` reports without moving the ones held (growing at least twofold, so that
  /// many small calls stay linear).
  void reserve(size_t more) {
    if (diags_.size() + more > diags_.capacity())
      diags_.reserve(std::max(diags_.size() + more, 2 * diags_.capacity()));
  }

private:
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
};

struct RenderOptions {
  bool color = false;
};

/// `path:line:col: error[E002]: message`, the source line, an underline of the span, labels, notes.
std::string renderText(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opts);
/// Every diagnostic (each followed by an empty line) and a summary line.
std::string renderAllText(const DiagnosticSink& sink, const SourceManager& sm,
                          const RenderOptions& opts);
/// The same text, handed to `write` in a few parts. Many diagnostics are rendered in two halves
/// at once, and the first half is written while the second is rendered.
void writeAllText(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opts,
                  const std::function<void(std::string_view)>& write);
/// One JSON document: {"diagnostics": [...], "errors": N, "warnings": N}.
std::string renderJson(const DiagnosticSink& sink, const SourceManager& sm);

/// "did you mean" support: the closest candidate by edit distance, or "" when none is close.
std::string closestName(const std::string& name, const std::vector<std::string>& candidates);

} // namespace mlpc
