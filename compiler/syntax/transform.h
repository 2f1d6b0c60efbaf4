#pragma once
// Walks the ANTLR parse tree once (one transform function per rule) and builds our AST. Every
// accessor of the parse tree may be null after error recovery, so each step checks.
#include "ast/ast.h"
#include "diag/diagnostic.h"
#include "syntax/offsets.h"

#include "MlpParser.h"

namespace mlpc::syntax {

class Transformer {
public:
  Transformer(const SourceManager& sm, FileId file, DiagnosticSink& sink, const OffsetMap& offsets)
      : sm_(sm), file_(file), sink_(sink), offsets_(offsets) {}

  ast::Module file(mlpgen::MlpParser::FileContext* ctx);
  ast::ExprPtr expr(mlpgen::MlpParser::ExprContext* ctx);

  // The streaming parse (parse.cpp) takes a file one declaration, and a pipeline one statement,
  // at a time, and builds the same AST as `file` does from a whole tree.
  using P = mlpgen::MlpParser;
  ast::DeclPtr topLevel(P::TopLevelContext* ctx);
  /// A pipeline with its name and parameters, and an empty body; its range ends, and its
  /// body's range is, the opening `{` until closePipeline.
  std::unique_ptr<ast::PipelineDecl> pipelineHead(P::PipelineHeadContext* ctx);
  /// Extends the ranges to the closing `}` (at `close`), as `pipelineDecl` sets them. Static:
  /// that `}` may have been read by another piece's Transformer (parse.cpp).
  static void closePipeline(ast::PipelineDecl& d, SourceRange close);
  ast::StmtPtr statement(P::StatementContext* ctx);
  SourceRange range(antlr4::Token* tok) const;

private:
  SourceRange range(antlr4::ParserRuleContext* ctx) const;
  SourceRange range(antlr4::tree::TerminalNode* node) const;

  ast::DeclPtr importDecl(P::ImportDeclContext* ctx);
  ast::DeclPtr dataDecl(P::DataDeclContext* ctx);
  ast::DeclPtr stepDecl(P::StepDeclContext* ctx);
  ast::DeclPtr serverDecl(P::ServerDeclContext* ctx);
  ast::DeclPtr pipelineDecl(P::PipelineDeclContext* ctx);
  ast::DeclPtr policyDecl(ast::DeclKind kind, antlr4::ParserRuleContext* ctx, P::IdentContext* name,
                          P::PropertyBlockContext* props);

  ast::Ident ident(P::IdentContext* ctx);
  std::vector<ast::Param> params(P::ParamListContext* ctx);
  ast::Param param(P::ParamContext* ctx);
  std::vector<ast::Property> properties(P::PropertyBlockContext* ctx);
  ast::TypeExpr type(P::TypeContext* ctx);

  ast::Block block(P::BlockContext* ctx);
  ast::StmtPtr ifChain(antlr4::ParserRuleContext* ctx, P::ExprContext* cond,
                       const std::vector<P::BlockContext*>& blocks, P::IfElseContext* elseIf,
                       bool hasElse);

  ast::ExprPtr exprOrError(P::ExprContext* ctx, antlr4::ParserRuleContext* parent);
  ast::ExprPtr primary(P::PrimaryContext* ctx);
  ast::ExprPtr number(P::PrimaryContext* ctx, ast::ExprKind kind);
  ast::ExprPtr string(antlr4::Token* tok, bool triple);
  ast::ExprPtr parseExprAt(const std::string& src, uint32_t at);

  static constexpr int kMaxExprDepth = 1000;
  int depth_ = 0;
  bool depthReported_ = false;
  const SourceManager& sm_;
  FileId file_;
  DiagnosticSink& sink_;
  const OffsetMap& offsets_;
};

} // namespace mlpc::syntax
