#include "run_support.h"

#include "commands.h"
#include "frontend.h"
#include "plan/json_text.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pwd.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mlpc::cli {

std::vector<std::string> stdlibDirs() {
  return sema::defaultStdlibDirs(exePath());
}

std::optional<plan::Plan> readPlanText(const std::string& text, std::string& error) {
  std::optional<plan::Json> j = plan::parseJson(text);
  if (!j) {
    error = "not valid JSON";
    return std::nullopt;
  }
  return plan::read(*j, error);
}

bool applyParams(plan::Plan& plan, const std::vector<std::string>& params) {
  for (auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error[E032]: --param takes NAME=VALUE, got `" << p << "`\n";
      return false;
    }
    std::string name = p.substr(0, eq), value = p.substr(eq + 1);
    bool found = false;
    std::vector<std::string> names;
    for (auto& decl : plan.pipeline.params) {
      names.push_back(decl.name);
      if (decl.name != name) continue;
      found = true;
      std::string err;
      auto v = plan::parseParamValue(decl.type, value, err);
      if (!v) {
        std::cerr << "error[E032]: --param " << name << ": " << err << "\n";
        return false;
      }
      decl.value = *v;
    }
    if (!found) {
      std::cerr << "error[E032]: pipeline `" << plan.pipeline.name << "` has no parameter `" << name
                << "`";
      std::string near = closestName(name, names);
      if (!near.empty()) std::cerr << " (did you mean `" << near << "`?)";
      std::cerr << "\n";
      return false;
    }
  }
  return true;
}

std::optional<LoadedPlan> loadPlan(const std::string& target, const std::string& pipeline,
                                   const std::vector<std::string>& params,
                                   const DiagOptions& diag) {
  LoadedPlan lp;
  lp.entry = target;
  // A plan is JSON: by its extension, or (whatever its name) by a first byte of `{`, which no
  // .mlp program starts with.
  bool isPlan = fs::path(target).extension() == ".json";
  if (!isPlan) {
    std::ifstream in(target, std::ios::binary);
    char c = 0;
    while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
    }
    isPlan = in && c == '{';
  }
  if (isPlan) {
    std::string text, err;
    if (!readFile(target, text, err)) {
      std::cerr << "error: cannot read " << target << ": " << err << "\n";
      exitCode() = 2;
      return std::nullopt;
    }
    auto typed = readPlanText(text, err);
    if (!typed) {
      std::cerr << "error: " << target << ": " << err << "\n";
      exitCode() = 2;
      return std::nullopt;
    }
    lp.plan = std::move(*typed);
    if (!pipeline.empty() && lp.plan.pipeline.name != pipeline) {
      std::cerr << "error[E031]: " << target << " is a plan of pipeline `" << lp.plan.pipeline.name
                << "`, not `" << pipeline << "`\n";
      exitCode() = 2;
      return std::nullopt;
    }
    if (!applyParams(lp.plan, params)) {
      exitCode() = 2;
      return std::nullopt;
    }
    fs::path dir = fs::absolute(target).parent_path();
    lp.baseDir = (dir / lp.plan.base).lexically_normal().string();
    lp.entry = (fs::path(lp.baseDir) / lp.plan.entry).string();
    return lp;
  }
  auto p = compileToPlan(target, pipeline, params, fs::current_path().string(), diag);
  if (!p) return std::nullopt;
  lp.plan = std::move(*p);
  lp.baseDir = (fs::current_path() / lp.plan.base).lexically_normal().string();
  return lp;
}

std::optional<sched::Workspace> openWorkspaceOrReport(const std::string& explicitDir,
                                                      const std::string& besideDir, bool create) {
  std::string dir = sched::workspaceDir(explicitDir, besideDir);
  auto ws = sched::openWorkspace(dir, create);
  if (!ws) {
    std::cerr << "error: " << ws.error() << "\n";
    exitCode() = 2;
    return std::nullopt;
  }
  return std::move(*ws);
}

std::string actorName() {
  if (const char* u = std::getenv("MLP_ACTOR"); u && *u) return u;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
  return "unknown";
}

sched::RunOptions defaultRunOptions(const LoadedPlan& lp, int jobs, bool noCache, bool keepGoing) {
  sched::RunOptions ro;
  ro.baseDir = lp.baseDir;
  ro.stdlibDirs = stdlibDirs();
  ro.entry = lp.entry;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  ro.jobs = jobs > 0 ? jobs : static_cast<int>(cores);
  ro.cpus = cores;
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
  ro.memoryBytes = pages > 0 && pageSize > 0 ? static_cast<double>(pages) * pageSize : 0;
  ro.noCache = noCache;
  ro.keepGoing = keepGoing;
  ro.actor = actorName();
  // Set, every step of a fully cached re-run is looked up on its own (docs/runtime.md).
  if (const char* v = std::getenv("MLP_NO_REPEAT"); v && *v) ro.repeatRuns = false;
  return ro;
}

} // namespace mlpc::cli
