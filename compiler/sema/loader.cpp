// Module loading: the entry file, `import "std/NAME"` from the stdlib roots, and
// `import "./path.mlp"` relative to the importing file. Each file is parsed once.
#include "sema/checker.h"
#include "syntax/parse.h"

#include "mlpc/version.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace mlpc::sema {

std::string canonicalPath(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? p : c.string();
}

namespace {

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

} // namespace

bool stopsChecking(DiagCode code) {
  return code == DiagCode::SyntaxError || code == DiagCode::BadLiteral;
}

std::string localImportPath(const std::string& dir, const std::string& importPath) {
  if (importPath.rfind("./", 0) != 0 && importPath.rfind("../", 0) != 0) return "";
  fs::path cand = fs::path(dir) / importPath;
  if (!isFile(cand) && cand.extension() != ".mlp") cand += ".mlp";
  return cand.string();
}

const Module* Checker::load(const std::string& path, std::string display,
                            const std::string& stdlibName, SourceRange importedAt,
                            std::vector<std::string>& stack) {
  std::string key = canonicalPath(path);
  if (auto it = loaded.find(key); it != loaded.end()) return it->second;

  std::string text, err;
  bool fromOverlay = opts.overlay && opts.overlay(key, text);
  if (!fromOverlay && !readFile(path, text, err)) {
    if (importedAt.valid())
      sink.report(DiagCode::ImportNotFound, importedAt, "cannot read `" + display + "`: " + err);
    else
      sink.report(DiagCode::ReadError, {}, "cannot read `" + display + "`: " + err);
    return nullptr;
  }
  auto mod = std::make_unique<Module>();
  mod->path = key;
  mod->displayPath = display;
  mod->dir = fs::path(key).parent_path().string();
  mod->stdlibName = stdlibName;
  FileId id = prog.sm.add(display, std::move(text));
  mod->ast = syntax::parseFile(prog.sm, id, sink);
  Module* m = mod.get();
  prog.modules.push_back(std::move(mod));
  loaded[key] = m;
  for (auto& d : m->ast.decls)
    prog.declModule[d.get()] = m;

  stack.push_back(key);
  for (auto& d : m->ast.decls) {
    if (d->kind != ast::DeclKind::Import) continue;
    auto& imp = d->as<ast::ImportDecl>();
    std::vector<std::string> searched;
    std::string found, foundDisplay, foundStd;
    if (imp.path.rfind("std/", 0) == 0) {
      std::string rel = imp.path;
      if (fs::path(rel).extension() != ".mlp") rel += ".mlp";
      for (const auto& root : opts.stdlibDirs) {
        fs::path cand = fs::path(root) / rel;
        searched.push_back("<stdlib>/" + rel + (opts.stdlibDirs.size() > 1 ? " in " + root : ""));
        if (isFile(cand)) {
          found = cand.string();
          foundDisplay = "<stdlib>/" + rel;
          foundStd = imp.path;
          break;
        }
      }
    } else if (fs::path cand = localImportPath(m->dir, imp.path); !cand.empty()) {
      fs::path shown = (fs::path(display).parent_path() / imp.path).lexically_normal();
      if (cand.extension() != fs::path(imp.path).extension()) shown += ".mlp";
      searched.push_back(shown.string());
      if (isFile(cand)) {
        found = cand.string();
        foundDisplay = shown.string();
      }
    } else {
      sink.report(DiagCode::ImportNotFound, imp.pathRange, "cannot import `" + imp.path + "`")
          .withLabel("not a stdlib module or a relative path")
          .note("write `import \"std/NAME\"` for the standard library or `import \"./" + imp.path +
                "\"` for a file next to this one");
      m->brokenImports.insert(imp.name.name);
      continue;
    }
    if (found.empty()) {
      auto& diag = sink.report(DiagCode::ImportNotFound, imp.pathRange,
                               "import `" + imp.path + "` not found")
                       .withLabel("no such module");
      for (auto& s : searched)
        diag.note("looked for " + s);
      if (imp.path.rfind("std/", 0) == 0 && opts.stdlibDirs.empty())
        diag.note("no stdlib directory is configured (set MLP_PATH)");
      m->brokenImports.insert(imp.name.name);
      continue;
    }
    std::string foundKey = canonicalPath(found);
    auto cyc = std::find(stack.begin(), stack.end(), foundKey);
    if (cyc != stack.end()) {
      std::string chain;
      for (auto it = cyc; it != stack.end(); ++it)
        chain += fs::path(*it).filename().string() + " -> ";
      chain += fs::path(foundKey).filename().string();
      sink.report(DiagCode::ImportCycle, imp.pathRange, "import cycle: " + chain)
          .withLabel("imports a file that imports this one");
      m->brokenImports.insert(imp.name.name);
      continue;
    }
    // Without `as`, the alias is the file's stem, which must be usable as a name.
    bool identStem =
        !imp.name.name.empty() &&
        (std::isalpha(static_cast<unsigned char>(imp.name.name[0])) || imp.name.name[0] == '_') &&
        std::all_of(imp.name.name.begin(), imp.name.name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!imp.hasAlias && !identStem)
      sink.report(DiagCode::InvalidValue, imp.pathRange,
                  "`" + imp.name.name + "` is not a name, so this import needs `as NAME`")
          .withLabel("the file's stem would be its name")
          .fix(
              imp.pathRange, "\"" + imp.path + "\" as " + [&] {
                std::string n;
                for (char c : imp.name.name)
                  n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                return n;
              }());
    if (const Module* dep = load(found, foundDisplay, foundStd, imp.pathRange, stack))
      m->imports[imp.name.name] = dep;
    else
      m->brokenImports.insert(imp.name.name);
  }
  stack.pop_back();
  return m;
}

void Checker::declareSymbols(Module& m) {
  for (auto& d : m.ast.decls) {
    if (d->name.name.empty()) continue;
    auto [it, inserted] = m.symbols.emplace(d->name.name, d.get());
    if (!inserted) {
      const ast::Decl* prev = it->second;
      sink.report(DiagCode::DuplicateName, d->name.range,
                  "`" + d->name.name + "` is defined more than once")
          .withLabel("redefined here")
          .secondary(prev->name.range, "first defined here");
    }
  }
}

const Module* Checker::moduleOf(const ast::Decl* d) const {
  auto it = prog.declModule.find(d);
  return it == prog.declModule.end() ? nullptr : it->second;
}

void Checker::run(const std::string& entryPath) {
  std::vector<std::string> stack;
  prog.entry = load(entryPath, entryPath, "", {}, stack);
  if (!prog.entry) return;
  // After syntax errors the trees have holes; checking them would mostly report the holes.
  for (auto& d : sink.diagnostics())
    if (stopsChecking(d.code)) return;
  for (auto& m : prog.modules)
    declareSymbols(*m);
  // The calls' table gets an entry per call; sizing it once avoids rehashing large programs
  // many times (the source size is a cheap upper bound on the number of calls).
  size_t bytes = 0;
  for (auto& m : prog.modules)
    bytes += prog.sm.file(m->ast.file).text().size();
  prog.calls.reserve(bytes / 32);
  // Declarations are checked module by module: types of params first (calls need them).
  for (auto& m : prog.modules)
    for (auto& d : m->ast.decls) {
      module = m.get();
      switch (d->kind) {
      case ast::DeclKind::Step:
      case ast::DeclKind::Server:
        checkParams(d->as<ast::StepDecl>().params, *m, false);
        checkParams(d->as<ast::StepDecl>().outputs, *m, true);
        break;
      case ast::DeclKind::Pipeline:
        checkParams(d->as<ast::PipelineDecl>().params, *m, false, true);
        break;
      case ast::DeclKind::Data:
        prog.dataTypes[d.get()] = resolveType(d->as<ast::DataDecl>().type, *m);
        break;
      default:
        break;
      }
    }
  for (auto& m : prog.modules) {
    module = m.get();
    for (auto& d : m->ast.decls) {
      switch (d->kind) {
      case ast::DeclKind::Import:
        break;
      case ast::DeclKind::Data:
        checkData(d->as<ast::DataDecl>(), *m);
        break;
      case ast::DeclKind::Step:
      case ast::DeclKind::Server:
        checkStepLike(d->as<ast::StepDecl>(), *m);
        break;
      case ast::DeclKind::Pipeline:
        checkPipeline(d->as<ast::PipelineDecl>(), *m);
        break;
      case ast::DeclKind::Model:
        checkModel(d->as<ast::PolicyDecl>(), *m);
        break;
      case ast::DeclKind::Endpoint:
        checkEndpoint(d->as<ast::PolicyDecl>(), *m);
        break;
      case ast::DeclKind::Monitor:
        checkMonitor(d->as<ast::PolicyDecl>(), *m);
        break;
      case ast::DeclKind::Schedule:
        checkSchedule(d->as<ast::PolicyDecl>(), *m);
        break;
      }
    }
  }
  checkUnhashedFiles();
  // Last, when every step's properties are resolved, whatever the declaration order.
  for (auto* c : stepCalls)
    checkCallPropertyRanges(*c);
}

std::unique_ptr<Program> analyze(const std::string& entryPath, const Options& opts,
                                 SourceManager& sm, DiagnosticSink& sink) {
  auto prog = std::make_unique<Program>(sm);
  Checker c(*prog, opts, sink);
  c.run(entryPath);
  return prog;
}

const ast::Property* Program::property(const ast::Decl& d, const std::string& name) const {
  const std::vector<ast::Property>* props = nullptr;
  if (d.kind == ast::DeclKind::Step || d.kind == ast::DeclKind::Server)
    props = &d.as<ast::StepDecl>().props;
  else if (d.kind >= ast::DeclKind::Model)
    props = &d.as<ast::PolicyDecl>().props;
  if (!props) return nullptr;
  for (auto& p : *props)
    if (p.name.name == name) return &p;
  return nullptr;
}

std::vector<const ast::PipelineDecl*> Program::pipelines() const {
  std::vector<const ast::PipelineDecl*> out;
  if (!entry) return out;
  for (auto& d : entry->ast.decls)
    if (d->kind == ast::DeclKind::Pipeline) out.push_back(&d->as<ast::PipelineDecl>());
  return out;
}

std::vector<std::string> defaultStdlibDirs(const std::string& exePath) {
  std::vector<std::string> dirs;
  if (const char* p = std::getenv("MLP_PATH")) {
    std::string s = p;
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t c = s.find(':', pos);
      std::string item = s.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
      if (!item.empty()) dirs.push_back(item);
      if (c == std::string::npos) break;
      pos = c + 1;
    }
  }
  std::error_code ec;
  fs::path exe = fs::weakly_canonical(exePath, ec);
  fs::path installed = (exe.parent_path() / kInstalledStdlibRel).lexically_normal();
  std::string builtin;
  if (fs::is_directory(installed / "std", ec))
    builtin = installed.string();
  else if (fs::is_directory(fs::path(kSourceStdlibDir) / "std", ec))
    builtin = kSourceStdlibDir;
  // The same directory named twice (MLP_PATH and the built-in one) is searched once.
  auto same = [&](const std::string& a, const std::string& b) {
    std::error_code e1;
    return fs::weakly_canonical(a, e1) == fs::weakly_canonical(b, e1);
  };
  if (!builtin.empty() &&
      std::none_of(dirs.begin(), dirs.end(), [&](auto& d) { return same(d, builtin); }))
    dirs.push_back(builtin);
  return dirs;
}

} // namespace mlpc::sema
