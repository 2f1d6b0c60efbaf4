// libFuzzer target over the whole front end: the input bytes are a .mlp program, which is
// parsed, checked (with the real stdlib on the search path), lowered (every pipeline, with its
// defaults and with every parameter overridden), drawn, and whose diagnostics are rendered as
// text and JSON. Any crash, hang, leak or sanitizer report is a bug; nothing here judges the
// diagnostics themselves.
//
// sema::analyze reads from a path, so each process writes the input to one fixed file in its
// own temporary directory. That directory also holds copies of tests/fuzz/imports/*.mlp, so
// `import "./steps.mlp"` in an input (as in the examples) finds a real module.
#include "diag/diagnostic.h"
#include "format/format.h"
#include "lower/lower.h"
#include "plan/graph.h"
#include "plan/model.h"
#include "plan/plan.h"
#include "sema/sema.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

struct FuzzDir {
  fs::path dir;
  std::string entry;
  FuzzDir() {
    char tmpl[] = "/tmp/mlpc-fuzz-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    if (!d) std::abort();
    dir = d;
    entry = (dir / "main.mlp").string();
    std::error_code ec;
    for (auto& f : fs::directory_iterator(MLPC_FUZZ_IMPORTS_DIR, ec))
      if (f.path().extension() == ".mlp")
        fs::copy_file(f.path(), dir / f.path().filename(), fs::copy_options::overwrite_existing,
                      ec);
    std::atexit([] { cleanup(); });
  }
  static void cleanup() {
    std::error_code ec;
    fs::remove_all(instance().dir, ec);
  }
  static FuzzDir& instance() {
    static FuzzDir d;
    return d;
  }
};

void lowerAll(const mlpc::sema::Program& prog, const mlpc::SourceManager& sm) {
  for (const auto* p : prog.pipelines()) {
    for (int variant = 0; variant < 2; ++variant) {
      mlpc::plan::LowerOptions lo;
      lo.pipeline = p->name.name;
      lo.planDir = FuzzDir::instance().dir.string();
      if (variant == 1) // every parameter set from a "command line": exercises parseParamValue
        for (auto& param : p->params)
          lo.params.emplace_back(param.name.name, "1");
      mlpc::DiagnosticSink sink;
      auto plan = mlpc::plan::lower(prog, lo, sink);
      sink.sort(sm);
      (void)mlpc::renderAllText(sink, sm, {});
      if (!plan) continue;
      std::string text = mlpc::plan::dump(*plan);
      if (!mlpc::plan::validate(*plan).empty()) std::abort(); // a plan we wrote must validate
      auto reparsed = mlpc::plan::Json::parse(text);
      if (reparsed != *plan) std::abort(); // and survive a round trip
      std::string err;
      auto typed = mlpc::plan::read(*plan, err);
      if (!typed) std::abort(); // the typed model reads every plan we write
      if (mlpc::plan::dump(mlpc::plan::toJson(*typed)) != text) std::abort(); // byte for byte
      (void)mlpc::plan::toDot(*typed);
      (void)mlpc::plan::toMermaid(*typed);
      for (auto& pj : (*plan)["pipeline"]["params"])
        (void)mlpc::plan::commandText(pj["value"], pj["type"].get<std::string>());
    }
  }
}

/// `mlpc fmt` on the input: it never crashes, never reports that it would change a token, and
/// what it writes is already in the layout (formatting it again changes nothing).
void formatTwice(const std::string& text) {
  mlpc::SourceManager sm;
  mlpc::DiagnosticSink sink;
  std::string err;
  auto once = mlpc::format::formatFile(sm, sm.add("main.mlp", text), sink, err);
  if (!err.empty()) std::abort();
  if (!once) return;
  mlpc::DiagnosticSink sink2;
  auto twice = mlpc::format::formatFile(sm, sm.add("main.mlp", *once), sink2, err);
  if (!twice || *twice != *once) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzDir& fd = FuzzDir::instance();
  {
    std::ofstream out(fd.entry, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  mlpc::SourceManager sm;
  mlpc::DiagnosticSink sink;
  mlpc::sema::Options opts;
  opts.stdlibDirs = {MLPC_FUZZ_STDLIB_DIR};
  opts.checkFiles = false;
  auto prog = mlpc::sema::analyze(fd.entry, opts, sm, sink);
  if (prog && prog->entry && sink.errorCount() == 0) lowerAll(*prog, sm);
  sink.sort(sm);
  mlpc::RenderOptions ro;
  ro.color = size % 2 == 1; // both renderings, chosen by the input
  (void)mlpc::renderAllText(sink, sm, ro);
  (void)mlpc::renderJson(sink, sm);
  formatTwice(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
