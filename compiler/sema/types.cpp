#include "sema/types.h"

namespace mlpc::sema {

Type Type::list(Type elem) {
  Type t = of(TypeKind::List);
  t.elem = std::make_shared<const Type>(std::move(elem));
  return t;
}

Type Type::withFormat(TypeKind k, std::string format) {
  Type t = of(k);
  t.format = std::move(format);
  return t;
}

Type Type::record(TypeKind k, std::vector<Field> fields) {
  Type t = of(k);
  t.fields = std::make_shared<const std::vector<Field>>(std::move(fields));
  return t;
}

Type Type::ref(TypeKind k, const ast::Decl* d) {
  Type t = of(k);
  t.decl = d;
  return t;
}

TypeStore::TypeStore() {
  // A plain kind's index is the kind itself.
  for (int k = 0; k <= static_cast<int>(TypeKind::DataSource); ++k)
    types_.push_back(Type::of(static_cast<TypeKind>(k)));
}

uint32_t TypeStore::add(const Type& t) {
  if (t.elem || t.fields) {
    types_.push_back(t);
    return static_cast<uint32_t>(types_.size() - 1);
  }
  if (!t.decl && t.format.empty() && t.name.empty()) return static_cast<uint32_t>(t.kind);
  auto [it, added] =
      shared_.try_emplace({t.kind, t.decl, t.format, t.name}, static_cast<uint32_t>(types_.size()));
  if (added) types_.push_back(t);
  return it->second;
}

const Field* Type::field(const std::string& n) const {
  if (!fields) return nullptr;
  for (const Field& f : *fields)
    if (f.name == n) return &f;
  return nullptr;
}

namespace {
std::string fieldsStr(const std::vector<Field>& fs) {
  std::string s = "{";
  for (size_t i = 0; i < fs.size(); ++i)
    s += (i ? ", " : "") + fs[i].name + ": " +
         // a nested record of a Metrics type is written `{…}`, as in the source
         (fs[i].type.kind == TypeKind::Metrics && fs[i].type.fields ? fieldsStr(*fs[i].type.fields)
                                                                    : fs[i].type.str());
  return s + "}";
}
} // namespace

std::string Type::str() const {
  switch (kind) {
  case TypeKind::Error:
    return "{error}";
  case TypeKind::Int:
    return "int";
  case TypeKind::Float:
    return "float";
  case TypeKind::Bool:
    return "bool";
  case TypeKind::String:
    return "string";
  case TypeKind::Duration:
    return "duration";
  case TypeKind::Size:
    return "size";
  case TypeKind::Percent:
    return "percent";
  case TypeKind::List:
    return "list<" + (elem ? elem->str() : "?") + ">";
  case TypeKind::File:
    return "File";
  case TypeKind::Dir:
    return "Dir";
  case TypeKind::Dataset:
    return format.empty() ? "Dataset" : "Dataset<" + format + ">";
  case TypeKind::Model:
    return format.empty() ? "Model" : "Model<" + format + ">";
  case TypeKind::Metrics:
    return fields ? "Metrics" + fieldsStr(*fields) : "Metrics";
  case TypeKind::Record:
    return fields ? fieldsStr(*fields) : "{}";
  case TypeKind::Step:
    return "step";
  case TypeKind::Server:
    return "server";
  case TypeKind::Pipeline:
    return "pipeline";
  case TypeKind::ModelGroup:
    return "model group";
  case TypeKind::ModelVersion:
    return "model version";
  case TypeKind::Endpoint:
    return "endpoint";
  case TypeKind::Monitor:
    return "monitor";
  case TypeKind::Schedule:
    return "schedule";
  case TypeKind::Module:
    return "module";
  case TypeKind::Builtin:
    return "builtin `" + name + "`";
  case TypeKind::Strategy:
    return "deployment strategy";
  case TypeKind::Mode:
    return "endpoint mode";
  case TypeKind::Approval:
    return "approval (manual | auto)";
  case TypeKind::Baseline:
    return "baseline";
  case TypeKind::PipelineRun:
    return "pipeline run";
  case TypeKind::DataSource:
    return "data source";
  }
  return "?";
}

bool assignable(const Type& a, const Type& b) {
  if (a.isError() || b.isError()) return true;
  if (a.kind == TypeKind::Int && b.kind == TypeKind::Float) return true;
  if (b.kind == TypeKind::File) return a.isArtifact() && a.kind != TypeKind::Dir;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
  case TypeKind::List:
    return assignable(*a.elem, *b.elem);
  case TypeKind::Dataset:
  case TypeKind::Model:
    return b.format.empty() || a.format == b.format;
  case TypeKind::Metrics:
  case TypeKind::Record:
    if (!b.fields) return true;
    if (!a.fields) return b.fields->empty();
    for (const Field& want : *b.fields) {
      const Field* have = a.field(want.name);
      if (!have || !assignable(have->type, want.type)) return false;
    }
    return true;
  case TypeKind::Step:
  case TypeKind::Server:
  case TypeKind::Pipeline:
  case TypeKind::ModelGroup:
  case TypeKind::Endpoint:
  case TypeKind::Monitor:
  case TypeKind::Schedule:
    return b.decl == nullptr || a.decl == b.decl;
  default:
    return true;
  }
}

Type join(const Type& a, const Type& b) {
  if (a.isError()) return b;
  if (b.isError()) return a;
  if (assignable(a, b)) return b;
  if (assignable(b, a)) return a;
  if (a.kind == b.kind && (a.kind == TypeKind::Dataset || a.kind == TypeKind::Model))
    return Type::of(a.kind);
  if (a.isArtifact() && b.isArtifact() && a.kind != TypeKind::Dir && b.kind != TypeKind::Dir)
    return Type::of(TypeKind::File);
  return Type::error();
}

std::string unitName(const Type& t) {
  switch (t.kind) {
  case TypeKind::Duration:
    return "a duration";
  case TypeKind::Size:
    return "a size";
  case TypeKind::Percent:
    return "a percent";
  case TypeKind::Int:
  case TypeKind::Float:
    return "a plain number";
  default:
    return "`" + t.str() + "`";
  }
}

} // namespace mlpc::sema
