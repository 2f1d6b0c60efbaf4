#pragma once
// ANTLR 4.9's simulators share one DFA per grammar across the process and read its edges under
// one process-wide lock (a mutex and a reader count) taken once per character by the lexer and
// once per token by the parser: about a tenth of `mlpc check`'s time on one thread, and a point
// of contention for any two threads that parse at once. A recognizer set up here predicts with
// DFAs that belong to its thread, so reading them needs no lock: nothing else can write them.
// The DFAs live as long as the thread and are shared by every recognizer it creates, so small
// parses (a `${…}` inside a string) start warm.

namespace mlpgen {
class MlpLexer;
class MlpParser;
} // namespace mlpgen

namespace mlpc::syntax {

void useThreadDfa(mlpgen::MlpLexer& lexer);
void useThreadDfa(mlpgen::MlpParser& parser);

} // namespace mlpc::syntax
