#include "syntax/parse_pieces.h"

#include "syntax/parse_fast.h"
#include "syntax/pipeline_cuts.h"
#include "syntax/transform.h"

#include <functional>
#include <memory>
#include <pthread.h>
#include <system_error>
#include <vector>

namespace mlpc::syntax {

namespace {

/// Joins pieces parsed apart into the module one streaming pass over the file would build:
/// statements that open a piece go to the pipeline the piece before left open. Nullopt when the
/// pieces do not fit together, or when the Transformer reported anything: such a file is parsed
/// again in one pass, so that its diagnostics are exactly that pass's.
std::optional<ast::Module> joinPieces(FileId file, std::vector<Piece>& pieces) {
  ast::Module m;
  m.file = file;
  std::unique_ptr<ast::PipelineDecl> open;
  for (Piece& p : pieces) {
    if (!p.ok || !p.diags.diagnostics().empty()) return std::nullopt;
    if (p.startsInBody) {
      if (!open) return std::nullopt;
      auto& stmts = open->body.stmts;
      stmts.insert(stmts.end(), std::make_move_iterator(p.leading.begin()),
                   std::make_move_iterator(p.leading.end()));
      if (p.close) {
        Transformer::closePipeline(*open, *p.close);
        m.decls.push_back(std::move(open));
      }
    }
    for (auto& d : p.decls)
      m.decls.push_back(std::move(d));
    if (p.open) {
      if (open) return std::nullopt;
      open = std::move(p.open);
    }
  }
  if (open) return std::nullopt;
  return m;
}

/// A thread with a stack as large as its creator's: the parser and the tree walk recurse on the
/// program's nesting, and mlpc runs its front end on a large stack (tools/mlpc/main.cpp), so a
/// piece must not overflow where the whole file would not.
class PieceThread {
public:
  /// Throws std::system_error when no thread can be had.
  explicit PieceThread(std::function<void()> fn) : fn_(std::move(fn)) {
    pthread_attr_t self, attr;
    size_t stack = 0;
    if (pthread_getattr_np(pthread_self(), &self) == 0) {
      pthread_attr_getstacksize(&self, &stack);
      pthread_attr_destroy(&self);
    }
    pthread_attr_init(&attr);
    if (stack > 0) pthread_attr_setstacksize(&attr, stack);
    int rc = pthread_create(&thread_, &attr, &PieceThread::run, this);
    pthread_attr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_create");
  }
  PieceThread(const PieceThread&) = delete;
  PieceThread& operator=(const PieceThread&) = delete;
  ~PieceThread() { pthread_join(thread_, nullptr); }

private:
  static void* run(void* self) {
    static_cast<PieceThread*>(self)->fn_();
    return nullptr;
  }
  std::function<void()> fn_;
  pthread_t thread_{};
};

} // namespace

// The pieces are lexed, parsed and turned into AST on as many threads: the front end's largest
// phases, each piece's on its own DFAs (recognizers.h), so the threads share nothing but the
// read-only source.
std::optional<ast::Module> parseInPieces(const SourceManager& sm, FileId file, unsigned threads,
                                         ParseStats* stats) {
  const std::string& text = sm.file(file).text();
  std::vector<uint32_t> cuts = pipelineCuts(text, threads);
  if (cuts.empty()) return std::nullopt;
  std::vector<Piece> pieces(cuts.size() + 1);
  for (size_t i = 0; i < pieces.size(); ++i) {
    pieces[i].begin = i == 0 ? 0 : cuts[i - 1];
    pieces[i].end = i < cuts.size() ? cuts[i] : static_cast<uint32_t>(text.size());
    pieces[i].startsInBody = i > 0;
    pieces[i].last = i == cuts.size();
  }
  {
    std::vector<std::unique_ptr<PieceThread>> workers; // joined at the end of this block
    try {
      for (size_t i = 1; i < pieces.size(); ++i)
        workers.push_back(std::make_unique<PieceThread>(
            [&sm, file, &piece = pieces[i]] { parseFast(sm, file, piece); }));
    } catch (const std::system_error&) {
      // No thread to be had: the pieces not started fail, and the file is parsed in one pass.
    }
    parseFast(sm, file, pieces[0]);
  }
  auto m = joinPieces(file, pieces);
  if (m && stats) stats->pieces = static_cast<unsigned>(pieces.size());
  return m;
}

} // namespace mlpc::syntax
