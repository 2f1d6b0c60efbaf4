#include "ast/ast.h"

namespace mlpc::ast {

const char* spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  case BinaryOp::And:
    return "and";
  case BinaryOp::Or:
    return "or";
  }
  return "?";
}

const char* keyword(DeclKind k) {
  switch (k) {
  case DeclKind::Import:
    return "import";
  case DeclKind::Data:
    return "data";
  case DeclKind::Step:
    return "step";
  case DeclKind::Server:
    return "server";
  case DeclKind::Pipeline:
    return "pipeline";
  case DeclKind::Model:
    return "model";
  case DeclKind::Endpoint:
    return "endpoint";
  case DeclKind::Monitor:
    return "monitor";
  case DeclKind::Schedule:
    return "schedule";
  }
  return "?";
}

} // namespace mlpc::ast
