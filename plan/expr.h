#pragma once
/// Plan expressions as C++ values (docs/plan-format.md, "Expressions"). Every expression in a
/// plan is read once into an `Expr` tree; readers switch on `kind` and never look at the JSON.
/// Subtrees are shared and immutable, so copying a plan is cheap.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlpc::plan {

using Json = nlohmann::ordered_json;

struct Expr;
/// A child expression; null where the plan has JSON `null` (an argument not given).
using ExprP = std::shared_ptr<const Expr>;

enum class ExprKind {
  Lit,      ///< `{"lit": V, "type": T}`: `value`, `type`
  Param,    ///< `{"param": NAME}`: `name`
  Data,     ///< `{"data": KEY}`: `name`
  Ref,      ///< `{"ref": ID, "output"?: NAME, "lifted"?: N}`: `name`, `output`, `lifted`
  Var,      ///< `{"var": NAME}`: `name`
  Field,    ///< `{"field": NAME, "of": E}`: `name`, `of`
  Index,    ///< `{"index": E, "of": L}`: `index`, `of`
  List,     ///< `{"list": [E…]}`: `items`
  Record,   ///< `{"record": {NAME: E}}`: `named`
  Interp,   ///< `{"interp": [text or {"expr": E, "type": T}]}`: `parts`
  Op,       ///< `{"op": OP, "args": [A, B?]}`: `name` (the operator), `items`
  Call,     ///< `{"call": NAME, "args": {PARAM: E or null}}`: `name`, `named`
  Arg,      ///< `{"arg": NAME}` (templates): `name`
  Out,      ///< `{"out": NAME}` (templates): `name`
  Port,     ///< `{"port": true}` (server templates)
  Metric,   ///< `{"metric": NAME}` (policies): `name`
  Model,    ///< `{"model": GROUP, "version": "approved"|"latest"|E}`: `name`, `value` or `index`
  Pipeline, ///< `{"pipeline": KEY, "args": {PARAM: E}}`: `name`, `named`
  Decl,     ///< `{"decl": KEY, "kind": KIND}`: `name`, `type` (the declaration kind)
  Builtin,  ///< `{"builtin": NAME}`: `name`
  Error,    ///< `{"error": true}`: a hole left by an error
};

/// One part of an interpolated string: literal text, or an expression and its type.
struct InterpPart {
  std::string text;
  ExprP expr; ///< null for a text part
  std::string type;
};

/// A named child: an argument, a record field, a tag.
struct NamedExpr {
  std::string name;
  ExprP value; ///< null: JSON `null` (an argument not given)
};

struct Expr {
  ExprKind kind = ExprKind::Error;
  std::string name;
  Json value;       ///< Lit: the literal; Model: the version when it is a string
  std::string type; ///< Lit: its type; Decl: the declaration kind
  std::optional<std::string> output;
  std::optional<int> lifted;
  ExprP of;                      ///< Field, Index
  ExprP index;                   ///< Index: the index; Model: the version expression
  std::vector<ExprP> items;      ///< List, Op
  std::vector<NamedExpr> named;  ///< Record, Call, Pipeline
  std::vector<InterpPart> parts; ///< Interp

  /// A literal string's text (the common template case), or nullopt.
  std::optional<std::string> literalString() const;
};

/// Reads an expression; on a shape this page does not describe, returns null with `error` set
/// to a message that names `path` (the JSON path of the expression in the plan).
ExprP readExpr(const Json& j, const std::string& path, std::string& error);

/// The expression's JSON form, exactly as `mlpc compile` writes it.
Json toJson(const Expr& e);
/// `null` for a null child.
Json toJson(const ExprP& e);

/// Every node id an expression refers to, with its `lifted` count, in the order they appear.
void refsOf(const Expr& e, std::vector<std::pair<std::string, int>>& out);

/// Whether the expression reads data declaration `key` anywhere.
bool readsData(const Expr& e, const std::string& key);

/// A literal expression.
ExprP literal(Json value, std::string type);

} // namespace mlpc::plan
