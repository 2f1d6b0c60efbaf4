#include "syntax/thread_dfa.h"

#include "MlpLexer.h"
#include "MlpParser.h"

#include <vector>

namespace mlpc::syntax {

namespace {

using antlr4::atn::ATN;
using antlr4::atn::PredictionContextCache;
using antlr4::dfa::DFA;
using antlr4::dfa::DFAState;

/// One DFA per decision of a grammar's ATN, as the generated recognizer builds its shared ones.
struct Dfas {
  std::vector<DFA> decisions;
  PredictionContextCache contexts;
  explicit Dfas(const ATN& atn) {
    decisions.reserve(atn.getNumberOfDecisions());
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i)
      decisions.emplace_back(atn.getDecisionState(i), i);
  }
};

// Each grammar has one ATN, so one set per thread and per recognizer class is enough.
Dfas& lexerDfas(const ATN& atn) {
  thread_local Dfas dfas(atn);
  return dfas;
}

Dfas& parserDfas(const ATN& atn) {
  thread_local Dfas dfas(atn);
  return dfas;
}

// The lookups below are ANTLR 4.9's own without the lock. Adding an edge (addDFAEdge, on a miss)
// still takes it: misses are rare once a DFA is warm, and no other thread touches these DFAs.

class ThreadLexerSimulator : public antlr4::atn::LexerATNSimulator {
public:
  using LexerATNSimulator::LexerATNSimulator;

  // ANTLR 4.9's match() without its first statement, `match_calls++`: a plain static counter
  // that every lexer in the process bumps once per token. With two threads lexing, its cache line
  // moved between the cores at each token: 94% of match()'s own samples, and a tenth of lexing
  // (`perf annotate`). It was also a data race. Nothing reads the counter.
  size_t match(antlr4::CharStream* input, size_t mode) override {
    _mode = mode;
    ssize_t mark = input->mark();
    struct Release { // ANTLR's `finally`: the mark goes also when no token matches (a throw)
      antlr4::CharStream* input;
      ssize_t mark;
      ~Release() { input->release(mark); }
    } release{input, mark};
    _startIndex = input->index();
    (_prevAccept.*ResetAccess::fn())();
    const DFA& dfa = _decisionToDFA[mode];
    return dfa.s0 == nullptr ? matchATN(input) : execATN(input, dfa.s0);
  }

protected:
  // SimState::reset() is protected, and only the base class is its friend. A class derived from
  // SimState may name it, and a pointer to it can then be called on any SimState.
  struct ResetAccess : SimState {
    static void (SimState::*fn())() { return &ResetAccess::reset; }
  };

  DFAState* getExistingTargetState(DFAState* s, size_t t) override {
    if (t > MAX_DFA_EDGE) return nullptr; // EOF and non-ASCII stay in the ATN, as in ANTLR
    auto it = s->edges.find(t - MIN_DFA_EDGE);
    return it == s->edges.end() ? nullptr : it->second;
  }
};

class ThreadParserSimulator : public antlr4::atn::ParserATNSimulator {
public:
  using ParserATNSimulator::ParserATNSimulator;

protected:
  DFAState* getExistingTargetState(DFAState* previous, size_t t) override {
    auto it = previous->edges.find(t);
    return it == previous->edges.end() ? nullptr : it->second;
  }
};

} // namespace

void useThreadDfa(mlpgen::MlpLexer& lexer) {
  // setInterpreter deletes the simulator it replaces (ANTLR 4.9's Recognizer), and the
  // generated destructor deletes whichever one the recognizer holds at the time.
  Dfas& d = lexerDfas(lexer.getATN());
  lexer.setInterpreter(new ThreadLexerSimulator(&lexer, lexer.getATN(), d.decisions, d.contexts));
}

void useThreadDfa(mlpgen::MlpParser& parser) {
  Dfas& d = parserDfas(parser.getATN());
  parser.setInterpreter(
      new ThreadParserSimulator(&parser, parser.getATN(), d.decisions, d.contexts));
}

} // namespace mlpc::syntax
