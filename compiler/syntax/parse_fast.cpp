// The fast parse: one top-level declaration, or one pipeline statement, at a time, with SLL
// prediction and no error recovery, each parse tree and its tokens freed as soon as its AST is
// built. On the 100k-step benchmark program the whole-file parse tree was half of `mlpc check`'s
// memory and the whole file's tokens (over a million) half of the rest; every page the front end
// touches costs time (the kernel clears it), so neither is kept (bench/profile_frontend.sh).
#include "syntax/parse_fast.h"

#include "syntax/ascii_input.h"
#include "syntax/offsets.h"
#include "syntax/recognizers.h"
#include "syntax/transform.h"

#include <algorithm>

namespace mlpc::syntax {

void useSllBail(mlpgen::MlpParser& parser) {
  parser.removeErrorListeners();
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
}

namespace {

/// The lexer's tokens, checked on their way to the parser: the first one the careful parse would
/// report (a lexical error, a bracket nested too deep) marks the source as failed and reaches
/// the parser as UNKNOWN_CHAR, which no rule accepts, so the SLL parse stops right there.
/// (Throwing instead is unsafe: the parser reads tokens in cleanup code that runs while an
/// exception unwinds.)
class CheckedTokenSource final : public antlr4::TokenSource {
public:
  CheckedTokenSource(ThreadLexer& lexer, int depth) : lexer_(lexer), depth_(depth) {}

  bool failed() const { return failed_; }

  std::unique_ptr<antlr4::Token> nextToken() override {
    using L = mlpgen::MlpLexer;
    // Comments are on the hidden channel: a CommonTokenStream hides them from the parser, an
    // unbuffered stream does not, so they stop here.
    std::unique_ptr<antlr4::Token> t = lexer_.nextToken();
    while (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
      t = lexer_.nextToken();
    size_t type = t->getType();
    bool bad = isLexicalError(type);
    if (type == L::LPAREN || type == L::LBRACK || type == L::LBRACE)
      bad = bad || ++depth_ > kMaxNesting;
    else if (type == L::RPAREN || type == L::RBRACK || type == L::RBRACE)
      depth_ = std::max(0, depth_ - 1);
    if (bad) {
      failed_ = true;
      if (auto* w = dynamic_cast<antlr4::WritableToken*>(t.get())) w->setType(L::UNKNOWN_CHAR);
    }
    return t;
  }
  size_t getLine() const override { return lexer_.getLine(); }
  size_t getCharPositionInLine() override { return lexer_.getCharPositionInLine(); }
  antlr4::CharStream* getInputStream() override { return lexer_.getInputStream(); }
  std::string getSourceName() override { return lexer_.getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override {
    return lexer_.getTokenFactory();
  }

private:
  ThreadLexer& lexer_;
  int depth_;
  bool failed_ = false;
};

/// ANTLR's unbuffered token stream, numbering each token without the dynamic_cast its `add` makes
/// per token. Every token here comes from the lexer's CommonTokenFactory; anything else still
/// takes the runtime's way.
class TokenStream final : public antlr4::UnbufferedTokenStream {
public:
  using UnbufferedTokenStream::UnbufferedTokenStream;

protected:
  void add(std::unique_ptr<antlr4::Token> t) override {
    antlr4::Token& token = *t;
    if (typeid(token) != typeid(antlr4::CommonToken)) {
      UnbufferedTokenStream::add(std::move(t));
      return;
    }
    static_cast<antlr4::CommonToken&>(token).setTokenIndex(getBufferStartIndex() + _tokens.size());
    _tokens.push_back(std::move(t));
  }
};

/// Parses the piece from `tokens`: false when it does not parse this way. Each unit (a top-level
/// declaration, a pipeline's head, a statement) is parsed with a mark on the unbuffered stream,
/// so its tokens live until its AST is built; the release then frees them. (ANTLR 4.9's
/// UnbufferedTokenStream frees tokens as soon as no mark holds them, while the parse tree still
/// points at them.)
bool parseUnits(Transformer& t, mlpgen::MlpParser& parser, antlr4::UnbufferedTokenStream& tokens,
                Piece& out) {
  using P = mlpgen::MlpParser;
  auto& tracker = parser.getTreeTracker();
  // Every context the parser creates stays in its tracker until reset.
  auto unit = [&](auto parse, auto build) {
    ssize_t mark = tokens.mark();
    build(parse());
    tracker.reset();
    tokens.release(mark);
  };
  auto statements = [&](std::vector<ast::StmtPtr>& into) {
    while (tokens.LA(1) != P::RBRACE && tokens.LA(1) != antlr4::Token::EOF)
      unit([&] { return parser.statement(); },
           [&](P::StatementContext* st) {
             if (auto stmt = t.statement(st)) into.push_back(std::move(stmt));
           });
  };
  // The closing `}` is taken from the stream, not with parser.match: outside any rule, there is
  // no context to add its node to.
  auto closing = [&] {
    SourceRange r = t.range(tokens.LT(1));
    tokens.consume();
    return r;
  };
  if (out.startsInBody) {
    statements(out.leading);
    if (tokens.LA(1) == antlr4::Token::EOF) return !out.last;
    out.close = closing();
  }
  while (tokens.LA(1) != antlr4::Token::EOF) {
    if (tokens.LA(1) != P::PIPELINE) {
      unit([&] { return parser.topLevel(); },
           [&](P::TopLevelContext* top) {
             if (auto d = t.topLevel(top)) out.decls.push_back(std::move(d));
           });
      continue;
    }
    std::unique_ptr<ast::PipelineDecl> d;
    unit([&] { return parser.pipelineHead(); },
         [&](P::PipelineHeadContext* head) { d = t.pipelineHead(head); });
    statements(d->body.stmts);
    if (tokens.LA(1) != P::RBRACE) { // the piece ends inside the pipeline
      if (out.last) return false;
      out.open = std::move(d);
      return true;
    }
    Transformer::closePipeline(*d, closing());
    out.decls.push_back(std::move(d));
  }
  return true;
}

} // namespace

void parseFast(const SourceManager& sm, FileId file, Piece& piece) noexcept {
  piece.ok = false;
  try {
    std::string_view text(sm.file(file).text());
    text = text.substr(piece.begin, piece.end - piece.begin);
    OffsetMap offsets(text, piece.begin);
    // ASCII text is read where it lies; other text through ANTLR's UTF-32 copy.
    std::unique_ptr<antlr4::CharStream> input;
    if (offsets.ascii())
      input = std::make_unique<AsciiInput>(text);
    else
      input = std::make_unique<antlr4::ANTLRInputStream>(std::string(text));
    ThreadLexer lexer(input.get());
    lexer.removeErrorListeners();
    CheckedTokenSource source(lexer, piece.startsInBody ? 1 : 0);
    TokenStream tokens(&source);
    ThreadParser parser(&tokens);
    useSllBail(parser);
    Transformer t(sm, file, piece.diags, offsets);
    bool ok = parseUnits(t, parser, tokens, piece);
    piece.ok = ok && !source.failed();
  } catch (antlr4::ParseCancellationException&) {
    // a syntax error: the careful parse reports it
  } catch (...) {
    // anything else ANTLR may throw on input it does not expect: the careful parse handles it
  }
}

} // namespace mlpc::syntax
