#include "syntax/parse.h"

#include "syntax/error_listener.h"
#include "syntax/interpolation.h"
#include "syntax/parse_fast.h"
#include "syntax/parse_pieces.h"
#include "syntax/recognizers.h"
#include "syntax/transform.h"

#include "MlpLexer.h"
#include "MlpParser.h"

#include <algorithm>
#include <thread>

namespace mlpc::syntax {

namespace {

/// Reports what the lexer could not make sense of, each at its exact span, before parsing (the
/// parser's own messages about these tokens are suppressed by the listener).
void reportLexicalErrors(antlr4::CommonTokenStream& tokens, const OffsetMap& offsets, FileId file,
                         DiagnosticSink& sink) {
  for (antlr4::Token* t : tokens.getTokens()) {
    size_t type = t->getType();
    if (!isLexicalError(type)) continue;
    SourceRange r{file, offsets.byte(t->getStartIndex()), offsets.byte(t->getStopIndex() + 1)};
    if (type == mlpgen::MlpLexer::UNTERMINATED_COMMENT) {
      sink.report(DiagCode::SyntaxError, {file, r.begin, r.begin + 2}, "unterminated comment")
          .withLabel("this `/*` has no closing `*/`");
    } else if (type == mlpgen::MlpLexer::UNKNOWN_CHAR) {
      std::string c = t->getText();
      auto& d = sink.report(DiagCode::SyntaxError, r, "unexpected character `" + c + "`");
      if (c == "%") d.note("there is no `%` operator: `10%` (no space) is a percent");
      if (c == "'") d.note("strings use double quotes");
      if (c == ";") d.note("statements need no separator");
    } else if (type == mlpgen::MlpLexer::UNTERMINATED_STRING) {
      sink.report(DiagCode::SyntaxError, {file, r.begin, r.begin + 1}, "unterminated string")
          .withLabel("this string has no closing `\"` on its line")
          .note("use `\"\"\"` for a string that spans lines");
    } else {
      std::string text = t->getText();
      size_t n = 0;
      while (n < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.'))
        ++n;
      sink.report(DiagCode::BadLiteral, r,
                  "unknown unit `" + text.substr(n) + "` in `" + text + "`")
          .withLabel("not a unit")
          .note("durations: ms s m h d; sizes: B KB MB GB TB KiB MiB GiB TiB; percents: %");
    }
  }
}

/// Full LL prediction and error recovery from the first token, every error to `listener`.
void useLlRecovering(mlpgen::MlpParser& parser, antlr4::CommonTokenStream& tokens,
                     DiagErrorListener& listener) {
  tokens.seek(0);
  parser.reset();
  parser.getTreeTracker().reset(); // what a failed fast path left
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
}

/// The careful path: full LL prediction and error recovery over the whole file, reporting every
/// syntax error through the listener.
ast::Module parseWhole(const SourceManager& sm, FileId file, mlpgen::MlpParser& parser,
                       antlr4::CommonTokenStream& tokens, const OffsetMap& offsets,
                       DiagnosticSink& sink) {
  DiagErrorListener listener(sink, offsets, file);
  useLlRecovering(parser, tokens, listener);
  auto* tree = parser.file();
  Transformer t(sm, file, sink, offsets);
  ast::Module m = t.file(tree);
  parser.removeErrorListeners(); // the listener dies here; the parser may outlive it
  return m;
}

/// SLL prediction is much faster and almost always enough; only an input that fails under SLL is
/// parsed again with full LL and error recovery, so errors are reported as precisely as LL can.
template <class Entry>
auto parseTwoStage(mlpgen::MlpParser& parser, antlr4::CommonTokenStream& tokens,
                   DiagErrorListener& listener, Entry entry) {
  useSllBail(parser);
  try {
    return (parser.*entry)();
  } catch (antlr4::ParseCancellationException&) {
  }
  useLlRecovering(parser, tokens, listener);
  return (parser.*entry)();
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629, table
/// 3-7 of the Unicode standard: no overlong forms, no surrogates, nothing above U+10FFFF), or
/// npos. ANTLR's decoder throws on exactly these, so the check must be at least as strict.
size_t invalidUtf8(const std::string& s) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = at(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF; // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0; // overlong
      if (c == 0xED) hi = 0x9F; // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90; // overlong
      if (c == 0xF4) hi = 0x8F; // above U+10FFFF
    } else {
      return i;
    }
    if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) return i;
    for (size_t k = 2; k < n; ++k)
      if ((at(i + k) & 0xC0) != 0x80) return i;
    i += n;
  }
  return std::string::npos;
}

bool tooDeep(antlr4::CommonTokenStream& tokens, const OffsetMap& offsets, FileId file,
             DiagnosticSink& sink) {
  int depth = 0;
  for (antlr4::Token* t : tokens.getTokens()) {
    size_t type = t->getType();
    if (type == mlpgen::MlpLexer::LPAREN || type == mlpgen::MlpLexer::LBRACK ||
        type == mlpgen::MlpLexer::LBRACE) {
      if (++depth > kMaxNesting) {
        uint32_t b = offsets.byte(t->getStartIndex());
        sink.report(DiagCode::SyntaxError, {file, b, b + 1},
                    "brackets nested too deeply (more than " + std::to_string(kMaxNesting) +
                        " levels)")
            .withLabel("nesting limit reached here");
        return true;
      }
    } else if (type == mlpgen::MlpLexer::RPAREN || type == mlpgen::MlpLexer::RBRACK ||
               type == mlpgen::MlpLexer::RBRACE) {
      depth = std::max(0, depth - 1);
    }
  }
  return false;
}

} // namespace

ast::Module parseFile(const SourceManager& sm, FileId file, DiagnosticSink& sink, ParseStats* stats,
                      const ParseOptions& options) {
  const std::string& text = sm.file(file).text();
  // ANTLR decodes the input to UTF-32 and throws on invalid bytes: check first, and say where.
  if (size_t bad = invalidUtf8(text); bad != std::string::npos) {
    sink.report(DiagCode::SyntaxError,
                {file, static_cast<uint32_t>(bad), static_cast<uint32_t>(bad + 1)},
                "this file is not valid UTF-8")
        .withLabel("invalid byte")
        .note("save the file as UTF-8");
    ast::Module empty;
    empty.file = file;
    return empty;
  }
  if (!options.wholeTree) {
    if (text.size() >= options.piecesFromBytes) {
      unsigned threads =
          options.threads ? options.threads : std::min(4u, std::thread::hardware_concurrency());
      if (threads > 1)
        if (auto m = parseInPieces(sm, file, threads, stats)) return std::move(*m);
    }
    Piece whole;
    whole.end = static_cast<uint32_t>(text.size());
    parseFast(sm, file, whole);
    if (whole.ok) {
      // Diagnostics the Transformer reported on the way (a bad literal, a bad `${…}`) count
      // only now that this path has succeeded: the careful path would report them again.
      sink.absorb(whole.diags);
      ast::Module m;
      m.file = file;
      m.decls = std::move(whole.decls);
      return m;
    }
    if (stats) stats->usedFullLL = true;
  }

  // The careful path, for a file with errors: every token first, so that lexical errors are
  // reported at their exact spans, then full LL prediction with error recovery.
  OffsetMap offsets(text, 0);
  antlr4::ANTLRInputStream input(text);
  ThreadLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  reportLexicalErrors(tokens, offsets, file, sink);
  if (tooDeep(tokens, offsets, file, sink)) {
    ast::Module empty;
    empty.file = file;
    return empty;
  }
  ThreadParser parser(&tokens);
  return parseWhole(sm, file, parser, tokens, offsets, sink);
}

ast::ExprPtr parseInterpolatedExpr(const SourceManager& sm, FileId file, const std::string& src,
                                   uint32_t at, DiagnosticSink& sink) {
  OffsetMap offsets(src, at);
  antlr4::ANTLRInputStream input(src);
  ThreadLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  size_t before = sink.errorCount();
  reportLexicalErrors(tokens, offsets, file, sink);
  ThreadParser parser(&tokens);
  DiagErrorListener listener(sink, offsets, file);
  auto* tree = parseTwoStage(parser, tokens, listener, &mlpgen::MlpParser::exprEof);
  if (sink.errorCount() != before || !tree || !tree->expr()) return nullptr;
  Transformer t(sm, file, sink, offsets);
  return t.expr(tree->expr());
}

} // namespace mlpc::syntax
