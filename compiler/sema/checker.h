#pragma once
// The checker's internal state, shared by the check_*.cpp files. Not part of the public API.
#include "sema/sema.h"

#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace mlpc::sema {

/// A lexical scope inside a pipeline. Bindings are visible in any order (the dataflow orders
/// the work), so a scope is filled completely before any expression in it is checked.
struct Scope {
  enum Kind { Pipeline, For, Branch } kind = Pipeline;
  Scope* parent = nullptr;
  const ast::Stmt* owner = nullptr; ///< the ForStmt or IfStmt that opened it
  /// A hash table: a 100k-step pipeline's scope has 100k names, looked up at every use.
  std::unordered_map<std::string, const ast::AssignStmt*> bindings;
  /// Names bound inside a for loop below this scope, visible here as lists.
  std::map<std::string, std::pair<const ast::AssignStmt*, int>> lifted;
  /// Names bound inside an if/else branch below this scope: not visible, but worth a precise error.
  std::map<std::string, const ast::AssignStmt*> branchOnly;
};

class Checker {
public:
  Checker(Program& p, const Options& o, DiagnosticSink& s) : prog(p), opts(o), sink(s) {}

  void run(const std::string& entryPath);

  // ---- loader.cpp
  const Module* load(const std::string& path, std::string display, const std::string& stdlibName,
                     SourceRange importedAt, std::vector<std::string>& stack);
  void declareSymbols(Module& m);

  // ---- check_decls.cpp
  Type resolveType(const ast::TypeExpr& t, const Module& m);
  Type resolveMetricsFields(const ast::TypeExpr& t, const Module& m);
  void checkData(const ast::DataDecl& d, const Module& m);
  void checkStepLike(const ast::StepDecl& d, const Module& m);
  void checkCommandProps(const ast::StepDecl& d, const Module& m);
  void checkLocalFiles(const ast::StepDecl& d, const Module& m, const ast::Property* run,
                       const ast::Property* code);
  /// `pipeline`: the params of a pipeline, whose artifact-typed params may default to
  /// `file("…")`/`dir("…")` (hashed when a run starts, like a `data` declaration).
  void checkParams(const std::vector<ast::Param>& ps, const Module& m, bool outputs,
                   bool pipeline = false);
  /// `file("path")` or `dir("path")` as the source of `name` of type `t`; false when `init` is
  /// not such a call at all (the caller says what else it expected).
  bool checkDataSource(const ast::Expr& init, const Type& t, const std::string& name);

  // ---- check_unhashed.cpp
  /// W003: a `string` parameter whose default names an existing file reaches a `run`.
  void checkUnhashedFiles();

  // ---- check_policy.cpp
  void checkModel(const ast::PolicyDecl& d, const Module& m);
  void checkEndpoint(const ast::PolicyDecl& d, const Module& m);
  /// `autoscale = { min: N, max: M, target: R, … }` of an endpoint (check_autoscale.cpp):
  /// constant fields in range, and `instances` between `min` and `max`.
  void checkAutoscale(const ast::PolicyDecl& d, const ast::Property& p,
                      const ast::Property* instances, const ast::Property* mode);
  void checkMonitor(const ast::PolicyDecl& d, const Module& m);
  void checkSchedule(const ast::PolicyDecl& d, const Module& m);
  /// Reports unknown and repeated properties; returns name -> property.
  std::map<std::string, const ast::Property*> properties(const ast::Decl& d,
                                                         const std::vector<ast::Property>& props,
                                                         const std::vector<std::string>& allowed);
  void expectType(const ast::Expr& e, const Type& found, const Type& want, const std::string& what);

  // ---- check_pipeline.cpp
  void checkPipeline(const ast::PipelineDecl& d, const Module& m);
  void collect(const ast::Block& b, Scope& scope);
  void checkBlock(const ast::Block& b, Scope& scope);
  Type bindingType(const ast::AssignStmt& s);
  void reportUnused(const ast::PipelineDecl& d);
  /// Whether an error was reported inside `r`. Unused-name warnings are skipped in a
  /// declaration with errors: there they mostly echo the error (a misspelt `${sed}` leaves
  /// `seed` unused), and fixing it changes which names are used.
  bool hasErrorWithin(SourceRange r) const;

  // ---- check_expr.cpp
  Type check(const ast::Expr& e);
  Type checkName(const ast::NameExpr& e);
  Type checkMember(const ast::MemberExpr& e);
  Type checkCall(const ast::CallExpr& e);
  Type checkBuiltinCall(const ast::CallExpr& e, const std::string& name);
  Type checkDeclCall(const ast::CallExpr& e, const ast::Decl& callee, const Module& m,
                     const std::vector<ast::Param>& params, const std::string& what);
  Type checkBinary(const ast::BinaryExpr& e);
  Type checkString(const ast::StringLit& e);
  bool bindArgs(const ast::CallExpr& e, const std::vector<std::string>& names,
                const std::vector<bool>& required, const std::string& calleeName,
                SourceRange calleeDef, std::vector<const ast::Expr*>& out);
  Type record(Type t, const ast::Expr& e, Resolution r);
  std::vector<std::string> visibleNames() const;
  /// True when the expression is made of literals only (allowed for defaults).
  bool isConstant(const ast::Expr& e) const;
  /// E034 when a constant step property is outside plan::kPropertyRules.
  void checkPropertyRange(const std::string& name, const ast::Expr& value);
  /// E034 at a call when a property that is one of the step's parameters (`timeout = t`) gets a
  /// constant out-of-range value there: the argument given, or the parameter's default.
  void checkCallPropertyRanges(const ast::CallExpr& call);

  Type outputsType(const ast::StepDecl& d);
  const Module* moduleOf(const ast::Decl* d) const;

  Program& prog;
  const Options& opts;
  DiagnosticSink& sink;

  // Loading state.
  std::map<std::string, const Module*> loaded;

  // Checking context: where names are looked up right now.
  const Module* module = nullptr;
  Scope* scope = nullptr;
  const ast::PipelineDecl* pipeline = nullptr;
  const ast::StepDecl* step = nullptr; ///< inside a step's or server's properties
  const ContextNames* context = nullptr;
  /// Bindings whose type is being computed, to find dependency cycles.
  std::vector<const ast::AssignStmt*> evaluating;
  // Keyed by node, looked up once or more per binding, never iterated: hash tables (a 100k-step
  // pipeline has 100k bindings).
  std::unordered_map<const ast::AssignStmt*, Scope*> bindingScope;
  std::unordered_set<const ast::AssignStmt*> usedBindings;
  /// The scope a binding was declared in, or null.
  Scope* scopeOf(const ast::AssignStmt* a) const {
    auto it = bindingScope.find(a);
    return it == bindingScope.end() ? nullptr : it->second;
  }
  std::set<std::pair<const ast::Decl*, size_t>> usedParams;
  std::set<const ast::AssignStmt*> cycleReported;
  /// Step calls in pipelines, in the order they were checked (checkCallPropertyRanges).
  std::vector<const ast::CallExpr*> stepCalls;
  /// A step's range-checked properties whose value is one of its parameters: (property name as
  /// in plan::kPropertyRules, the value, the parameter's index). Computed once per step, read at
  /// each of its calls, so only after every step's properties are resolved (as
  /// checkCallPropertyRanges is, last).
  struct ParamProperty {
    std::string name;
    const ast::Expr* value;
    size_t param;
  };
  std::unordered_map<const ast::StepDecl*, std::vector<ParamProperty>> paramProperties;
  const std::vector<ParamProperty>& paramPropertiesOf(const ast::StepDecl& d);
  /// 1 while a `for`'s list is being checked, 2 after: a list that reads the loop's own
  /// (lifted) results is a dependency cycle.
  std::map<const ast::ForStmt*, int> forState;
  /// Checks a loop's list once, in the scope around the loop; false on a cycle.
  bool checkLoopList(const ast::ForStmt& f, Scope* around);
};

/// The number a constant expression stands for (literals, negation and arithmetic of them), in
/// the plan's units (seconds, bytes); nullopt when it is not a constant number.
std::optional<double> constantNumber(const ast::Expr& e);

} // namespace mlpc::sema
