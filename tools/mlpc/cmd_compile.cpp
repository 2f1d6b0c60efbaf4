// `mlpc compile FILE -o plan.json` and `mlpc graph FILE --format dot|mermaid`.
#include "commands.h"
#include "frontend.h"

#include "lower/lower.h"
#include "plan/graph.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace mlpc::cli {

namespace {

struct CompileOpts {
  std::string file;
  std::string pipeline;
  std::vector<std::string> params;
  std::string output = "-";
  std::string format = "dot";
  DiagOptions diag;
};

void addPipelineOptions(CLI::App& cmd, CompileOpts& o) {
  cmd.add_option("FILE", o.file, "The entry .mlp file")->required();
  cmd.add_option("-p,--pipeline", o.pipeline, "The pipeline (needed when the file has several)");
  cmd.add_option("--param", o.params, "Set a pipeline parameter: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  addDiagOptions(cmd, o.diag);
}

/// Writes to a temporary file next to the target and renames it, so a reader never sees half a
/// plan.
bool writeAtomically(const std::string& path, const std::string& text, std::string& err) {
  // A device, fifo or other special file (`-o /dev/null`, `-o /dev/stdout`) is written to, never
  // replaced: renaming over it would swap the device node for a regular file.
  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if ((exists && S_ISDIR(st.st_mode)) || (!path.empty() && path.back() == '/')) {
    err = "cannot write " + path + ": it is a directory (name a file)";
    return false;
  }
  if (exists && !S_ISREG(st.st_mode)) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.flush();
    if (!out) err = "cannot write " + path;
    return static_cast<bool>(out);
  }
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      // Name the file asked for: the temporary beside it is our business.
      err = std::string("cannot write ") + path + ": " + std::strerror(errno);
      return false;
    }
    out << text;
    out.flush();
    if (!out) {
      err = "cannot write " + path + ": " + std::strerror(errno);
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "cannot rename to " + path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

} // namespace

std::optional<plan::Plan> compileToPlan(const std::string& file, const std::string& pipeline,
                                        const std::vector<std::string>& params,
                                        const std::string& planDir, const DiagOptions& diag) {
  auto fe = loadProgram(file, diag, /*printWarnings=*/false);
  if (!fe) return std::nullopt;
  plan::LowerOptions lo;
  lo.pipeline = pipeline;
  lo.planDir = planDir;
  for (auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error[E032]: --param takes NAME=VALUE, got `" << p << "`\n";
      exitCode() = 2;
      return std::nullopt;
    }
    lo.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  DiagnosticSink sink;
  // What compile writes and what run reads are the same typed plan: lowering reads its JSON parts
  // through the plan's reader and checks the nodes it built, and a plan that does not hold
  // together is a bug in mlpc, reported as such rather than written out.
  std::string internalError;
  auto plan = plan::lower(*fe->program, lo, sink, internalError);
  if (!internalError.empty()) {
    std::cerr << "error: internal: the compiled plan does not read back: " << internalError << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  if (!plan) {
    emitDiagnostics(sink, fe->sm, diag);
    exitCode() = 2;
    return std::nullopt;
  }
  releaseAtExit(std::move(fe));
  return plan;
}

void registerCompile(CLI::App& app) {
  auto o = std::make_shared<CompileOpts>();
  auto* cmd = app.add_subcommand("compile", "Compile a pipeline into an executable JSON plan");
  addPipelineOptions(*cmd, *o);
  cmd->add_option("-o,--output", o->output, "Where to write the plan (default: stdout)");
  cmd->callback([o] {
    namespace fs = std::filesystem;
    if (o->output.empty()) {
      std::cerr << "error: --output needs a file name (or `-` for stdout)\n";
      exitCode() = 2;
      return;
    }
    std::error_code ec;
    if (o->output != "-" && fs::equivalent(o->output, o->file, ec)) {
      std::cerr << "error: refusing to write the plan over its source `" << o->file << "`\n";
      exitCode() = 2;
      return;
    }
    std::string planDir =
        o->output == "-" ? "" : fs::path(fs::absolute(o->output)).parent_path().string();
    auto plan = compileToPlan(o->file, o->pipeline, o->params, planDir, o->diag);
    if (!plan) return;
    std::string text = plan::dump(*plan);
    if (o->output == "-") {
      std::cout << text;
      return;
    }
    std::string err;
    if (!writeAtomically(o->output, text, err)) {
      std::cerr << "error: " << err << "\n";
      exitCode() = 2;
      return;
    }
    size_t steps = 0;
    std::function<void(const std::vector<plan::Node>&)> count = [&](const auto& list) {
      for (auto& n : list) {
        if (n.template as<plan::CallNode>() || n.template as<plan::TransformNode>()) ++steps;
        for (auto* c : n.children())
          count(*c);
      }
    };
    count(plan->nodes);
    std::cerr << "compiled pipeline `" << plan->pipeline.name << "`: " << steps << " step call"
              << (steps == 1 ? "" : "s") << ", " << plan->steps.size() << " step definition"
              << (plan->steps.size() == 1 ? "" : "s") << " -> " << o->output << "\n";
  });
}

void registerGraph(CLI::App& app) {
  auto o = std::make_shared<CompileOpts>();
  auto* cmd = app.add_subcommand("graph", "Draw a pipeline's DAG as Graphviz dot or Mermaid");
  addPipelineOptions(*cmd, *o);
  cmd->add_option("--format", o->format, "dot (default) or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));
  cmd->callback([o] {
    auto plan = compileToPlan(o->file, o->pipeline, o->params, "", o->diag);
    if (!plan) return;
    std::cout << (o->format == "dot" ? plan::toDot(*plan) : plan::toMermaid(*plan));
  });
}

} // namespace mlpc::cli
