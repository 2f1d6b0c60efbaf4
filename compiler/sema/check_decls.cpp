// Types written in the source, data declarations, and the properties of steps and servers.
#include "sema/checker.h"

#include "plan/property_rules.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace mlpc::sema {

namespace {
const std::vector<std::string> kTypeNames = {"int",     "float",   "bool",   "string", "duration",
                                             "size",    "percent", "list",   "File",   "Dir",
                                             "Dataset", "Model",   "Metrics"};
const std::vector<std::string> kDatasetFormats = {"csv", "tsv", "jsonl", "parquet"};
} // namespace

Type Checker::resolveType(const ast::TypeExpr& t, const Module& m) {
  const std::string& n = t.name.name;
  if (n.empty()) {
    // `{a: float}` without a name: a nested record, which only a Metrics field may hold (its
    // resolution is in resolveMetricsFields). Elsewhere the name is missing after a parse error.
    if (t.hasFields)
      sink.report(DiagCode::UnknownType, t.range,
                  "a record type `{…}` stands only inside `Metrics`")
          .withLabel("not a type here")
          .note("nested metrics are declared as `Metrics{regression: {mse: float}}`");
    return Type::error();
  }
  auto noArgs = [&](Type ty) {
    if (!t.args.empty() || t.hasFields) {
      sink.report(DiagCode::UnknownType, t.range, "type `" + n + "` takes no arguments")
          .withLabel("remove the arguments");
      return Type::error();
    }
    return ty;
  };
  static const std::pair<const char*, TypeKind> scalars[] = {
      {"int", TypeKind::Int},         {"float", TypeKind::Float},       {"bool", TypeKind::Bool},
      {"string", TypeKind::String},   {"duration", TypeKind::Duration}, {"size", TypeKind::Size},
      {"percent", TypeKind::Percent}, {"File", TypeKind::File},         {"Dir", TypeKind::Dir}};
  for (auto& [name, kind] : scalars)
    if (n == name) return noArgs(Type::of(kind));
  if (n == "list") {
    if (t.args.size() != 1) {
      sink.report(DiagCode::UnknownType, t.range, "`list` takes one element type")
          .withLabel("write `list<T>`");
      return Type::error();
    }
    return Type::list(resolveType(t.args[0], m));
  }
  if (n == "Dataset" || n == "Model") {
    if (t.hasFields || t.args.size() > 1) {
      sink.report(DiagCode::UnknownType, t.range, "`" + n + "` takes at most one format")
          .withLabel("write `" + n + "<format>`");
      return Type::error();
    }
    TypeKind kind = n == "Dataset" ? TypeKind::Dataset : TypeKind::Model;
    if (t.args.empty()) return Type::of(kind);
    const ast::TypeExpr& a = t.args[0];
    if (!a.args.empty() || a.hasFields) {
      sink.report(DiagCode::UnknownType, a.range, "a format is a plain name");
      return Type::error();
    }
    if (kind == TypeKind::Dataset && std::find(kDatasetFormats.begin(), kDatasetFormats.end(),
                                               a.name.name) == kDatasetFormats.end()) {
      auto& d = sink.report(DiagCode::UnknownType, a.range,
                            "unknown dataset format `" + a.name.name + "`")
                    .withLabel("not a dataset format")
                    .note("dataset formats are csv, tsv, jsonl and parquet");
      std::string near = closestName(a.name.name, kDatasetFormats);
      if (!near.empty()) d.note("did you mean `" + near + "`?");
      return Type::error();
    }
    return Type::withFormat(kind, a.name.name);
  }
  if (n == "Metrics") {
    if (!t.args.empty()) {
      sink.report(DiagCode::UnknownType, t.range, "`Metrics` declares fields with braces")
          .withLabel("write `Metrics{auc: float}`");
      return Type::error();
    }
    if (!t.hasFields) return Type::of(TypeKind::Metrics);
    return resolveMetricsFields(t, m);
  }
  auto& d = sink.report(DiagCode::UnknownType, t.name.range, "unknown type `" + n + "`")
                .withLabel("not a type");
  std::string near = closestName(n, kTypeNames);
  if (!near.empty()) d.note("did you mean `" + near + "`?");
  return Type::error();
}

/// The fields of `Metrics{…}` or of a nested record `{…}` inside it: each a scalar or, for
/// metrics reports such as SageMaker's evaluation JSON, a nested record of the same kind
/// (`Metrics{regression: {mse: {value: float}}}`, read as `eval.regression.mse.value`).
Type Checker::resolveMetricsFields(const ast::TypeExpr& t, const Module& m) {
  std::vector<Field> fields;
  for (auto& f : t.fields) {
    for (auto& prev : fields)
      if (prev.name == f.name.name)
        sink.report(DiagCode::DuplicateName, f.name.range,
                    "field `" + f.name.name + "` is declared twice");
    bool nested = f.type.name.name.empty() && f.type.hasFields;
    Type ft = nested ? resolveMetricsFields(f.type, m) : resolveType(f.type, m);
    bool ok = ft.isError() || ft.isNumeric() || ft.kind == TypeKind::Bool ||
              ft.kind == TypeKind::String || ft.isUnit() ||
              (ft.kind == TypeKind::Metrics && ft.fields);
    if (!ok)
      sink.report(DiagCode::TypeMismatch, f.type.range,
                  "a Metrics field holds a scalar or a nested record, not `" + ft.str() + "`")
          .note("declare nested fields with braces: `" + f.name.name + ": {value: float}`");
    fields.push_back({f.name.name, ft});
  }
  return Type::record(TypeKind::Metrics, std::move(fields));
}

namespace {
/// `file(…)` or `dir(…)`: the source of a `data` declaration or a pipeline parameter's default.
bool isDataSourceCall(const ast::Expr& e) {
  if (e.kind != ast::ExprKind::Call) return false;
  auto& callee = *e.as<ast::CallExpr>().callee;
  if (callee.kind != ast::ExprKind::Name) return false;
  const std::string& fn = callee.as<ast::NameExpr>().name;
  return fn == "file" || fn == "dir";
}
} // namespace

void Checker::checkParams(const std::vector<ast::Param>& ps, const Module& m, bool outputs,
                          bool pipeline) {
  std::map<std::string, const ast::Param*> seen;
  for (auto& p : ps) {
    Type t = resolveType(p.type, m);
    prog.paramTypes[&p] = t;
    if (auto [it, ok] = seen.emplace(p.name.name, &p); !ok)
      sink.report(DiagCode::DuplicateName, p.name.range,
                  "`" + p.name.name + "` is declared more than once")
          .withLabel("redeclared here")
          .secondary(it->second->name.range, "first declared here");
    if (outputs && !t.isError() && !t.isArtifact())
      sink.report(DiagCode::TypeMismatch, p.type.range,
                  "output `" + p.name.name + "` must be an artifact type, found `" + t.str() + "`")
          .withLabel("not a File, Dir, Dataset, Model or Metrics")
          .note("steps pass values between each other as files");
    if (p.defaultValue && isDataSourceCall(*p.defaultValue)) {
      module = &m;
      if (!pipeline || (!t.isArtifact() && !t.isError()))
        sink.report(DiagCode::InvalidValue, p.defaultValue->range,
                    pipeline ? "`" + p.name.name + "` is `" + t.str() +
                                   "`, so its default cannot be a file or directory"
                             : std::string("a step parameter cannot default to a file or "
                                           "directory"))
            .withLabel("not a " + (pipeline ? t.str() : std::string("literal")))
            .note(pipeline ? "only a parameter of an artifact type (File, Dir, Dataset, Model) "
                             "is bound to a path whose bytes are hashed"
                           : "declare `data NAME: TYPE = file(\"…\")` and pass it, or make it "
                             "a pipeline parameter");
      else
        checkDataSource(*p.defaultValue, t, p.name.name);
    } else if (p.defaultValue) {
      module = &m;
      Type dt = check(*p.defaultValue);
      if (!isConstant(*p.defaultValue))
        sink.report(DiagCode::InvalidValue, p.defaultValue->range,
                    "a default value must be a literal")
            .withLabel("not a literal");
      else
        expectType(*p.defaultValue, dt, t, "the default of `" + p.name.name + "`");
    }
  }
}

bool Checker::checkDataSource(const ast::Expr& init, const Type& t, const std::string& name) {
  bool ok = false;
  if (init.kind == ast::ExprKind::Call) {
    auto& c = init.as<ast::CallExpr>();
    if (c.callee->kind == ast::ExprKind::Name) {
      const std::string& fn = c.callee->as<ast::NameExpr>().name;
      if (fn == "file" || fn == "dir") {
        ok = true;
        Resolution r;
        r.kind = RefKind::Builtin;
        r.name = fn;
        prog.setResolution(c.callee.get(), r);
        if (c.args.size() != 1 || c.args[0].named ||
            c.args[0].value->kind != ast::ExprKind::String ||
            !c.args[0].value->as<ast::StringLit>().isPlain()) {
          sink.report(DiagCode::InvalidValue, c.range, "`" + fn + "` takes one path string")
              .withLabel("write " + fn + "(\"path\")");
        } else if (fn == "dir" && t.kind != TypeKind::Dir && !t.isError() &&
                   t.kind != TypeKind::Dataset) {
          sink.report(DiagCode::TypeMismatch, c.range,
                      "`dir(…)` gives a directory, but `" + name + "` is `" + t.str() + "`")
              .withLabel("a directory");
        } else if (fn == "file" && t.kind == TypeKind::Dir) {
          sink.report(DiagCode::TypeMismatch, c.range,
                      "`" + name + "` is a `Dir`, so its source is `dir(\"…\")`")
              .withLabel("a single file")
              .fix(c.callee->range, "dir");
        }
        CallBinding cb;
        cb.builtin = fn;
        prog.calls[&c] = cb;
        prog.setType(&init, Type::of(TypeKind::DataSource));
      }
    }
  }
  return ok;
}

void Checker::checkData(const ast::DataDecl& d, const Module& m) {
  Type t = prog.dataTypes[&d];
  if (!t.isError() && !t.isArtifact()) {
    sink.report(DiagCode::TypeMismatch, d.type.range,
                "data `" + d.name.name + "` must have an artifact type, found `" + t.str() + "`");
    return;
  }
  const ast::Expr& init = *d.init;
  bool ok = checkDataSource(init, t, d.name.name);
  if (!ok)
    sink.report(DiagCode::InvalidValue, init.range, "data comes from `file(\"…\")` or `dir(\"…\")`")
        .withLabel("not a data source");
  (void)m;
}

void Checker::checkStepLike(const ast::StepDecl& d, const Module& m) {
  module = &m;
  step = &d;
  bool isServer = d.kind == ast::DeclKind::Server;
  auto props = properties(d, d.props, propertyNames(d.kind));
  for (auto& o : d.outputs)
    for (auto& p : d.params)
      if (!d.unnamedOutput && o.name.name == p.name.name)
        sink.report(DiagCode::DuplicateName, o.name.range,
                    "`" + o.name.name + "` is both a parameter and an output")
            .withLabel("output named like a parameter")
            .secondary(p.name.range, "parameter declared here")
            .note("`${" + o.name.name + "}` in `run` could mean either");
  if (!props.count("run"))
    sink.report(DiagCode::MissingProperty, d.name.range,
                std::string(isServer ? "server" : "step") + " `" + d.name.name + "` has no `run`")
        .withLabel("needs a `run = \"command\"` property");
  if (isServer) {
    bool hasModel = false;
    for (auto& p : d.params)
      if (p.name.name == "model" && prog.paramType(p).kind == TypeKind::Model) hasModel = true;
    if (!hasModel)
      sink.report(DiagCode::InvalidValue, d.name.range,
                  "server `" + d.name.name + "` must take a `model: Model<…>` parameter")
          .withLabel("the runtime passes the model version to serve here");
    for (const char* p : {"health", "invoke"})
      if (!props.count(p))
        sink.report(DiagCode::MissingProperty, d.name.range,
                    "server `" + d.name.name + "` has no `" + p + "` path")
            .withLabel(std::string("needs `") + p + " = \"/path\"`");
  }
  checkCommandProps(d, m);
  checkLocalFiles(d, m, props.count("run") ? props["run"] : nullptr,
                  props.count("code") ? props["code"] : nullptr);
  // A parameter that no property mentions cannot influence the command.
  for (size_t i = 0; i < d.params.size() && !hasErrorWithin(d.range); ++i) {
    const auto& p = d.params[i];
    if (isServer && p.name.name == "model") continue;
    if (!usedParams.count({&d, i}) && p.name.name.rfind('_', 0) != 0)
      sink.report(DiagCode::UnusedName, p.name.range,
                  "parameter `" + p.name.name + "` is never used")
          .withLabel("not mentioned in `run` or any other property")
          .note("prefix it with `_` to silence this warning");
  }
  step = nullptr;
}

void Checker::checkCommandProps(const ast::StepDecl& d, const Module&) {
  const Type str = Type::of(TypeKind::String);
  for (auto& p : d.props) {
    const std::string& n = p.name.name;
    Type t = check(*p.value);
    if (n == "run" || n == "image" || n == "health" || n == "invoke") {
      expectType(*p.value, t, str, "`" + n + "`");
      if ((n == "health" || n == "invoke") && p.value->kind == ast::ExprKind::String) {
        auto& s = p.value->as<ast::StringLit>();
        if (s.isPlain() && s.plainText().rfind('/', 0) != 0)
          sink.report(DiagCode::InvalidValue, p.value->range,
                      "`" + n + "` is a URL path and must start with `/`");
      }
    } else if (n == "code") {
      if (!assignable(t, Type::list(str)) && !assignable(t, str))
        expectType(*p.value, t, Type::list(str), "`code`");
    } else if (n == "timeout") {
      expectType(*p.value, t, Type::of(TypeKind::Duration), "`timeout`");
    } else if (n == "cache") {
      if (t.kind != TypeKind::Bool && t.kind != TypeKind::Duration && !t.isError())
        sink.report(DiagCode::TypeMismatch, p.value->range,
                    "`cache` is `true`, `false` or a duration, found `" + t.str() + "`")
            .withLabel("expected bool or duration");
    } else if (n == "env") {
      if (t.kind != TypeKind::Record) {
        expectType(*p.value, t, Type::record(TypeKind::Record, {}), "`env`");
      } else {
        for (auto& f : p.value->as<ast::RecordExpr>().fields)
          expectType(*f.value, prog.typeOf(f.value.get()), str,
                     "environment variable `" + f.name.name + "`");
      }
    } else if (n == "resources" || n == "retry") {
      if (t.kind != TypeKind::Record || p.value->kind != ast::ExprKind::Record) {
        expectType(*p.value, t, Type::record(TypeKind::Record, {}), "`" + n + "`");
        continue;
      }
      // As a step's (a server's `retry` is reported as unknown, and its fields checked all the
      // same).
      const std::vector<RecordField>& fields = *propertyFields(ast::DeclKind::Step, n);
      std::vector<std::string> names;
      for (auto& f : fields)
        names.push_back(f.name);
      for (auto& f : p.value->as<ast::RecordExpr>().fields) {
        auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const RecordField& x) { return x.name == f.name.name; });
        if (it == fields.end()) {
          auto& diag = sink.report(DiagCode::UnknownProperty, f.name.range,
                                   "unknown field `" + f.name.name + "` in `" + n + "`")
                           .withLabel("not a " + n + " field");
          std::string near = closestName(f.name.name, names);
          if (!near.empty()) diag.note("did you mean `" + near + "`?");
          diag.note("the fields are " + fieldList(fields));
          continue;
        }
        Type ft = prog.typeOf(f.value.get());
        expectType(*f.value, ft, Type::of(it->type), "`" + n + "." + f.name.name + "`");
        checkPropertyRange(n + "." + f.name.name, *f.value);
      }
    } else {
      continue;
    }
    if (n == "timeout" || n == "cache") checkPropertyRange(n, *p.value);
  }
}

std::optional<double> constantNumber(const ast::Expr& e) {
  switch (e.kind) {
  case ast::ExprKind::Int:
  case ast::ExprKind::Float:
  case ast::ExprKind::Duration:
  case ast::ExprKind::Size:
  case ast::ExprKind::Percent:
    return e.as<ast::NumberLit>().value;
  case ast::ExprKind::Unary: {
    auto& u = e.as<ast::UnaryExpr>();
    if (u.op != ast::UnaryOp::Neg) return std::nullopt;
    auto v = constantNumber(*u.operand);
    return v ? std::optional<double>(-*v) : std::nullopt;
  }
  case ast::ExprKind::Binary: {
    auto& b = e.as<ast::BinaryExpr>();
    auto l = constantNumber(*b.lhs);
    auto r = l ? constantNumber(*b.rhs) : std::nullopt;
    if (!r) return std::nullopt;
    std::string op = ast::spelling(b.op);
    if (op == "+") return *l + *r;
    if (op == "-") return *l - *r;
    if (op == "*") return *l * *r;
    if (op == "/" && *r != 0) return *l / *r;
    return std::nullopt;
  }
  default:
    return std::nullopt;
  }
}

void Checker::checkPropertyRange(const std::string& name, const ast::Expr& value) {
  // Values that depend on parameters are checked per call when the step runs (the same table).
  auto v = constantNumber(value);
  if (!v || hasErrorWithin(value.range)) return;
  auto why = plan::propertyRangeError(name, *v);
  if (!why) return;
  auto& d = sink.report(DiagCode::PropertyOutOfRange, value.range, "`" + name + "` " + *why)
                .withLabel("out of range");
  if (name == "cache") d.note("`cache = false` turns caching off; a duration is an expiry");
  if (name == "retry.attempts") d.note("`attempts` counts the first try");
}

const std::vector<Checker::ParamProperty>& Checker::paramPropertiesOf(const ast::StepDecl& d) {
  auto [it, fresh] = paramProperties.try_emplace(&d);
  if (!fresh) return it->second;
  // Every numeric property value, by its name in the range table.
  std::vector<std::pair<std::string, const ast::Expr*>> values;
  for (auto& p : d.props) {
    const std::string& n = p.name.name;
    if (n == "timeout" || n == "cache") values.push_back({n, p.value.get()});
    if ((n == "resources" || n == "retry") && p.value->kind == ast::ExprKind::Record)
      for (auto& f : p.value->as<ast::RecordExpr>().fields)
        values.push_back({n + "." + f.name.name, f.value.get()});
  }
  for (auto& [name, v] : values) {
    const Resolution* r = prog.resolution(v);
    if (r && r->kind == RefKind::StepParam && r->decl == &d && r->index < d.params.size())
      it->second.push_back({name, v, r->index});
  }
  return it->second;
}

void Checker::checkCallPropertyRanges(const ast::CallExpr& call) {
  const CallBinding* cb = prog.call(&call);
  if (!cb || !cb->callee || cb->callee->kind != ast::DeclKind::Step) return;
  auto& d = cb->callee->as<ast::StepDecl>();
  for (auto& [name, v, index] : paramPropertiesOf(d)) {
    if (index >= cb->args.size()) continue;
    const ast::Param& param = d.params[index];
    const ast::Expr* given = cb->args[index];
    const ast::Expr* value = given ? given : param.defaultValue.get();
    if (!value || hasErrorWithin(value->range)) continue;
    auto n = constantNumber(*value);
    auto why = n ? plan::propertyRangeError(name, *n) : std::nullopt;
    if (!why) continue;
    std::string msg =
        "`" + name + "` of step `" + d.name.name + "` comes from `" + param.name.name + "`";
    if (given)
      sink.report(DiagCode::PropertyOutOfRange, given->range, msg + " and " + *why)
          .withLabel("out of range")
          .secondary(v->range, "`" + name + "` set from `" + param.name.name + "` here");
    else
      sink.report(DiagCode::PropertyOutOfRange, call.range, msg + ", whose default " + *why)
          .withLabel("`" + param.name.name + "` left at its default")
          .secondary(value->range, "the default")
          .note("pass `" + param.name.name + " = …` in range, or change the default");
  }
}

namespace {
bool looksLikeScript(const std::string& w) {
  static const char* exts[] = {".py", ".sh", ".R", ".r", ".jl", ".pl", ".rb", ".js", ".bash"};
  if (w.find('/') != std::string::npos) return true;
  for (const char* e : exts) {
    size_t n = std::strlen(e);
    if (w.size() > n && w.compare(w.size() - n, n, e) == 0) return true;
  }
  return false;
}
std::string normalise(const std::string& p) {
  return fs::path(p).lexically_normal().string();
}
} // namespace

void Checker::checkLocalFiles(const ast::StepDecl& d, const Module& m, const ast::Property* run,
                              const ast::Property* code) {
  if (!opts.checkFiles) return;
  std::set<std::string> listed;
  auto addCode = [&](const ast::Expr& e) {
    if (e.kind != ast::ExprKind::String) return;
    auto& s = e.as<ast::StringLit>();
    if (!s.isPlain()) {
      sink.report(DiagCode::InvalidValue, e.range, "a `code` path cannot interpolate")
          .withLabel("code files are fixed when the program is checked");
      return;
    }
    std::string path = s.plainText();
    listed.insert(normalise(path));
    std::error_code ec;
    fs::path full = fs::path(m.dir) / path;
    if (!fs::exists(full, ec))
      sink.report(DiagCode::CodeFileNotFound, e.range, "code file `" + path + "` not found")
          .withLabel("no such file next to " + fs::path(m.displayPath).filename().string())
          .note("`code` paths are relative to the directory of the file that declares the step");
  };
  if (code) {
    if (code->value->kind == ast::ExprKind::List)
      for (auto& e : code->value->as<ast::ListExpr>().elems)
        addCode(*e);
    else
      addCode(*code->value);
  }
  if (!run || run->value->kind != ast::ExprKind::String) return;
  for (auto& part : run->value->as<ast::StringLit>().parts) {
    if (part.expr) continue;
    const std::string& text = part.text;
    bool exact = part.range.end - part.range.begin == text.size();
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && std::string(" \t\n;&|()<>").find(text[i]) != std::string::npos)
        ++i;
      size_t j = i;
      while (j < text.size() && std::string(" \t\n;&|()<>").find(text[j]) == std::string::npos)
        ++j;
      std::string word = text.substr(i, j - i);
      if (!word.empty() && word[0] != '-' && word[0] != '/' && word[0] != '$' &&
          looksLikeScript(word)) {
        std::error_code ec;
        fs::path full = fs::path(m.dir) / word;
        if (fs::is_regular_file(full, ec) && !listed.count(normalise(word))) {
          SourceRange r = exact ? SourceRange{part.range.file, part.range.begin + (uint32_t)i,
                                              part.range.begin + (uint32_t)j}
                                : part.range;
          sink.report(DiagCode::UncachedLocalFile, r,
                      "`run` executes `" + word + "`, which `code` does not list")
              .withLabel("a local file")
              .note("changes to it would not invalidate cached results of `" + d.name.name + "`")
              .note("add it: code = [\"" + word + "\"]");
        }
      }
      i = j;
    }
  }
}

} // namespace mlpc::sema
