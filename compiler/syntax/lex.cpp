// The generated lexer's tokens, renamed into our own kinds with byte ranges.
#include "syntax/lex.h"

#include "syntax/offsets.h"
#include "syntax/recognizers.h"

#include "MlpLexer.h"

namespace mlpc::syntax {

namespace {

using L = mlpgen::MlpLexer;

LexKind kindOf(size_t type) {
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
  case L::AND:
  case L::OR:
  case L::NOT:
  case L::TRUE:
  case L::FALSE:
    return LexKind::Keyword;
  case L::DATA:
  case L::STEP:
  case L::SERVER:
  case L::PIPELINE:
  case L::MODEL:
  case L::ENDPOINT:
  case L::MONITOR:
  case L::SCHEDULE:
    return LexKind::DeclWord;
  case L::ID:
    return LexKind::Name;
  case L::STRING:
  case L::TRIPLE_STRING:
  case L::UNTERMINATED_STRING:
    return LexKind::String;
  case L::INT:
  case L::FLOAT:
    return LexKind::Number;
  case L::DURATION:
  case L::SIZE:
  case L::PERCENT:
  case L::BAD_UNIT:
    return LexKind::Unit;
  case L::LINE_COMMENT:
  case L::BLOCK_COMMENT:
  case L::UNTERMINATED_COMMENT:
    return LexKind::Comment;
  case L::UNKNOWN_CHAR:
    return LexKind::Error;
  default:
    return LexKind::Punctuation;
  }
}

} // namespace

std::vector<LexToken> lex(const std::string& text) {
  antlr4::ANTLRInputStream input(text);
  ThreadLexer lexer(&input);
  lexer.removeErrorListeners();
  OffsetMap offsets(text, 0);
  std::vector<LexToken> out;
  for (auto t = lexer.nextToken(); t->getType() != antlr4::Token::EOF; t = lexer.nextToken()) {
    size_t type = t->getType();
    if (type == L::WS) continue;
    LexToken tok;
    tok.kind = kindOf(type);
    tok.begin = offsets.byte(t->getStartIndex());
    tok.end = offsets.byte(t->getStopIndex() + 1);
    tok.text = text.substr(tok.begin, tok.end - tok.begin);
    tok.unterminated = type == L::UNTERMINATED_STRING || type == L::UNTERMINATED_COMMENT;
    out.push_back(std::move(tok));
  }
  return out;
}

} // namespace mlpc::syntax
