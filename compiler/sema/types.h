#pragma once
/// The types of language.md: scalars, unit kinds, lists, the artifact family (File ⊇ Dataset,
/// Model, Metrics; Dir apart), records, and the non-value kinds that names can denote (steps,
/// model groups, ...). Types are small values; children are shared and immutable.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace mlpc::ast {
struct Decl;
}

namespace mlpc::sema {

enum class TypeKind {
  Error, ///< poison: assignable both ways, so one mistake is reported once
  Int,
  Float,
  Bool,
  String,
  Duration,
  Size,
  Percent,
  List,
  File,
  Dir,
  Dataset,
  Model,
  Metrics,
  Record,
  // What a name can denote that is not a value:
  Step,
  Server,
  Pipeline,
  ModelGroup,
  ModelVersion, ///< G.approved, G.latest, G.version(N)
  Endpoint,
  Monitor,
  Schedule,
  Module,
  Builtin,
  Strategy,    ///< all_at_once() | canary(…) | linear(…)
  Mode,        ///< realtime | serverless(…) | async(…)
  Approval,    ///< manual | auto
  Baseline,    ///< training_data
  PipelineRun, ///< train_churn(threshold = 0.85) in on_alert / schedule
  DataSource,  ///< file("…") | dir("…")
};

struct Type;
using TypePtr = std::shared_ptr<const Type>;

struct Field;

struct Type {
  TypeKind kind = TypeKind::Error;
  std::string format; ///< Dataset<csv>, Model<sklearn>; empty when unconstrained
  TypePtr elem;       ///< list element
  std::shared_ptr<const std::vector<Field>> fields; ///< Metrics{…} and records
  const ast::Decl* decl = nullptr; ///< for Step, Server, Pipeline, ModelGroup, ... references
  std::string name;                ///< Builtin name, Module path

  static Type error() { return {}; }
  static Type of(TypeKind k) {
    Type t;
    t.kind = k;
    return t;
  }
  static Type list(Type elem);
  static Type withFormat(TypeKind k, std::string format);
  static Type record(TypeKind k, std::vector<Field> fields);
  static Type ref(TypeKind k, const ast::Decl* d);

  bool isError() const { return kind == TypeKind::Error; }
  bool isNumeric() const { return kind == TypeKind::Int || kind == TypeKind::Float; }
  bool isUnit() const {
    return kind == TypeKind::Duration || kind == TypeKind::Size || kind == TypeKind::Percent;
  }
  bool isArtifact() const {
    return kind == TypeKind::File || kind == TypeKind::Dir || kind == TypeKind::Dataset ||
           kind == TypeKind::Model || kind == TypeKind::Metrics;
  }
  /// A value that can flow through a pipeline and into a command.
  bool isValue() const { return kind <= TypeKind::Record; }
  const Field* field(const std::string& n) const;
  std::string str() const;
};

struct Field {
  std::string name;
  Type type;
};

/// `a` may be used where `b` is expected (int widens to float, every artifact is a File, …).
bool assignable(const Type& a, const Type& b);
/// The least type both fit into, for list literals; Error when there is none.
Type join(const Type& a, const Type& b);
/// The kind of unit for messages: "duration", "size", "percent", or the type's name.
std::string unitName(const Type& t);

/// Types held once each and named by a small index. The checker gives every expression a type,
/// and nearly all of them are a handful of distinct ones (int, File, a reference to one step); a
/// 112-byte `Type` copied into each entry of a per-expression table was most of `check`'s memory
/// on large programs, and the kernel clearing those pages most of the checker's time.
class TypeStore {
public:
  TypeStore();
  /// The index of `t`: the same index for equal types without children (a plain kind, a format,
  /// a reference to a declaration); a new one for lists and records.
  uint32_t add(const Type& t);
  /// Stays valid for the store's lifetime (a deque never moves what it holds).
  const Type& operator[](uint32_t i) const { return types_[i]; }

private:
  std::deque<Type> types_;
  std::map<std::tuple<TypeKind, const ast::Decl*, std::string, std::string>, uint32_t> shared_;
};

} // namespace mlpc::sema
