// Expressions: names (in the scope of a step, a pipeline or a property), members, calls with
// positional-then-named arguments, operators with unit kinds, literals, interpolated strings.
#include "sema/checker.h"

namespace mlpc::sema {

using ast::ExprKind;

namespace {
const std::vector<std::string>& kPipelineBuiltins = pipelineBuiltins();
thread_local int interpolationDepth = 0;
} // namespace

Type Checker::record(Type t, const ast::Expr& e, Resolution r) {
  prog.setType(&e, t);
  if (r.kind != RefKind::None) prog.setResolution(&e, std::move(r));
  return t;
}

bool Checker::isConstant(const ast::Expr& e) const {
  switch (e.kind) {
  case ExprKind::Int:
  case ExprKind::Float:
  case ExprKind::Duration:
  case ExprKind::Size:
  case ExprKind::Percent:
  case ExprKind::Bool:
  case ExprKind::Error:
    return true;
  case ExprKind::String:
    return e.as<ast::StringLit>().isPlain();
  case ExprKind::Unary:
    return isConstant(*e.as<ast::UnaryExpr>().operand);
  case ExprKind::List:
    for (auto& x : e.as<ast::ListExpr>().elems)
      if (!isConstant(*x)) return false;
    return true;
  case ExprKind::Record:
    for (auto& f : e.as<ast::RecordExpr>().fields)
      if (!isConstant(*f.value)) return false;
    return true;
  default:
    return false;
  }
}

Type Checker::check(const ast::Expr& e) {
  switch (e.kind) {
  case ExprKind::Error:
    return record(Type::error(), e, {});
  case ExprKind::Int:
    return record(Type::of(TypeKind::Int), e, {});
  case ExprKind::Float:
    return record(Type::of(TypeKind::Float), e, {});
  case ExprKind::Duration:
    return record(Type::of(TypeKind::Duration), e, {});
  case ExprKind::Size:
    return record(Type::of(TypeKind::Size), e, {});
  case ExprKind::Percent: {
    double v = e.as<ast::NumberLit>().value;
    if (v < 0 || v > 100)
      sink.report(DiagCode::PercentOutOfRange, e.range,
                  "percent `" + std::string(prog.sm.text(e.range)) + "` is outside 0-100%")
          .withLabel("out of range");
    return record(Type::of(TypeKind::Percent), e, {});
  }
  case ExprKind::Bool:
    return record(Type::of(TypeKind::Bool), e, {});
  case ExprKind::String:
    return checkString(e.as<ast::StringLit>());
  case ExprKind::Name:
    return checkName(e.as<ast::NameExpr>());
  case ExprKind::Member:
    return checkMember(e.as<ast::MemberExpr>());
  case ExprKind::Call:
    return checkCall(e.as<ast::CallExpr>());
  case ExprKind::Binary:
    return checkBinary(e.as<ast::BinaryExpr>());
  case ExprKind::Unary: {
    auto& u = e.as<ast::UnaryExpr>();
    Type t = check(*u.operand);
    if (t.isError()) return record(t, e, {});
    if (u.op == ast::UnaryOp::Not) {
      if (t.kind != TypeKind::Bool)
        sink.report(DiagCode::InvalidOperand, u.operand->range,
                    "`not` needs a bool, found `" + t.str() + "`")
            .withLabel("not a bool");
      return record(Type::of(TypeKind::Bool), e, {});
    }
    if (!t.isNumeric() && !t.isUnit()) {
      sink.report(DiagCode::InvalidOperand, u.operand->range, "cannot negate `" + t.str() + "`")
          .withLabel("not a number");
      return record(Type::error(), e, {});
    }
    // A negative percent, duration or size makes no sense anywhere in the language.
    if (t.kind == TypeKind::Percent)
      sink.report(DiagCode::PercentOutOfRange, e.range,
                  "percent `" + std::string(prog.sm.text(e.range)) + "` is outside 0-100%")
          .withLabel("negative");
    else if (t.kind == TypeKind::Duration || t.kind == TypeKind::Size)
      sink.report(DiagCode::InvalidValue, e.range,
                  std::string("a ") + (t.kind == TypeKind::Duration ? "duration" : "size") +
                      " cannot be negative")
          .withLabel("negative");
    return record(t, e, {});
  }
  case ExprKind::Index: {
    auto& ix = e.as<ast::IndexExpr>();
    Type obj = check(*ix.object);
    Type idx = check(*ix.index);
    expectType(*ix.index, idx, Type::of(TypeKind::Int), "a list index");
    if (obj.isError()) return record(obj, e, {});
    if (obj.kind != TypeKind::List) {
      sink.report(DiagCode::InvalidOperand, ix.object->range,
                  "only lists can be indexed, found `" + obj.str() + "`")
          .withLabel("not a list");
      return record(Type::error(), e, {});
    }
    return record(*obj.elem, e, {});
  }
  case ExprKind::List: {
    auto& l = e.as<ast::ListExpr>();
    Type elem = Type::error();
    bool first = true;
    for (auto& x : l.elems) {
      Type t = check(*x);
      if (first) {
        elem = t;
        first = false;
        continue;
      }
      Type j = join(elem, t);
      if (j.isError() && !elem.isError() && !t.isError()) {
        sink.report(DiagCode::TypeMismatch, x->range,
                    "list elements must have one type: `" + elem.str() + "` then `" + t.str() + "`")
            .withLabel("`" + t.str() + "`")
            .secondary(l.elems[0]->range, "`" + elem.str() + "`");
        return record(Type::list(Type::error()), e, {});
      }
      elem = j;
    }
    return record(Type::list(elem), e, {});
  }
  case ExprKind::Record: {
    auto& r = e.as<ast::RecordExpr>();
    std::vector<Field> fields;
    for (auto& f : r.fields) {
      for (auto& prev : r.fields) {
        if (&prev == &f) break;
        if (prev.name.name == f.name.name) {
          sink.report(DiagCode::DuplicateName, f.name.range,
                      "field `" + f.name.name + "` appears twice")
              .withLabel("repeated")
              .secondary(prev.name.range, "first here");
          break;
        }
      }
      fields.push_back({f.name.name, check(*f.value)});
    }
    return record(Type::record(TypeKind::Record, std::move(fields)), e, {});
  }
  }
  return Type::error();
}

Type Checker::checkString(const ast::StringLit& s) {
  for (auto& p : s.parts) {
    if (!p.expr) continue;
    ++interpolationDepth;
    Type t = check(*p.expr);
    --interpolationDepth;
    if (!t.isError() && !t.isValue())
      sink.report(DiagCode::TypeMismatch, p.expr->range,
                  "cannot put a " + t.str() + " into a string")
          .withLabel("not a value");
  }
  return record(Type::of(TypeKind::String), s, {});
}

std::vector<std::string> Checker::visibleNames() const {
  std::vector<std::string> names;
  if (context)
    for (auto& [n, _] : *context)
      names.push_back(n);
  if (step) {
    for (auto& p : step->params)
      names.push_back(p.name.name);
    for (auto& p : step->outputs)
      names.push_back(p.name.name);
    if (step->kind == ast::DeclKind::Server) names.push_back("port");
    return names;
  }
  for (Scope* s = scope; s; s = s->parent) {
    // In name order, as suggestions are made from the first closest name.
    size_t from = names.size();
    for (auto& [n, _] : s->bindings)
      names.push_back(n);
    std::sort(names.begin() + static_cast<std::ptrdiff_t>(from), names.end());
    for (auto& [n, _] : s->lifted)
      names.push_back(n);
    if (s->kind == Scope::For) names.push_back(s->owner->as<ast::ForStmt>().var.name);
  }
  if (pipeline)
    for (auto& p : pipeline->params)
      names.push_back(p.name.name);
  if (module)
    for (auto& [n, _] : module->symbols)
      names.push_back(n);
  if (pipeline)
    for (auto& b : kPipelineBuiltins)
      names.push_back(b);
  return names;
}

Type Checker::checkName(const ast::NameExpr& e) {
  const std::string& n = e.name;
  Resolution r;
  if (context) {
    if (auto it = context->find(n); it != context->end()) {
      r.kind = RefKind::Context;
      r.name = n;
      return record(it->second, e, r);
    }
  }
  if (step) {
    for (size_t i = 0; i < step->params.size(); ++i)
      if (step->params[i].name.name == n) {
        usedParams.insert({step, i});
        r.kind = RefKind::StepParam;
        r.decl = step;
        r.index = i;
        return record(prog.paramType(step->params[i]), e, r);
      }
    for (size_t i = 0; i < step->outputs.size(); ++i)
      if (step->outputs[i].name.name == n) {
        r.kind = RefKind::StepOutput;
        r.decl = step;
        r.index = i;
        return record(prog.paramType(step->outputs[i]), e, r);
      }
    if (step->kind == ast::DeclKind::Server && n == "port") {
      r.kind = RefKind::Port;
      return record(Type::of(TypeKind::Int), e, r);
    }
  }
  if (!step) {
    int depth = 0;
    for (Scope* s = scope; s; s = s->parent) {
      if (auto it = s->bindings.find(n); it != s->bindings.end()) {
        usedBindings.insert(it->second);
        r.kind = RefKind::Binding;
        r.stmt = it->second;
        Type t = bindingType(*it->second);
        return record(t, e, r);
      }
      if (auto it = s->lifted.find(n); it != s->lifted.end()) {
        usedBindings.insert(it->second.first);
        // The lifted list exists once its loops have run: their lists come first.
        Scope* inner = scopeOf(it->second.first);
        for (Scope* sc = inner; sc && sc != s; sc = sc->parent)
          if (sc->kind == Scope::For && !checkLoopList(sc->owner->as<ast::ForStmt>(), sc->parent)) {
            auto& f = sc->owner->as<ast::ForStmt>();
            sink.report(DiagCode::DependencyCycle, f.iterable->range,
                        "dependency cycle: the list of this `for` uses `" + n +
                            "`, which the loop itself produces")
                .withLabel("depends on the loop's own results")
                .secondary(it->second.first->name.range, "`" + n + "` is bound inside the loop");
            return record(Type::error(), e, {});
          }
        r.kind = RefKind::Binding;
        r.stmt = it->second.first;
        r.forDepth = it->second.second;
        Type t = bindingType(*it->second.first);
        for (int i = 0; i < r.forDepth; ++i)
          t = Type::list(t);
        return record(t, e, r);
      }
      if (s->kind == Scope::For) {
        auto& f = s->owner->as<ast::ForStmt>();
        if (f.var.name == n) {
          r.kind = RefKind::LoopVar;
          r.stmt = &f;
          if (!prog.hasType(f.iterable.get())) {
            // Used (through a lifted binding) before the loop statement itself was checked.
            Scope* saved = scope;
            scope = s->parent;
            check(*f.iterable);
            scope = saved;
          }
          Type lt = prog.typeOf(f.iterable.get());
          Type t = lt.kind == TypeKind::List && lt.elem ? *lt.elem : Type::error();
          return record(t, e, r);
        }
      }
      ++depth;
    }
    if (pipeline)
      for (size_t i = 0; i < pipeline->params.size(); ++i)
        if (pipeline->params[i].name.name == n) {
          usedParams.insert({pipeline, i});
          r.kind = RefKind::PipelineParam;
          r.decl = pipeline;
          r.index = i;
          return record(prog.paramType(pipeline->params[i]), e, r);
        }
    if (module) {
      if (auto it = module->symbols.find(n); it != module->symbols.end()) {
        const ast::Decl* d = it->second;
        r.decl = d;
        r.module = moduleOf(d);
        switch (d->kind) {
        case ast::DeclKind::Import: {
          r.kind = RefKind::Module;
          auto mi = module->imports.find(n);
          if (mi == module->imports.end()) return record(Type::error(), e, {}); // import failed
          r.module = mi->second;
          Type t = Type::of(TypeKind::Module);
          t.name = n;
          return record(t, e, r);
        }
        case ast::DeclKind::Data:
          r.kind = RefKind::Data;
          return record(prog.dataTypes[d], e, r);
        default: {
          r.kind = RefKind::Decl;
          static const TypeKind kinds[] = {
              TypeKind::Error,    TypeKind::Error,    TypeKind::Step,
              TypeKind::Server,   TypeKind::Pipeline, TypeKind::ModelGroup,
              TypeKind::Endpoint, TypeKind::Monitor,  TypeKind::Schedule};
          return record(Type::ref(kinds[static_cast<int>(d->kind)], d), e, r);
        }
        }
      }
    }
    if (pipeline && std::find(kPipelineBuiltins.begin(), kPipelineBuiltins.end(), n) !=
                        kPipelineBuiltins.end()) {
      r.kind = RefKind::Builtin;
      r.name = n;
      Type t = Type::of(TypeKind::Builtin);
      t.name = n;
      return record(t, e, r);
    }
    for (Scope* s = scope; s; s = s->parent)
      if (auto it = s->branchOnly.find(n); it != s->branchOnly.end()) {
        sink.report(DiagCode::BranchScope, e.range,
                    "`" + n + "` is bound only inside a branch of an `if`")
            .withLabel("not visible here")
            .secondary(it->second->name.range, "bound here, inside the branch")
            .note("names bound in a branch are visible only in that branch; bind it in both "
                  "branches and use it there, or move the statement out of the `if`");
        return record(Type::error(), e, {});
      }
  }
  bool interp = interpolationDepth > 0;
  auto& d = sink.report(interp ? DiagCode::BadInterpolation : DiagCode::UnknownName, e.range,
                        interp ? "interpolation `${" + n + "}` names nothing"
                               : "unknown name `" + n + "`")
                .withLabel(interp ? "not a parameter or output here" : "not defined");
  std::string near = closestName(n, visibleNames());
  if (!near.empty()) d.note("did you mean `" + near + "`?");
  if (step && interp) {
    std::string names;
    for (auto& p : step->params)
      names += (names.empty() ? "" : ", ") + p.name.name;
    for (auto& p : step->outputs)
      names += (names.empty() ? "" : ", ") + p.name.name;
    if (step->kind == ast::DeclKind::Server)
      names += (names.empty() ? "" : ", ") + std::string("port");
    d.note(std::string("a `") + ast::keyword(step->kind) + "`'s strings can use " +
           (names.empty() ? std::string("no names") : names));
  }
  return record(Type::error(), e, {});
}

namespace {
Type memberOf(const Type& t, const std::string& name, bool& found) {
  found = false;
  if (t.kind == TypeKind::List && t.elem) {
    Type inner = memberOf(*t.elem, name, found);
    return found ? Type::list(inner) : Type::error();
  }
  if (const Field* f = t.field(name)) {
    found = true;
    return f->type;
  }
  return Type::error();
}
std::vector<std::string> fieldNames(const Type& t) {
  if (t.kind == TypeKind::List && t.elem) return fieldNames(*t.elem);
  std::vector<std::string> names;
  if (t.fields)
    for (auto& f : *t.fields)
      names.push_back(f.name);
  return names;
}
} // namespace

Type Checker::checkMember(const ast::MemberExpr& e) {
  Type obj = check(*e.object);
  const std::string& n = e.member.name;
  if (obj.isError()) return record(obj, e, {});
  if (obj.kind == TypeKind::Module) {
    const Module* m = prog.resolution(e.object.get())->module;
    auto it = m->symbols.find(n);
    if (it != m->symbols.end() && it->second->kind != ast::DeclKind::Import) {
      // Resolve as if the name were written inside module `m`.
      const Module* saved = module;
      const ast::PipelineDecl* savedP = pipeline;
      Scope* savedS = scope;
      const ast::StepDecl* savedStep = step;
      const ContextNames* savedCtx = context;
      context = nullptr;
      module = m;
      pipeline = nullptr;
      scope = nullptr;
      step = nullptr;
      ast::NameExpr probe(e.member.range, n);
      Type t = checkName(probe);
      Resolution r = *prog.resolution(&probe);
      module = saved;
      pipeline = savedP;
      scope = savedS;
      step = savedStep;
      context = savedCtx;
      return record(t, e, r);
    }
    std::vector<std::string> names;
    for (auto& [k, d] : m->symbols)
      if (d->kind != ast::DeclKind::Import) names.push_back(k);
    auto& d = sink.report(DiagCode::UnknownMember, e.member.range,
                          "module `" + obj.name + "` has no `" + n + "`")
                  .withLabel("not declared in " + m->displayPath);
    std::string near = closestName(n, names);
    if (!near.empty()) d.note("did you mean `" + obj.name + "." + near + "`?");
    return record(Type::error(), e, {});
  }
  if (obj.kind == TypeKind::ModelGroup) {
    Resolution r;
    r.kind = RefKind::Context;
    r.name = n;
    if (n == "approved" || n == "latest") return record(Type::of(TypeKind::ModelVersion), e, r);
    if (n == "version") {
      Type t = Type::of(TypeKind::Builtin);
      t.name = "version";
      return record(t, e, r);
    }
    auto& d =
        sink.report(DiagCode::UnknownMember, e.member.range, "a model group has no `" + n + "`")
            .withLabel("unknown")
            .note("use `.approved`, `.latest` or `.version(N)`");
    std::string near = closestName(n, {"approved", "latest", "version"});
    if (!near.empty()) d.note("did you mean `" + near + "`?");
    return record(Type::error(), e, {});
  }
  bool found = false;
  Type t = memberOf(obj, n, found);
  if (found) return record(t, e, {});
  Type base = obj.kind == TypeKind::List && obj.elem ? *obj.elem : obj;
  std::string what = base.kind == TypeKind::Record ? "outputs" : "fields";
  auto& d =
      sink.report(DiagCode::UnknownMember, e.member.range,
                  "`" + obj.str() + "` has no " +
                      (base.kind == TypeKind::Record ? "output" : "field") + " `" + n + "`")
          .withLabel("unknown " + std::string(base.kind == TypeKind::Record ? "output" : "field"));
  std::vector<std::string> names = fieldNames(obj);
  std::string near = closestName(n, names);
  if (!near.empty()) d.note("did you mean `" + near + "`?");
  if (base.kind == TypeKind::Metrics && !base.fields)
    d.note("declare the fields the step writes, e.g. `Metrics{" + n + ": float}`");
  else if (!names.empty()) {
    std::string list;
    for (auto& x : names)
      list += (list.empty() ? "" : ", ") + x;
    d.note("the " + what + " are " + list);
  }
  return record(Type::error(), e, {});
}

bool Checker::bindArgs(const ast::CallExpr& e, const std::vector<std::string>& names,
                       const std::vector<bool>& required, const std::string& calleeName,
                       SourceRange calleeDef, std::vector<const ast::Expr*>& out) {
  out.assign(names.size(), nullptr);
  std::vector<SourceRange> givenAt(names.size());
  bool ok = true;
  bool sawNamed = false;
  size_t positional = 0;
  for (auto& a : e.args) {
    if (!a.named) {
      if (sawNamed) {
        sink.report(DiagCode::PositionalAfterNamed, a.range,
                    "positional argument after a named one")
            .withLabel("name this argument")
            .note("positional arguments come first, then named ones");
        ok = false;
        continue;
      }
      if (positional >= names.size()) {
        auto& d = sink.report(DiagCode::TooManyArguments, a.range,
                              "too many arguments to `" + calleeName + "`: it takes " +
                                  std::to_string(names.size()))
                      .withLabel("unexpected argument");
        if (calleeDef.valid()) d.secondary(calleeDef, "declared here");
        ok = false;
        continue;
      }
      out[positional] = a.value.get();
      givenAt[positional] = a.range;
      ++positional;
      continue;
    }
    sawNamed = true;
    auto it = std::find(names.begin(), names.end(), a.name.name);
    if (it == names.end()) {
      auto& d = sink.report(DiagCode::UnknownArgument, a.name.range,
                            "`" + calleeName + "` has no parameter `" + a.name.name + "`")
                    .withLabel("unknown argument");
      std::string near = closestName(a.name.name, names);
      if (!near.empty()) d.note("did you mean `" + near + "`?");
      if (calleeDef.valid()) d.secondary(calleeDef, "declared here");
      ok = false;
      continue;
    }
    size_t i = static_cast<size_t>(it - names.begin());
    if (out[i]) {
      sink.report(DiagCode::RepeatedArgument, a.range,
                  "argument `" + a.name.name + "` is given twice")
          .withLabel("repeated")
          .secondary(givenAt[i], "first given here");
      ok = false;
      continue;
    }
    out[i] = a.value.get();
    givenAt[i] = a.range;
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!out[i] && required[i]) {
      auto& d = sink.report(DiagCode::MissingArgument, e.range,
                            "missing argument `" + names[i] + "` in call to `" + calleeName + "`")
                    .withLabel("`" + names[i] + "` is required");
      if (calleeDef.valid()) d.secondary(calleeDef, "declared here");
      ok = false;
    }
  return ok;
}

Type Checker::outputsType(const ast::StepDecl& d) {
  if (d.outputs.size() == 1) return prog.paramType(d.outputs[0]);
  std::vector<Field> fields;
  for (auto& o : d.outputs)
    fields.push_back({o.name.name, prog.paramType(o)});
  return Type::record(TypeKind::Record, std::move(fields));
}

Type Checker::checkDeclCall(const ast::CallExpr& e, const ast::Decl& callee, const Module& m,
                            const std::vector<ast::Param>& params, const std::string& what) {
  std::vector<std::string> names;
  std::vector<bool> required;
  for (auto& p : params) {
    names.push_back(p.name.name);
    required.push_back(p.defaultValue == nullptr);
  }
  CallBinding cb;
  cb.callee = &callee;
  cb.module = &m;
  bindArgs(e, names, required, callee.name.name, callee.name.range, cb.args);
  for (auto& a : e.args) {
    Type t = check(*a.value);
    auto it = std::find(cb.args.begin(), cb.args.end(), a.value.get());
    if (it == cb.args.end()) continue;
    const ast::Param& p = params[static_cast<size_t>(it - cb.args.begin())];
    Type want = prog.paramType(p);
    if (!assignable(t, want)) {
      sink.report(DiagCode::TypeMismatch, a.value->range,
                  "argument `" + p.name.name + "` of " + what + " `" + callee.name.name +
                      "` expects `" + want.str() + "`, found `" + t.str() + "`")
          .withLabel("`" + t.str() + "`")
          .secondary(p.type.range, "declared `" + want.str() + "` here");
    }
  }
  prog.calls[&e] = std::move(cb);
  return Type::error();
}

Type Checker::checkCall(const ast::CallExpr& e) {
  Type callee = check(*e.callee);
  if (callee.isError()) {
    for (auto& a : e.args)
      check(*a.value);
    return record(callee, e, {});
  }
  switch (callee.kind) {
  case TypeKind::Step: {
    auto& d = callee.decl->as<ast::StepDecl>();
    checkDeclCall(e, d, *moduleOf(&d), d.params, "step");
    if (pipeline) stepCalls.push_back(&e);
    return record(outputsType(d), e, {});
  }
  case TypeKind::Pipeline: {
    auto& d = callee.decl->as<ast::PipelineDecl>();
    if (pipeline) {
      sink.report(DiagCode::NotCallable, e.callee->range,
                  "a pipeline cannot be called from a pipeline")
          .withLabel("`" + d.name.name + "` is a pipeline")
          .note("call its steps instead, or start it from a `schedule` or a monitor's `on_alert`");
      return record(Type::error(), e, {});
    }
    checkDeclCall(e, d, *moduleOf(&d), d.params, "pipeline");
    return record(Type::ref(TypeKind::PipelineRun, &d), e, {});
  }
  case TypeKind::Builtin:
    return record(checkBuiltinCall(e, callee.name), e, {});
  default:
    break;
  }
  auto& d =
      sink.report(DiagCode::NotCallable, e.callee->range, "`" + callee.str() + "` cannot be called")
          .withLabel("not a step or function");
  if (callee.kind == TypeKind::Server)
    d.note("a server is started by the runtime for a model group (`serve = …`) or by "
           "`transform(…, server = …)`");
  for (auto& a : e.args)
    check(*a.value);
  return record(Type::error(), e, {});
}

Type Checker::checkBuiltinCall(const ast::CallExpr& e, const std::string& name) {
  struct Sig {
    std::vector<std::string> names;
    std::vector<bool> required;
  };
  static const std::map<std::string, Sig> sigs = {
      {"range", {{"n"}, {true}}},
      {"len", {{"list"}, {true}}},
      {"flatten", {{"list"}, {true}}},
      {"argmax", {{"items", "scores"}, {true, true}}},
      {"argmin", {{"items", "scores"}, {true, true}}},
      {"transform",
       {{"model", "data", "shards", "server", "join_source"}, {true, true, false, false, false}}},
      {"version", {{"n"}, {true}}},
      {"canary", {{"size", "wait"}, {true, true}}},
      {"linear", {{"step", "wait"}, {true, true}}},
      {"all_at_once", {{}, {}}},
      {"serverless", {{"idle", "max_concurrency"}, {false, false}}},
      {"async", {{"queue"}, {false}}},
  };
  auto sit = sigs.find(name);
  if (sit == sigs.end()) {
    sink.report(DiagCode::NotCallable, e.callee->range, "`" + name + "` cannot be called");
    return Type::error();
  }
  CallBinding cb;
  cb.builtin = name;
  cb.paramNames = sit->second.names;
  bindArgs(e, sit->second.names, sit->second.required, name, {}, cb.args);
  std::vector<Type> types(cb.args.size());
  for (auto& a : e.args) {
    Type t = check(*a.value);
    auto it = std::find(cb.args.begin(), cb.args.end(), a.value.get());
    if (it != cb.args.end()) types[static_cast<size_t>(it - cb.args.begin())] = t;
  }
  auto arg = [&](size_t i) { return cb.args[i]; };
  auto want = [&](size_t i, const Type& w, const std::string& what) {
    if (arg(i)) expectType(*arg(i), types[i], w, what);
  };
  auto listArg = [&](size_t i) -> Type {
    if (!arg(i) || types[i].isError()) return Type::error();
    if (types[i].kind != TypeKind::List) {
      sink.report(DiagCode::TypeMismatch, arg(i)->range,
                  "`" + name + "` expects a list, found `" + types[i].str() + "`")
          .withLabel("not a list");
      return Type::error();
    }
    return types[i].elem ? *types[i].elem : Type::error();
  };
  Type result = Type::error();
  if (name == "range") {
    want(0, Type::of(TypeKind::Int), "`range`'s argument");
    result = Type::list(Type::of(TypeKind::Int));
  } else if (name == "len") {
    listArg(0);
    result = Type::of(TypeKind::Int);
  } else if (name == "flatten") {
    // list<list<T>> -> list<T>: a nested sweep's results as one list, for argmax/argmin.
    Type inner = listArg(0);
    if (!inner.isError() && inner.kind != TypeKind::List)
      sink.report(DiagCode::TypeMismatch, arg(0)->range,
                  "`flatten` expects a list of lists, found `" + types[0].str() + "`")
          .withLabel("not a list of lists");
    else
      result = inner;
  } else if (name == "argmax" || name == "argmin") {
    result = listArg(0);
    Type s = listArg(1);
    if (!s.isError() && !s.isNumeric() && !s.isUnit())
      sink.report(DiagCode::TypeMismatch, arg(1)->range,
                  "`" + name + "` scores must be numbers, found `" + types[1].str() + "`")
          .withLabel("not a list of numbers");
  } else if (name == "transform") {
    want(0, Type::of(TypeKind::Model), "`transform`'s model");
    want(1, Type::of(TypeKind::Dataset), "`transform`'s data");
    want(2, Type::of(TypeKind::Int), "`transform`'s shards");
    if (arg(2) && arg(2)->kind == ExprKind::Int && arg(2)->as<ast::NumberLit>().value < 1)
      sink.report(DiagCode::InvalidValue, arg(2)->range, "`shards` must be at least 1");
    Type modelType = arg(0) ? types[0] : Type::error();
    if (arg(3)) {
      if (!types[3].isError() && types[3].kind != TypeKind::Server)
        sink.report(DiagCode::TypeMismatch, arg(3)->range,
                    "`server` must name a server, found `" + types[3].str() + "`");
      else if (types[3].kind == TypeKind::Server) {
        cb.server = types[3].decl;
        cb.serverModule = moduleOf(types[3].decl);
      }
    } else if (!modelType.isError()) {
      // The one server in scope (this module and its imports) that accepts the model's type.
      std::vector<std::pair<const ast::Decl*, const Module*>> fits;
      std::vector<const Module*> mods = {module};
      for (auto& [_, m] : module->imports)
        mods.push_back(m);
      for (const Module* m : mods)
        for (auto& d : m->ast.decls) {
          if (d->kind != ast::DeclKind::Server) continue;
          for (auto& p : d->as<ast::StepDecl>().params)
            if (p.name.name == "model" && assignable(modelType, prog.paramType(p)))
              fits.push_back({d.get(), m});
        }
      if (fits.size() == 1) {
        cb.server = fits[0].first;
        cb.serverModule = fits[0].second;
      } else {
        auto& d = sink.report(DiagCode::NoServer, e.range,
                              fits.empty() ? "no server in scope accepts `" + modelType.str() + "`"
                                           : "several servers accept `" + modelType.str() + "`")
                      .withLabel("say which with `server = …`");
        for (auto& [s, m] : fits)
          d.secondary(s->name.range, "this server accepts it");
        if (fits.empty())
          d.note("import a module that declares one, e.g. `import \"std/sklearn\"`");
      }
    }
    want(4, Type::of(TypeKind::Bool), "`transform`'s join_source");
    // The predictions come back in the data's own format: CSV rows or JSON Lines objects.
    std::string format = arg(1) && !types[1].isError() ? types[1].format : "";
    if (format.empty()) format = "csv";
    if (format != "csv" && format != "jsonl") {
      sink.report(DiagCode::TypeMismatch, arg(1)->range,
                  "`transform` reads `Dataset<csv>` or `Dataset<jsonl>`, found `" + types[1].str() +
                      "`")
          .withLabel("not CSV or JSON Lines");
      format = "csv";
    }
    result = Type::withFormat(TypeKind::Dataset, format);
  } else if (name == "version") {
    want(0, Type::of(TypeKind::Int), "a version number");
    if (arg(0) && arg(0)->kind == ExprKind::Int && arg(0)->as<ast::NumberLit>().value < 1)
      sink.report(DiagCode::InvalidValue, arg(0)->range, "versions start at 1");
    result = Type::of(TypeKind::ModelVersion);
  } else if (name == "canary" || name == "linear") {
    want(0, Type::of(TypeKind::Percent), "the traffic share");
    want(1, Type::of(TypeKind::Duration), "`wait`");
    result = Type::of(TypeKind::Strategy);
  } else if (name == "all_at_once") {
    result = Type::of(TypeKind::Strategy);
  } else if (name == "serverless") {
    want(0, Type::of(TypeKind::Duration), "`idle`");
    want(1, Type::of(TypeKind::Int), "`max_concurrency`");
    if (arg(1) && arg(1)->kind == ExprKind::Int && arg(1)->as<ast::NumberLit>().value < 1)
      sink.report(DiagCode::InvalidValue, arg(1)->range, "`max_concurrency` is at least 1");
    result = Type::of(TypeKind::Mode);
  } else if (name == "async") {
    want(0, Type::of(TypeKind::Int), "`queue`");
    result = Type::of(TypeKind::Mode);
  }
  prog.calls[&e] = std::move(cb);
  return result;
}

Type Checker::checkBinary(const ast::BinaryExpr& e) {
  Type l = check(*e.lhs);
  Type r = check(*e.rhs);
  if (l.isError() || r.isError()) return record(Type::error(), e, {});
  using ast::BinaryOp;
  std::string op = ast::spelling(e.op);
  auto bad = [&](const std::string& msg) {
    sink.report(DiagCode::InvalidOperand, e.opRange, msg)
        .withLabel("`" + l.str() + "` " + op + " `" + r.str() + "`")
        .secondary(e.lhs->range, "`" + l.str() + "`")
        .secondary(e.rhs->range, "`" + r.str() + "`");
    return record(Type::error(), e, {});
  };
  auto unitClash = [&]() {
    const ast::Expr& odd = l.isUnit() ? *e.rhs : *e.lhs;
    const Type& oddT = l.isUnit() ? r : l;
    const Type& unitT = l.isUnit() ? l : r;
    sink.report(DiagCode::UnitMismatch, odd.range,
                "cannot use `" + op + "` on " + unitName(l) + " and " + unitName(r))
        .withLabel("this is " + unitName(oddT))
        .secondary(l.isUnit() ? e.lhs->range : e.rhs->range, "this is " + unitName(unitT))
        .note("durations, sizes and percents compare and combine only with their own kind");
    return record(Type::error(), e, {});
  };
  switch (e.op) {
  case BinaryOp::And:
  case BinaryOp::Or:
    if (l.kind != TypeKind::Bool || r.kind != TypeKind::Bool)
      return bad("`" + op + "` needs two bools");
    return record(Type::of(TypeKind::Bool), e, {});
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge:
  case BinaryOp::Eq:
  case BinaryOp::Ne: {
    bool eq = e.op == BinaryOp::Eq || e.op == BinaryOp::Ne;
    if (l.isNumeric() && r.isNumeric()) return record(Type::of(TypeKind::Bool), e, {});
    if (l.isUnit() || r.isUnit()) {
      if (l.kind == r.kind) return record(Type::of(TypeKind::Bool), e, {});
      return unitClash();
    }
    if (eq && l.kind == r.kind && (l.kind == TypeKind::String || l.kind == TypeKind::Bool))
      return record(Type::of(TypeKind::Bool), e, {});
    return bad("cannot compare `" + l.str() + "` with `" + r.str() + "`");
  }
  case BinaryOp::Add:
  case BinaryOp::Sub:
    if (l.isNumeric() && r.isNumeric())
      return record(Type::of(l.kind == TypeKind::Int && r.kind == TypeKind::Int ? TypeKind::Int
                                                                                : TypeKind::Float),
                    e, {});
    if (l.isUnit() || r.isUnit()) {
      if (l.kind == r.kind) return record(l, e, {});
      return unitClash();
    }
    if (e.op == BinaryOp::Add && l.kind == TypeKind::String && r.kind == TypeKind::String)
      return record(l, e, {});
    return bad("cannot use `" + op + "` on `" + l.str() + "` and `" + r.str() + "`");
  case BinaryOp::Mul:
  case BinaryOp::Div:
    if (l.isNumeric() && r.isNumeric())
      return record(
          Type::of(e.op == BinaryOp::Mul && l.kind == TypeKind::Int && r.kind == TypeKind::Int
                       ? TypeKind::Int
                       : TypeKind::Float),
          e, {});
    if (l.isUnit() && r.isNumeric()) return record(l, e, {});
    if (e.op == BinaryOp::Mul && l.isNumeric() && r.isUnit()) return record(r, e, {});
    if (e.op == BinaryOp::Div && l.isUnit() && l.kind == r.kind)
      return record(Type::of(TypeKind::Float), e, {});
    if (l.isUnit() || r.isUnit()) return unitClash();
    return bad("cannot use `" + op + "` on `" + l.str() + "` and `" + r.str() + "`");
  }
  return record(Type::error(), e, {});
}

} // namespace mlpc::sema
