#pragma once
// Turns ANTLR's syntax errors into our diagnostics (E001) with humane wording.
#include "diag/diagnostic.h"
#include "syntax/offsets.h"

#include <antlr4-runtime.h>

namespace mlpc::syntax {

class DiagErrorListener : public antlr4::BaseErrorListener {
public:
  DiagErrorListener(DiagnosticSink& sink, const OffsetMap& offsets, FileId file)
      : sink_(sink), offsets_(offsets), file_(file) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t col, const std::string& msg, std::exception_ptr e) override;

  size_t count() const { return count_; }

private:
  DiagnosticSink& sink_;
  const OffsetMap& offsets_;
  FileId file_;
  size_t count_ = 0;
  uint32_t lastOffset_ = UINT32_MAX;
};

/// "'('" -> "`(`", "ID" -> "identifier", "<EOF>" -> "end of file".
std::string humanToken(const std::string& antlrName);

} // namespace mlpc::syntax
