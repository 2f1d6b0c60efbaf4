#pragma once
/// The syntax tree of one .mlp file, built by compiler/syntax from the ANTLR parse tree and owned
/// by us (no ANTLR types). Every node carries the source range it came from.
#include "source/source.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlpc::ast {

struct Ident {
  std::string name;
  SourceRange range;
};

/// `int`, `list<T>`, `Dataset<csv>`, `Metrics{auc: float}`: a name with optional arguments and
/// optional field types; sema gives it meaning.
struct TypeExpr {
  Ident name;
  std::vector<TypeExpr> args;
  struct Field;
  std::vector<Field> fields;
  bool hasFields = false;
  SourceRange range;
};
struct TypeExpr::Field {
  Ident name;
  TypeExpr type;
};

// ---- expressions -------------------------------------------------------------------------------

enum class ExprKind {
  Int,
  Float,
  Duration, ///< value in seconds
  Size,     ///< value in bytes
  Percent,  ///< value as written (`20%` is 20)
  Bool,
  String,
  Name,
  Member,
  Call,
  Index,
  Unary,
  Binary,
  List,
  Record,
  Error, ///< stands in for what a syntax error left behind; sema stays quiet about it
};

struct Expr {
  explicit Expr(ExprKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Expr() = default;
  ExprKind kind;
  SourceRange range;
  /// Where the checker (sema::Program) keeps this expression's type and resolution: indexes into
  /// the program's stores, kNoSlot until checked. Hash tables keyed by node, with a copy of the
  /// type in each entry, were most of `check`'s memory and time on large programs; the two slots
  /// add 8 bytes to a node (24 to 32).
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  mutable uint32_t typeSlot = kNoSlot;
  mutable uint32_t resolutionSlot = kNoSlot;
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
  template <class T> T& as() { return static_cast<T&>(*this); }
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLit : Expr { ///< Int, Float, Duration, Size, Percent
  NumberLit(ExprKind k, SourceRange r) : Expr(k, r) {}
  int64_t intValue = 0; ///< for Int and Size
  double value = 0;     ///< for every kind (Int too)
  // As written: the source's bytes at `range` (SourceManager::text); not kept here, as 200,000
  // copies of it were 6 MB of a large program's AST.
};

struct BoolLit : Expr {
  BoolLit(SourceRange r, bool v) : Expr(ExprKind::Bool, r), value(v) {}
  bool value;
};

/// A string with its `${…}` interpolations split out. Text parts hold the unescaped text.
struct StringPart {
  std::string text; ///< when expr is null
  ExprPtr expr;     ///< an interpolation, with ranges pointing into the string's source
  SourceRange range;
};
struct StringLit : Expr {
  explicit StringLit(SourceRange r) : Expr(ExprKind::String, r) {}
  std::vector<StringPart> parts;
  bool triple = false;
  bool isPlain() const { return parts.empty() || (parts.size() == 1 && !parts[0].expr); }
  std::string plainText() const {
    std::string s;
    for (auto& p : parts)
      s += p.text;
    return s;
  }
};

struct NameExpr : Expr {
  NameExpr(SourceRange r, std::string n) : Expr(ExprKind::Name, r), name(std::move(n)) {}
  std::string name;
};

struct MemberExpr : Expr {
  explicit MemberExpr(SourceRange r) : Expr(ExprKind::Member, r) {}
  ExprPtr object;
  Ident member;
};

struct Arg {
  bool named = false;
  Ident name;
  ExprPtr value;
  SourceRange range;
};
struct CallExpr : Expr {
  explicit CallExpr(SourceRange r) : Expr(ExprKind::Call, r) {}
  ExprPtr callee;
  std::vector<Arg> args;
};

struct IndexExpr : Expr {
  explicit IndexExpr(SourceRange r) : Expr(ExprKind::Index, r) {}
  ExprPtr object;
  ExprPtr index;
};

enum class UnaryOp { Neg, Not };
struct UnaryExpr : Expr {
  UnaryExpr(SourceRange r, UnaryOp o) : Expr(ExprKind::Unary, r), op(o) {}
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp { Mul, Div, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
const char* spelling(BinaryOp op);
struct BinaryExpr : Expr {
  BinaryExpr(SourceRange r, BinaryOp o) : Expr(ExprKind::Binary, r), op(o) {}
  BinaryOp op;
  ExprPtr lhs, rhs;
  SourceRange opRange;
};

struct ListExpr : Expr {
  explicit ListExpr(SourceRange r) : Expr(ExprKind::List, r) {}
  std::vector<ExprPtr> elems;
};

struct RecordField {
  Ident name;
  ExprPtr value;
};
struct RecordExpr : Expr {
  explicit RecordExpr(SourceRange r) : Expr(ExprKind::Record, r) {}
  std::vector<RecordField> fields;
};

struct ErrorExpr : Expr {
  explicit ErrorExpr(SourceRange r) : Expr(ExprKind::Error, r) {}
};

// ---- statements --------------------------------------------------------------------------------

enum class StmtKind { Assign, For, If, Register, Fail };

struct Stmt {
  Stmt(StmtKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Stmt() = default;
  StmtKind kind;
  SourceRange range;
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
};
using StmtPtr = std::unique_ptr<Stmt>;

struct Block {
  std::vector<StmtPtr> stmts;
  SourceRange range;
};

struct AssignStmt : Stmt {
  explicit AssignStmt(SourceRange r) : Stmt(StmtKind::Assign, r) {}
  Ident name;
  ExprPtr value;
};

struct ForStmt : Stmt {
  explicit ForStmt(SourceRange r) : Stmt(StmtKind::For, r) {}
  Ident var;
  ExprPtr iterable;
  Block body;
};

/// `else if` is an IfStmt alone in the else block.
struct IfStmt : Stmt {
  explicit IfStmt(SourceRange r) : Stmt(StmtKind::If, r) {}
  ExprPtr cond;
  Block then;
  bool hasElse = false;
  Block otherwise;
};

struct RegisterStmt : Stmt {
  explicit RegisterStmt(SourceRange r) : Stmt(StmtKind::Register, r) {}
  ExprPtr model;
  ExprPtr group;
  ExprPtr with; ///< may be null
};

struct FailStmt : Stmt {
  explicit FailStmt(SourceRange r) : Stmt(StmtKind::Fail, r) {}
  ExprPtr message;
};

// ---- declarations ------------------------------------------------------------------------------

enum class DeclKind { Import, Data, Step, Server, Pipeline, Model, Endpoint, Monitor, Schedule };
const char* keyword(DeclKind k);

struct Param {
  Ident name;
  TypeExpr type;
  ExprPtr defaultValue; ///< may be null
  SourceRange range;
};

struct Property {
  Ident name;
  ExprPtr value;
  SourceRange range;
};

struct Decl {
  Decl(DeclKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Decl() = default;
  DeclKind kind;
  SourceRange range;
  Ident name; ///< for an import: the bound alias (explicit or the file's stem)
  template <class T> const T& as() const { return static_cast<const T&>(*this); }
};
using DeclPtr = std::unique_ptr<Decl>;

struct ImportDecl : Decl {
  explicit ImportDecl(SourceRange r) : Decl(DeclKind::Import, r) {}
  std::string path;
  SourceRange pathRange;
  bool hasAlias = false;
};

struct DataDecl : Decl {
  explicit DataDecl(SourceRange r) : Decl(DeclKind::Data, r) {}
  TypeExpr type;
  ExprPtr init;
};

/// step and server declarations.
struct StepDecl : Decl {
  StepDecl(DeclKind k, SourceRange r) : Decl(k, r) {}
  std::vector<Param> params;
  std::vector<Param> outputs;
  bool unnamedOutput = false; ///< `-> Type` rather than `-> (name: Type)`; the output is `out`
  std::vector<Property> props;
  SourceRange signatureRange; ///< from the name to the end of the outputs
};

struct PipelineDecl : Decl {
  explicit PipelineDecl(SourceRange r) : Decl(DeclKind::Pipeline, r) {}
  std::vector<Param> params;
  Block body;
};

/// model, endpoint, monitor and schedule: a name and properties.
struct PolicyDecl : Decl {
  PolicyDecl(DeclKind k, SourceRange r) : Decl(k, r) {}
  std::vector<Property> props;
};

struct Module {
  FileId file = kNoFile;
  std::vector<DeclPtr> decls;
};

/// A readable, indented dump with `line:col-line:col` ranges, for `mlpc parse --dump-ast`.
std::string dump(const Module& m, const SourceManager& sm);

} // namespace mlpc::ast
