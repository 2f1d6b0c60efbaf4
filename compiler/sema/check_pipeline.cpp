// Pipeline bodies: scopes (loops lift their bindings out as lists, branches keep theirs), the
// dataflow between bindings in any textual order, dependency cycles, registers and failures.
#include "sema/checker.h"

#include <algorithm>

namespace mlpc::sema {

namespace {
std::map<const ast::Stmt*, std::unique_ptr<Scope>>& childScopes() {
  thread_local std::map<const ast::Stmt*, std::unique_ptr<Scope>> scopes;
  return scopes;
}
Scope* child(const ast::Stmt* owner, int which, Scope::Kind kind, Scope* parent) {
  // Two scopes per if statement (then, else): key them by the statement and an offset.
  const ast::Stmt* key =
      reinterpret_cast<const ast::Stmt*>(reinterpret_cast<const char*>(owner) + which);
  auto& slot = childScopes()[key];
  if (!slot) {
    slot = std::make_unique<Scope>();
    slot->kind = kind;
    slot->parent = parent;
    slot->owner = owner;
  }
  return slot.get();
}

/// Makes room for `more` insertions into a hash table. Growing to at least twice its size keeps
/// the doubling a table grows by on its own: reserving exactly `size + more` for each of many
/// small blocks would rehash the program-wide tables at nearly every block.
template <class Table> void reserveMore(Table& table, size_t more) {
  size_t want = table.size() + more;
  if (want > table.bucket_count() * table.max_load_factor())
    table.reserve(std::max(want, 2 * table.size()));
}
} // namespace

void Checker::collect(const ast::Block& b, Scope& s) {
  auto bind = [&](const std::string& name, const ast::AssignStmt*, SourceRange at) {
    const ast::AssignStmt* prev = nullptr;
    if (auto it = s.bindings.find(name); it != s.bindings.end()) prev = it->second;
    if (auto it = s.lifted.find(name); it != s.lifted.end()) prev = it->second.first;
    if (prev) {
      sink.report(DiagCode::DuplicateName, at, "`" + name + "` is bound more than once")
          .withLabel("bound again here")
          .secondary(prev->name.range, "first bound here")
          .note("each name is bound once: the dataflow, not the order, decides what runs when");
      return false;
    }
    for (auto& p : pipeline->params)
      if (p.name.name == name) {
        sink.report(DiagCode::DuplicateName, at, "`" + name + "` is already a parameter")
            .withLabel("bound here")
            .secondary(p.name.range, "parameter declared here");
        return false;
      }
    return true;
  };
  // Sized once for the block: a 100k-step pipeline otherwise rehashes each table many times.
  size_t stmts = b.stmts.size();
  reserveMore(s.bindings, stmts);
  reserveMore(bindingScope, stmts);
  reserveMore(usedBindings, stmts);
  reserveMore(prog.bindingTypes, stmts);
  for (auto& st : b.stmts) {
    switch (st->kind) {
    case ast::StmtKind::Assign: {
      auto& a = static_cast<const ast::AssignStmt&>(*st);
      if (bind(a.name.name, &a, a.name.range)) s.bindings[a.name.name] = &a;
      bindingScope[&a] = &s;
      break;
    }
    case ast::StmtKind::For: {
      auto& f = static_cast<const ast::ForStmt&>(*st);
      Scope* c = child(&f, 0, Scope::For, &s);
      collect(f.body, *c);
      for (auto& [n, a] : c->bindings)
        if (bind(n, a, a->name.range)) s.lifted[n] = {a, 1};
      for (auto& [n, la] : c->lifted)
        if (bind(n, la.first, la.first->name.range)) s.lifted[n] = {la.first, la.second + 1};
      for (auto& [n, a] : c->branchOnly)
        s.branchOnly.emplace(n, a);
      break;
    }
    case ast::StmtKind::If: {
      auto& i = static_cast<const ast::IfStmt&>(*st);
      for (int which = 0; which < (i.hasElse ? 2 : 1); ++which) {
        Scope* c = child(&i, which, Scope::Branch, &s);
        collect(which == 0 ? i.then : i.otherwise, *c);
        for (auto& [n, a] : c->bindings)
          s.branchOnly.emplace(n, a);
        for (auto& [n, la] : c->lifted)
          s.branchOnly.emplace(n, la.first);
        for (auto& [n, a] : c->branchOnly)
          s.branchOnly.emplace(n, a);
      }
      break;
    }
    default:
      break;
    }
  }
}

Type Checker::bindingType(const ast::AssignStmt& a) {
  if (const Type* known = prog.bindingType(&a)) return *known;
  auto onStack = std::find(evaluating.begin(), evaluating.end(), &a);
  if (onStack != evaluating.end()) {
    if (!cycleReported.count(&a)) {
      std::string chain;
      for (auto it = onStack; it != evaluating.end(); ++it)
        chain += (*it)->name.name + " -> ";
      chain += a.name.name;
      auto& d = sink.report(DiagCode::DependencyCycle, a.name.range, "dependency cycle: " + chain)
                    .withLabel("`" + a.name.name + "` depends on itself");
      for (auto it = onStack; it != evaluating.end(); ++it) {
        const ast::AssignStmt* next = (it + 1 == evaluating.end()) ? &a : *(it + 1);
        d.note("`" + (*it)->name.name + "` uses `" + next->name.name + "`", (*it)->value->range);
        cycleReported.insert(*it);
      }
    }
    return Type::error();
  }
  evaluating.push_back(&a);
  Scope* saved = scope;
  if (Scope* declared = scopeOf(&a)) scope = declared;
  Type t = check(*a.value);
  scope = saved;
  evaluating.pop_back();
  if (!t.isError() && !t.isValue()) {
    sink.report(DiagCode::TypeMismatch, a.value->range,
                "cannot bind a " + t.str() + " to `" + a.name.name + "`")
        .withLabel("not a value")
        .note(t.kind == TypeKind::Step
                  ? "call it: `" + a.name.name + " = Step(…)`"
                  : "bindings hold values: artifacts, numbers, strings, lists");
    t = Type::error();
  }
  if (cycleReported.count(&a)) t = Type::error();
  prog.setBindingType(&a, t);
  return t;
}

bool Checker::checkLoopList(const ast::ForStmt& f, Scope* around) {
  int& state = forState[&f];
  if (state == 1) return false;
  if (state == 2) return true;
  state = 1;
  Scope* saved = scope;
  scope = around;
  check(*f.iterable);
  scope = saved;
  state = 2;
  return true;
}

void Checker::checkBlock(const ast::Block& b, Scope& s) {
  scope = &s;
  for (auto& st : b.stmts) {
    scope = &s;
    switch (st->kind) {
    case ast::StmtKind::Assign:
      bindingType(static_cast<const ast::AssignStmt&>(*st));
      break;
    case ast::StmtKind::For: {
      auto& f = static_cast<const ast::ForStmt&>(*st);
      checkLoopList(f, &s);
      Type t = prog.typeOf(f.iterable.get());
      if (!t.isError() && t.kind != TypeKind::List)
        sink.report(DiagCode::TypeMismatch, f.iterable->range,
                    "`for` iterates over a list, found `" + t.str() + "`")
            .withLabel("not a list")
            .note("use `range(n)` for a count");
      checkBlock(f.body, *child(&f, 0, Scope::For, &s));
      break;
    }
    case ast::StmtKind::If: {
      auto& i = static_cast<const ast::IfStmt&>(*st);
      Type t = check(*i.cond);
      if (!t.isError() && t.kind != TypeKind::Bool)
        sink.report(DiagCode::ConditionNotBool, i.cond->range,
                    "an `if` condition must be a bool, found `" + t.str() + "`")
            .withLabel("not a bool")
            .note("compare it, e.g. `scores.auc >= 0.9`");
      checkBlock(i.then, *child(&i, 0, Scope::Branch, &s));
      if (i.hasElse) checkBlock(i.otherwise, *child(&i, 1, Scope::Branch, &s));
      break;
    }
    case ast::StmtKind::Register: {
      auto& r = static_cast<const ast::RegisterStmt&>(*st);
      Type m = check(*r.model);
      Type g = check(*r.group);
      if (!m.isError() && m.kind != TypeKind::Model)
        sink.report(DiagCode::TypeMismatch, r.model->range,
                    "`register` expects a model, found `" + m.str() + "`")
            .withLabel("not a Model");
      if (!g.isError() && g.kind != TypeKind::ModelGroup) {
        auto& d =
            sink.report(DiagCode::NotAModelGroup, r.group->range,
                        "cannot register into `" + std::string(prog.sm.text(r.group->range)) +
                            "`: it is " +
                            (std::string("aeiou").find(g.str()[0]) != std::string::npos ? "an "
                                                                                        : "a ") +
                            g.str() + ", not a model")
                .withLabel("not a `model` declaration");
        if (g.decl) d.secondary(g.decl->name.range, "declared here");
      }
      if (g.kind == TypeKind::ModelGroup && m.kind == TypeKind::Model) {
        // The group's server must accept the model: a Model<onnx> cannot be served by sklearn.
        const ast::Property* serve = prog.property(*g.decl, "serve");
        if (serve) {
          Type st2 = prog.typeOf(serve->value.get());
          if (st2.kind == TypeKind::Server && st2.decl)
            for (auto& p : st2.decl->as<ast::StepDecl>().params)
              if (p.name.name == "model" && !assignable(m, prog.paramType(p)))
                sink.report(DiagCode::FlavourMismatch, r.model->range,
                            "a `" + m.str() + "` cannot go into `" + g.decl->name.name +
                                "`, whose server takes `" + prog.paramType(p).str() + "`")
                    .withLabel("`" + m.str() + "`")
                    .secondary(serve->value->range, "the group is served by this server")
                    .secondary(p.type.range, "which accepts `" + prog.paramType(p).str() + "`");
        }
      }
      if (r.with) {
        Type w = check(*r.with);
        if (r.with->kind != ast::ExprKind::Record) {
          expectType(*r.with, w, Type::record(TypeKind::Record, {}), "`with`");
        } else {
          for (auto& f : r.with->as<ast::RecordExpr>().fields) {
            Type ft = prog.typeOf(f.value.get());
            if (f.name.name == "metrics") {
              if (!ft.isError() && ft.kind != TypeKind::Metrics && ft.kind != TypeKind::Record)
                sink.report(DiagCode::TypeMismatch, f.value->range,
                            "`metrics` expects Metrics, found `" + ft.str() + "`");
            } else if (f.name.name == "tags") {
              if (f.value->kind != ast::ExprKind::Record) {
                expectType(*f.value, ft, Type::record(TypeKind::Record, {}), "`tags`");
              } else {
                for (auto& t : f.value->as<ast::RecordExpr>().fields)
                  expectType(*t.value, prog.typeOf(t.value.get()), Type::of(TypeKind::String),
                             "tag `" + t.name.name + "`");
              }
            } else {
              auto& d = sink.report(DiagCode::UnknownProperty, f.name.range,
                                    "`register … with` has no field `" + f.name.name + "`")
                            .withLabel("unknown")
                            .note("the fields are metrics and tags");
              std::string near = closestName(f.name.name, {"metrics", "tags"});
              if (!near.empty()) d.note("did you mean `" + near + "`?");
            }
          }
        }
      }
      break;
    }
    case ast::StmtKind::Fail: {
      auto& f = static_cast<const ast::FailStmt&>(*st);
      Type t = check(*f.message);
      expectType(*f.message, t, Type::of(TypeKind::String), "`fail`'s message");
      break;
    }
    }
  }
}

void Checker::checkPipeline(const ast::PipelineDecl& d, const Module& m) {
  module = &m;
  pipeline = &d;
  step = nullptr;
  context = nullptr;
  Scope root;
  root.kind = Scope::Pipeline;
  collect(d.body, root);
  checkBlock(d.body, root);
  reportUnused(d);
  scope = nullptr;
  pipeline = nullptr;
  childScopes().clear();
}

bool Checker::hasErrorWithin(SourceRange r) const {
  if (sink.errorCount() == 0) return false;
  for (const auto& diag : sink.diagnostics())
    if (diag.severity == Severity::Error && diag.range.file == r.file &&
        diag.range.begin >= r.begin && diag.range.begin < r.end)
      return true;
  return false;
}

void Checker::reportUnused(const ast::PipelineDecl& d) {
  if (hasErrorWithin(d.range)) return;
  for (size_t i = 0; i < d.params.size(); ++i) {
    const auto& p = d.params[i];
    if (!usedParams.count({&d, i}) && p.name.name.rfind('_', 0) != 0)
      sink.report(DiagCode::UnusedName, p.name.range,
                  "parameter `" + p.name.name + "` is never used")
          .withLabel("unused")
          .note("prefix it with `_` to silence this warning");
  }
  std::vector<const ast::AssignStmt*> all;
  std::function<void(const ast::Block&)> walk = [&](const ast::Block& b) {
    for (auto& st : b.stmts) {
      if (st->kind == ast::StmtKind::Assign)
        all.push_back(&static_cast<const ast::AssignStmt&>(*st));
      if (st->kind == ast::StmtKind::For) walk(static_cast<const ast::ForStmt&>(*st).body);
      if (st->kind == ast::StmtKind::If) {
        walk(static_cast<const ast::IfStmt&>(*st).then);
        walk(static_cast<const ast::IfStmt&>(*st).otherwise);
      }
    }
  };
  walk(d.body);
  std::vector<const ast::AssignStmt*> unused;
  for (auto* a : all)
    if (!usedBindings.count(a) && a->name.name.rfind('_', 0) != 0) unused.push_back(a);
  // Reserved at once: a generated pipeline can have a warning on every line.
  sink.reserve(unused.size());
  for (auto* a : unused)
    sink.report(DiagCode::UnusedName, a->name.range, "`" + a->name.name + "` is never used")
        .withLabel("bound but not used")
        .note("its step still runs; name it `_" + a->name.name + "` if that is all you want");
}

} // namespace mlpc::sema
