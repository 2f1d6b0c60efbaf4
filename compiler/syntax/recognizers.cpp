#include "syntax/recognizers.h"

#include <array>
#include <utility>
#include <vector>

namespace mlpc::syntax {

namespace {

using antlr4::atn::ATN;
using antlr4::atn::LexerActionExecutor;
using antlr4::atn::PredictionContextCache;
using antlr4::dfa::DFA;
using antlr4::dfa::DFAState;

/// A mark on a character stream, released when it goes out of scope.
class MarkHeld {
public:
  explicit MarkHeld(antlr4::CharStream* input) : input_(input), mark_(input->mark()) {}
  ~MarkHeld() { input_->release(mark_); }
  MarkHeld(const MarkHeld&) = delete;
  MarkHeld& operator=(const MarkHeld&) = delete;

private:
  antlr4::CharStream* input_;
  ssize_t mark_;
};

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

/// The lexer's DFA edges for ASCII, as arrays: ANTLR 4.9 keeps each state's edges in an
/// unordered_map, looked up once per character (6% of `mlpc check`'s CPU on the 100k-warnings
/// program). Filled from the maps as edges are first followed; the maps stay the truth.
struct LexerEdges {
  static constexpr size_t kWidth = antlr4::atn::LexerATNSimulator::MAX_DFA_EDGE + 1;
  static constexpr size_t kMaxStates = 1 << 14; ///< larger state numbers use the maps
  std::vector<std::vector<std::array<DFAState*, kWidth>>> byMode; ///< [mode][state][symbol]
  /// Action executors known to hold only `skip` (true) or something else (false). Executors
  /// belong to DFA states, which live as long as the thread's DFAs, so a pointer stays valid.
  std::vector<std::pair<const LexerActionExecutor*, bool>> skipOnly;
};

struct LexerDfas : Dfas {
  using Dfas::Dfas;
  LexerEdges edges;
};

// Each grammar has one ATN, so one set per thread and per recognizer class is enough.
LexerDfas& lexerDfas(const ATN& atn) {
  thread_local LexerDfas dfas(atn);
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
  ThreadLexerSimulator(antlr4::Lexer* lexer, LexerDfas& dfas)
      : LexerATNSimulator(lexer, lexer->getATN(), dfas.decisions, dfas.contexts),
        edges_(dfas.edges) {}

  // ANTLR 4.9's match() without its first statement, `match_calls++`: a plain static counter
  // that every lexer in the process bumps once per token. With two threads lexing, its cache line
  // moved between the cores at each token: 94% of match()'s own samples, and a tenth of lexing
  // (`perf annotate`). It was also a data race. Nothing reads the counter.
  size_t match(antlr4::CharStream* input, size_t mode) override {
    _mode = mode;
    MarkHeld held(input); // ANTLR's `finally`: released also when no token matches (a throw)
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
    // execATN walks the DFA of the mode match() was given, whose states are numbered from 0.
    size_t state = static_cast<size_t>(s->stateNumber);
    std::array<DFAState*, LexerEdges::kWidth>* row = nullptr;
    if (state < LexerEdges::kMaxStates) {
      if (edges_.byMode.size() <= _mode) edges_.byMode.resize(_mode + 1);
      auto& rows = edges_.byMode[_mode];
      if (rows.size() <= state) rows.resize(state + 1, {});
      row = &rows[state];
      if (DFAState* known = (*row)[t]) return known;
    }
    auto it = s->edges.find(t - MIN_DFA_EDGE);
    if (it == s->edges.end()) return nullptr;
    if (row) (*row)[t] = it->second;
    return it->second;
  }

  // A token whose only action is `skip` (whitespace) is accepted without the action executor,
  // with the same effect: the position moves past it and the lexer's type becomes SKIP.
  void accept(antlr4::CharStream* input, const Ref<LexerActionExecutor>& executor,
              size_t startIndex, size_t index, size_t line, size_t charPos) override {
    if (executor && _recog && isSkipOnly(executor.get())) {
      input->seek(index);
      _line = line;
      _charPositionInLine = charPos;
      _recog->skip();
      return;
    }
    LexerATNSimulator::accept(input, executor, startIndex, index, line, charPos);
  }

private:
  bool isSkipOnly(const LexerActionExecutor* executor) {
    for (const auto& [known, skip] : edges_.skipOnly)
      if (known == executor) return skip;
    std::vector<Ref<antlr4::atn::LexerAction>> actions = executor->getLexerActions();
    bool skip =
        actions.size() == 1 && actions[0]->getActionType() == antlr4::atn::LexerActionType::SKIP;
    if (edges_.skipOnly.size() < 16) edges_.skipOnly.emplace_back(executor, skip);
    return skip;
  }

  LexerEdges& edges_;
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

// setInterpreter deletes the simulator it replaces (ANTLR 4.9's Recognizer), and the generated
// destructor deletes whichever one the recognizer holds at the time.
ThreadLexer::ThreadLexer(antlr4::CharStream* input)
    : MlpLexer(input), sim_(new ThreadLexerSimulator(this, lexerDfas(getATN()))) {
  setInterpreter(sim_);
}

// ANTLR 4.9's Lexer::nextToken, with the simulator at hand rather than found by dynamic_cast.
std::unique_ptr<antlr4::Token> ThreadLexer::nextToken() {
  MarkHeld held(_input); // keeps the current token's text in an unbuffered input
  for (;;) {
    if (hitEOF) {
      emitEOF();
      return std::move(token);
    }
    token.reset();
    channel = antlr4::Token::DEFAULT_CHANNEL;
    tokenStartCharIndex = _input->index();
    tokenStartCharPositionInLine = sim_->getCharPositionInLine();
    tokenStartLine = sim_->getLine();
    _text.clear();
    do { // until a rule that is not a `more` fragment matches
      type = antlr4::Token::INVALID_TYPE;
      size_t matched;
      try {
        matched = sim_->match(_input, mode);
      } catch (antlr4::LexerNoViableAltException& e) {
        notifyListeners(e);
        recover(e);
        matched = SKIP;
      }
      if (_input->LA(1) == antlr4::Token::EOF) hitEOF = true;
      if (type == antlr4::Token::INVALID_TYPE) type = matched; // an action may have set it
    } while (type == MORE);
    if (type == SKIP) continue;
    if (!token) emit();
    return std::move(token);
  }
}

size_t ThreadLexer::getLine() const {
  return sim_->getLine();
}

size_t ThreadLexer::getCharPositionInLine() {
  return sim_->getCharPositionInLine();
}

ThreadParser::ThreadParser(antlr4::TokenStream* input) : MlpParser(input) {
  Dfas& d = parserDfas(getATN());
  setInterpreter(new ThreadParserSimulator(this, getATN(), d.decisions, d.contexts));
}

// The parent of every context the generated rules make is the context of the rule that called
// them (or of the recursion they unroll), a ParserRuleContext: ANTLR 4.9 checked that with a
// dynamic_cast at each rule, and later versions of ANTLR no longer do.
void ThreadParser::addContextToParseTree() {
  if (_ctx->parent) static_cast<antlr4::ParserRuleContext*>(_ctx->parent)->addChild(_ctx);
}

void ThreadParser::enterOuterAlt(antlr4::ParserRuleContext* localctx, size_t altNum) {
  localctx->setAltNumber(altNum);
  // A new context for the alternative takes the place of the rule's context in the tree.
  if (_buildParseTrees && _ctx != localctx && _ctx->parent) {
    auto* parent = static_cast<antlr4::ParserRuleContext*>(_ctx->parent);
    parent->removeLastChild();
    parent->addChild(localctx);
  }
  _ctx = localctx;
}

} // namespace mlpc::syntax
