#include "syntax/layout.h"

#include "syntax/parse.h"
#include "syntax/recognizers.h"

#include "MlpLexer.h"
#include "MlpParser.h"

namespace mlpc::syntax {

namespace {

using L = mlpgen::MlpLexer;

LayoutKind kindOf(size_t type) {
  switch (type) {
  case L::IMPORT:
  case L::AS:
  case L::IF:
  case L::ELSE:
  case L::FOR:
  case L::IN:
  case L::REGISTER:
  case L::WITH:
  case L::FAIL:
  case L::NOT:
    return LayoutKind::Keyword;
  case L::STRING:
  case L::TRIPLE_STRING:
    return LayoutKind::String;
  case L::LINE_COMMENT:
    return LayoutKind::LineComment;
  case L::BLOCK_COMMENT:
    return LayoutKind::BlockComment;
  case L::LPAREN:
  case L::LBRACK:
  case L::LBRACE:
    return LayoutKind::Open;
  case L::RPAREN:
  case L::RBRACK:
  case L::RBRACE:
    return LayoutKind::Close;
  case L::COMMA:
    return LayoutKind::Comma;
  case L::COLON:
    return LayoutKind::Colon;
  case L::DOT:
    return LayoutKind::Dot;
  case L::ASSIGN:
    return LayoutKind::Assign;
  case L::ARROW:
    return LayoutKind::Arrow;
  case L::PLUS:
  case L::MINUS:
  case L::STAR:
  case L::SLASH:
  case L::LT:
  case L::LE:
  case L::GT:
  case L::GE:
  case L::EQ:
  case L::NE:
  case L::AND:
  case L::OR:
    return LayoutKind::Operator;
  default:
    return LayoutKind::Word;
  }
}

/// Marks the token ranges of types and the `-` of negations, walking the parse tree.
void mark(antlr4::tree::ParseTree* t, std::vector<bool>& inType, std::vector<bool>& unary) {
  if (auto* ty = dynamic_cast<mlpgen::MlpParser::TypeContext*>(t)) {
    if (ty->getStart() && ty->getStop())
      for (size_t i = ty->getStart()->getTokenIndex();
           i <= ty->getStop()->getTokenIndex() && i < inType.size(); ++i)
        inType[i] = true;
    return; // nothing inside a type is an expression
  }
  if (auto* neg = dynamic_cast<mlpgen::MlpParser::NegExprContext*>(t))
    if (neg->getStart() && neg->getStart()->getTokenIndex() < unary.size())
      unary[neg->getStart()->getTokenIndex()] = true;
  for (auto* c : t->children)
    mark(c, inType, unary);
}

} // namespace

std::optional<std::vector<LayoutToken>> layoutTokens(const SourceManager& sm, FileId file,
                                                     DiagnosticSink& sink) {
  size_t before = sink.errorCount();
  (void)parseFile(sm, file, sink);
  if (sink.errorCount() > before) return std::nullopt;
  // The file parses: parse it again, keeping the tree this time (parseFile drops it).
  antlr4::ANTLRInputStream input(sm.file(file).text());
  ThreadLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  ThreadParser parser(&tokens);
  parser.removeErrorListeners();
  auto* tree = parser.file();
  std::vector<bool> inType(tokens.size(), false), unary(tokens.size(), false);
  mark(tree, inType, unary);
  std::vector<LayoutToken> out;
  for (antlr4::Token* t : tokens.getTokens()) {
    size_t type = t->getType();
    if (type == antlr4::Token::EOF || type == L::WS) continue;
    size_t i = t->getTokenIndex();
    out.push_back(
        {kindOf(type), t->getText(), static_cast<int>(t->getLine()), inType[i], unary[i]});
  }
  return out;
}

} // namespace mlpc::syntax
