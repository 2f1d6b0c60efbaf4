#pragma once
/// The semantic stage's entry point: an entry file in, a typed program out. The program keeps
/// every module's AST with the type and meaning of each expression, so the plan lowering and,
/// later, a language server (types and definitions by position) read the same facts.
#include "ast/ast.h"
#include "diag/diagnostic.h"
#include "sema/types.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlpc::sema {

struct Module {
  std::string path;        ///< canonical absolute path (identity)
  std::string displayPath; ///< as diagnostics show it
  std::string dir;         ///< absolute directory: `run` and `code` paths are relative to it
  std::string stdlibName;  ///< "std/sklearn" for stdlib modules, empty otherwise
  ast::Module ast;
  std::map<std::string, const ast::Decl*> symbols; ///< top-level names and import aliases
  std::map<std::string, const Module*> imports;    ///< alias -> module
  std::set<std::string> brokenImports; ///< aliases whose import failed (uses stay quiet)
};

/// What a name (or a member such as `sklearn.Train`) denotes.
enum class RefKind {
  None,
  PipelineParam, ///< decl: PipelineDecl, index: param index
  Binding,       ///< stmt: the AssignStmt; forDepth: how many loops it is lifted out of
  LoopVar,       ///< stmt: the ForStmt
  Data,          ///< decl: DataDecl
  Decl,          ///< decl: a step, server, pipeline, model, endpoint, monitor or schedule
  Module,        ///< module
  Builtin,       ///< name
  StepParam,     ///< decl: StepDecl, index
  StepOutput,    ///< decl: StepDecl, index
  Port,          ///< `${port}` in a server's run
  Context,       ///< name: a name defined by its property (error_rate, psi, manual, ...)
};

struct Resolution {
  RefKind kind = RefKind::None;
  const ast::Decl* decl = nullptr;
  const ast::Stmt* stmt = nullptr;
  const Module* module = nullptr; ///< the module of `decl`, or the module denoted
  size_t index = 0;
  int forDepth = 0;
  std::string name;
};

/// How a call's arguments bind to the callee's parameters (after positional/named matching).
struct CallBinding {
  const ast::Decl* callee = nullptr; ///< StepDecl or PipelineDecl; null for builtins
  const Module* module = nullptr;
  std::string builtin;                 ///< "argmax", "transform", "canary", ...
  std::vector<const ast::Expr*> args;  ///< by parameter index; null: the default applies
  std::vector<std::string> paramNames; ///< for builtins, the names matching `args`
  const ast::Decl* server = nullptr;   ///< transform: the server chosen
  const Module* serverModule = nullptr;
};

struct Options {
  /// Roots searched for `import "std/NAME"` (NAME.mlp under `<root>/std/`), in order.
  std::vector<std::string> stdlibDirs;
  /// Run the local-file checks (code files exist, W002); off for fuzzing.
  bool checkFiles = true;
  /// Text to use instead of a file's bytes on disk, by canonical absolute path: an editor's
  /// unsaved buffers. Returns false for a file it does not hold (then the file is read).
  std::function<bool(const std::string& canonicalPath, std::string& text)> overlay;
};

class Program {
public:
  explicit Program(SourceManager& sm) : sm(sm) {}
  SourceManager& sm;
  std::vector<std::unique_ptr<Module>> modules;
  const Module* entry = nullptr;

  /// Every type the program's expressions and bindings have; an expression names its own by
  /// `typeSlot` (typeOf, setType).
  TypeStore types;
  /// What names and members denote; an expression names its own by `resolutionSlot`
  /// (resolution, setResolution). A deque: what resolution() returns is never moved.
  std::deque<Resolution> resolutions;
  std::unordered_map<const ast::CallExpr*, CallBinding> calls;
  std::unordered_map<const ast::Param*, Type> paramTypes; ///< params and outputs of every decl
  std::unordered_map<const ast::Decl*, Type> dataTypes;   ///< data declarations
  /// Each binding's type inside its own scope, an index into `types` (bindingType,
  /// setBindingType).
  std::unordered_map<const ast::Stmt*, uint32_t> bindingTypes;
  std::unordered_map<const ast::Decl*, const Module*> declModule;

  /// The error type for an expression not checked (or null).
  const Type& typeOf(const ast::Expr* e) const {
    return types[!e || e->typeSlot == ast::Expr::kNoSlot ? static_cast<uint32_t>(TypeKind::Error)
                                                         : e->typeSlot];
  }
  bool hasType(const ast::Expr* e) const { return e && e->typeSlot != ast::Expr::kNoSlot; }
  void setType(const ast::Expr* e, const Type& t) { e->typeSlot = types.add(t); }
  void setResolution(const ast::Expr* e, Resolution r) {
    if (e->resolutionSlot != ast::Expr::kNoSlot) {
      resolutions[e->resolutionSlot] = std::move(r);
      return;
    }
    e->resolutionSlot = static_cast<uint32_t>(resolutions.size());
    resolutions.push_back(std::move(r));
  }
  void setBindingType(const ast::Stmt* s, const Type& t) { bindingTypes[s] = types.add(t); }
  /// Null for a binding that was not checked.
  const Type* bindingType(const ast::Stmt* s) const {
    auto it = bindingTypes.find(s);
    return it == bindingTypes.end() ? nullptr : &types[it->second];
  }
  const Resolution* resolution(const ast::Expr* e) const {
    return !e || e->resolutionSlot == ast::Expr::kNoSlot ? nullptr
                                                         : &resolutions[e->resolutionSlot];
  }
  const CallBinding* call(const ast::CallExpr* c) const {
    auto it = calls.find(c);
    return it == calls.end() ? nullptr : &it->second;
  }
  Type paramType(const ast::Param& p) const {
    auto it = paramTypes.find(&p);
    return it == paramTypes.end() ? Type::error() : it->second;
  }
  const ast::Property* property(const ast::Decl& d, const std::string& name) const;
  /// Every pipeline of the entry module, in source order.
  std::vector<const ast::PipelineDecl*> pipelines() const;
};

/// Loads the entry file and its imports, checks everything, and returns the typed program. The
/// program is returned even when there are errors (for tools); callers check the sink.
std::unique_ptr<Program> analyze(const std::string& entryPath, const Options& opts,
                                 SourceManager& sm, DiagnosticSink& sink);

/// The identity of a file: its absolute path with symbolic links and `..` resolved (as far as the
/// file exists). Module::path and Options::overlay use it.
std::string canonicalPath(const std::string& path);

/// The file `import "<importPath>"` names when the path is relative (`./x`, `../x`), for an
/// importing file in directory `dir`: `.mlp` is added when the file without it does not exist.
/// Empty for `std/…` and any other path. The loader and the editors' workspace index use it.
std::string localImportPath(const std::string& dir, const std::string& importPath);

/// Whether a diagnostic of this code leaves holes in the syntax tree, so that the checker stops
/// before resolving names (syntax errors, invalid literals such as an unterminated `${`).
bool stopsChecking(DiagCode code);

/// The properties a declaration of kind `k` may set, as the checker accepts them (empty for
/// imports, data and pipelines). Editors complete from the same list.
const std::vector<std::string>& propertyNames(ast::DeclKind k);
/// Names defined by one property (`error_rate` inside `rollback`, `psi` inside `alert`, ...).
using ContextNames = std::map<std::string, Type>;
/// The names property `prop` of a declaration of kind `k` defines for its value; null when it
/// defines none. The checker resolves them and editors complete them.
const ContextNames* propertyContext(ast::DeclKind k, const std::string& prop);
/// A field of a property whose value is a record of fixed fields (`resources = { cpu: 2 }`).
struct RecordField {
  std::string name;
  TypeKind type;
  bool required = false;
};
/// The fields of property `prop` of a declaration of kind `k` when its value is such a record
/// (`resources`, `retry`, `autoscale`), in the order diagnostics list them; null otherwise. The
/// checker validates against it and editors complete from it.
const std::vector<RecordField>* propertyFields(ast::DeclKind k, const std::string& prop);
/// Their names, comma-separated ("cpu, gpu, memory"), for diagnostics.
std::string fieldList(const std::vector<RecordField>& fields);
/// The functions a pipeline body may call besides steps and pipelines (`range`, `argmax`, ...).
const std::vector<std::string>& pipelineBuiltins();
/// The names `import "std/NAME"` can load from these stdlib roots ("std/sklearn", ...), sorted,
/// each once.
std::vector<std::string> stdlibModules(const std::vector<std::string>& roots);

/// The stdlib roots for this process: $MLP_PATH (colon-separated), then the installed stdlib
/// next to the executable, then the source tree's stdlib.
std::vector<std::string> defaultStdlibDirs(const std::string& exePath);

} // namespace mlpc::sema
