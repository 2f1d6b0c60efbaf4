#pragma once
// The lexer and parser every parse in this directory uses: the generated ones, changed in how
// they run and not in what they accept.
//
// - Each thread predicts with DFAs of its own. ANTLR 4.9's simulators share one DFA per grammar
//   across the process and read its edges under one process-wide lock (a mutex and a reader
//   count) taken once per character by the lexer and once per token by the parser: about a
//   tenth of `mlpc check`'s time on one thread, and a point of contention for any two threads
//   that parse at once. A thread's own DFAs need no lock to read: nothing else can write them.
//   They live as long as the thread and are shared by every recognizer it creates, so small
//   parses (a `${…}` inside a string) start warm.
// - The runtime's per-token and per-rule work that does not change a result is skipped: it finds
//   the lexer's simulator with a dynamic_cast five times per token and a rule context's parent
//   with one per rule, and runs the lone `skip` action of whitespace through the general action
//   executor (a shared_ptr copy and a failing dynamic_cast each time). On the 100k-warnings
//   program those were a fifth of all of `mlpc check`'s CPU samples (`perf`), and the lexer's
//   DFA edge lookups, kept in arrays here, another 6%; see docs/speed.md.
#include "MlpLexer.h"
#include "MlpParser.h"

namespace mlpc::syntax {

class ThreadLexer : public mlpgen::MlpLexer {
public:
  explicit ThreadLexer(antlr4::CharStream* input);

  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override;
  size_t getCharPositionInLine() override;

private:
  antlr4::atn::LexerATNSimulator* sim_; ///< the one this lexer owns (as _interpreter)
};

class ThreadParser : public mlpgen::MlpParser {
public:
  explicit ThreadParser(antlr4::TokenStream* input);

  void enterOuterAlt(antlr4::ParserRuleContext* localctx, size_t altNum) override;

protected:
  void addContextToParseTree() override;
};

} // namespace mlpc::syntax
