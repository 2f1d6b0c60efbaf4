#include "syntax/transform.h"

#include "syntax/interpolation.h"

#include <cmath>
#include <filesystem>
#include <typeinfo>

namespace mlpc::syntax {

using namespace mlpc::ast;

// Error recovery conjures the token it expected (text `<missing X>`) without a place in the
// input. The syntax error is already reported, so the tree walk treats such a token as absent.
static bool conjured(const antlr4::Token* tok) {
  return !tok || tok->getStartIndex() == INVALID_INDEX;
}

SourceRange Transformer::range(antlr4::Token* tok) const {
  if (conjured(tok)) return {};
  if (tok->getType() == antlr4::Token::EOF) {
    uint32_t b = offsets_.byte(tok->getStartIndex());
    return {file_, b, b};
  }
  return {file_, offsets_.byte(tok->getStartIndex()), offsets_.byte(tok->getStopIndex() + 1)};
}

SourceRange Transformer::range(antlr4::tree::TerminalNode* node) const {
  return node ? range(node->getSymbol()) : SourceRange{};
}

SourceRange Transformer::range(antlr4::ParserRuleContext* ctx) const {
  if (!ctx || !ctx->getStart()) return {};
  SourceRange b = range(ctx->getStart());
  antlr4::Token* stop = ctx->getStop();
  if (!stop || stop->getStopIndex() == INVALID_INDEX ||
      stop->getStopIndex() + 1 < ctx->getStart()->getStartIndex())
    return b;
  return SourceRange::join(b, range(stop));
}

Module Transformer::file(P::FileContext* ctx) {
  Module m;
  m.file = file_;
  if (!ctx) return m;
  for (auto* top : ctx->topLevel())
    if (auto d = topLevel(top)) m.decls.push_back(std::move(d));
  return m;
}

DeclPtr Transformer::topLevel(P::TopLevelContext* ctx) {
  if (!ctx) return nullptr;
  if (auto* c = ctx->importDecl()) return importDecl(c);
  if (auto* c = ctx->dataDecl()) return dataDecl(c);
  if (auto* c = ctx->stepDecl()) return stepDecl(c);
  if (auto* c = ctx->serverDecl()) return serverDecl(c);
  if (auto* c = ctx->pipelineDecl()) return pipelineDecl(c);
  if (auto* c = ctx->modelDecl())
    return policyDecl(DeclKind::Model, c, c->ident(), c->propertyBlock());
  if (auto* c = ctx->endpointDecl())
    return policyDecl(DeclKind::Endpoint, c, c->ident(), c->propertyBlock());
  if (auto* c = ctx->monitorDecl())
    return policyDecl(DeclKind::Monitor, c, c->ident(), c->propertyBlock());
  if (auto* c = ctx->scheduleDecl())
    return policyDecl(DeclKind::Schedule, c, c->ident(), c->propertyBlock());
  return nullptr;
}

Ident Transformer::ident(P::IdentContext* ctx) {
  // An ident is one token, and its text is the file's bytes at its range. (getText() on the
  // context walks and concatenates children, and the token's own converts UTF-32 back to UTF-8
  // through a locale: both measurable costs on large programs.)
  if (!ctx || conjured(ctx->getStart()) || ctx->getStart()->getType() == antlr4::Token::EOF)
    return {};
  SourceRange r = range(ctx->getStart());
  return {std::string(sm_.text(r)), r};
}

DeclPtr Transformer::importDecl(P::ImportDeclContext* ctx) {
  auto d = std::make_unique<ImportDecl>(range(ctx));
  if (!ctx->STRING() || conjured(ctx->STRING()->getSymbol())) return nullptr;
  auto lit = string(ctx->STRING()->getSymbol(), false);
  d->pathRange = lit->range;
  const auto& s = lit->as<StringLit>();
  if (!s.isPlain()) {
    sink_.report(DiagCode::SyntaxError, lit->range, "an import path cannot interpolate");
    return nullptr;
  }
  d->path = s.plainText();
  if (ctx->AS() && ctx->ident()) {
    d->name = ident(ctx->ident());
    d->hasAlias = true;
  } else {
    // The alias is the file's stem: "std/sklearn" binds `sklearn`, "./steps.mlp" binds `steps`.
    d->name.name = std::filesystem::path(d->path).stem().string();
    d->name.range = d->pathRange;
  }
  return d;
}

DeclPtr Transformer::dataDecl(P::DataDeclContext* ctx) {
  auto d = std::make_unique<DataDecl>(range(ctx));
  d->name = ident(ctx->ident());
  if (ctx->type()) d->type = type(ctx->type());
  d->init = exprOrError(ctx->expr(), ctx);
  return d;
}

DeclPtr Transformer::stepDecl(P::StepDeclContext* ctx) {
  auto d = std::make_unique<StepDecl>(DeclKind::Step, range(ctx));
  d->name = ident(ctx->ident());
  if (ctx->paramList()) d->params = params(ctx->paramList());
  if (auto* out = ctx->outputs()) {
    if (out->paramList()) {
      d->outputs = params(out->paramList());
    } else if (out->type()) {
      Param p;
      p.name = {"out", range(out)};
      p.type = type(out->type());
      p.range = range(out);
      d->outputs.push_back(std::move(p));
      d->unnamedOutput = true;
    }
  }
  d->props = properties(ctx->propertyBlock());
  d->signatureRange = SourceRange::join(
      d->name.range, range(ctx->outputs() ? (antlr4::ParserRuleContext*)ctx->outputs() : nullptr));
  if (!d->signatureRange.valid()) d->signatureRange = d->name.range;
  return d;
}

DeclPtr Transformer::serverDecl(P::ServerDeclContext* ctx) {
  auto d = std::make_unique<StepDecl>(DeclKind::Server, range(ctx));
  d->name = ident(ctx->ident());
  if (ctx->paramList()) d->params = params(ctx->paramList());
  d->props = properties(ctx->propertyBlock());
  d->signatureRange = d->name.range;
  return d;
}

DeclPtr Transformer::pipelineDecl(P::PipelineDeclContext* ctx) {
  auto d = std::make_unique<PipelineDecl>(range(ctx));
  d->name = ident(ctx->ident());
  if (ctx->paramList()) d->params = params(ctx->paramList());
  d->body = block(ctx->block());
  return d;
}

std::unique_ptr<PipelineDecl> Transformer::pipelineHead(P::PipelineHeadContext* ctx) {
  auto d = std::make_unique<PipelineDecl>(range(ctx));
  d->name = ident(ctx->ident());
  if (ctx->paramList()) d->params = params(ctx->paramList());
  d->body.range = range(ctx->getStop()); // the `{`
  return d;
}

void Transformer::closePipeline(PipelineDecl& d, SourceRange close) {
  d.range = SourceRange::join(d.range, close);
  d.body.range = SourceRange::join(d.body.range, close);
}

DeclPtr Transformer::policyDecl(DeclKind kind, antlr4::ParserRuleContext* ctx,
                                P::IdentContext* name, P::PropertyBlockContext* props) {
  auto d = std::make_unique<PolicyDecl>(kind, range(ctx));
  d->name = ident(name);
  d->props = properties(props);
  return d;
}

std::vector<Param> Transformer::params(P::ParamListContext* ctx) {
  std::vector<Param> out;
  if (!ctx) return out;
  for (auto* p : ctx->param())
    out.push_back(param(p));
  return out;
}

Param Transformer::param(P::ParamContext* ctx) {
  Param p;
  p.name = ident(ctx->ident());
  if (ctx->type()) p.type = type(ctx->type());
  if (ctx->ASSIGN()) p.defaultValue = exprOrError(ctx->expr(), ctx);
  p.range = range(ctx);
  return p;
}

std::vector<Property> Transformer::properties(P::PropertyBlockContext* ctx) {
  std::vector<Property> out;
  if (!ctx) return out;
  for (auto* p : ctx->property()) {
    Property prop;
    prop.name = ident(p->ident());
    prop.value = exprOrError(p->expr(), p);
    prop.range = range(p);
    out.push_back(std::move(prop));
  }
  return out;
}

TypeExpr Transformer::type(P::TypeContext* ctx) {
  TypeExpr t;
  if (!ctx) return t;
  if (ctx->ident()) t.name = ident(ctx->ident()); // absent in a nested record `{…}`
  t.range = range(ctx);
  for (auto* a : ctx->type())
    t.args.push_back(type(a));
  if (ctx->LBRACE()) {
    t.hasFields = true;
    for (auto* f : ctx->fieldType()) {
      TypeExpr::Field field;
      field.name = ident(f->ident());
      if (f->type()) field.type = type(f->type());
      t.fields.push_back(std::move(field));
    }
  }
  return t;
}

Block Transformer::block(P::BlockContext* ctx) {
  Block b;
  if (!ctx) return b;
  b.range = range(ctx);
  for (auto* s : ctx->statement())
    if (auto st = statement(s)) b.stmts.push_back(std::move(st));
  return b;
}

StmtPtr Transformer::statement(P::StatementContext* ctx) {
  if (auto* c = dynamic_cast<P::AssignStmtContext*>(ctx)) {
    auto s = std::make_unique<AssignStmt>(range(c));
    s->name = ident(c->ident());
    s->value = exprOrError(c->expr(), c);
    return s;
  }
  if (auto* c = dynamic_cast<P::ForStmtContext*>(ctx)) {
    auto s = std::make_unique<ForStmt>(range(c));
    s->var = ident(c->ident());
    s->iterable = exprOrError(c->expr(), c);
    s->body = block(c->block());
    return s;
  }
  if (auto* c = dynamic_cast<P::IfStmtContext*>(ctx))
    return ifChain(c, c->expr(), c->block(), c->ifElse(), c->ELSE() != nullptr);
  if (auto* c = dynamic_cast<P::RegisterStmtContext*>(ctx)) {
    auto s = std::make_unique<RegisterStmt>(range(c));
    auto exprs = c->expr();
    s->model = exprOrError(exprs.size() > 0 ? exprs[0] : nullptr, c);
    s->group = exprOrError(exprs.size() > 1 ? exprs[1] : nullptr, c);
    if (c->WITH() && exprs.size() > 2) s->with = exprOrError(exprs[2], c);
    return s;
  }
  if (auto* c = dynamic_cast<P::FailStmtContext*>(ctx)) {
    auto s = std::make_unique<FailStmt>(range(c));
    s->message = exprOrError(c->expr(), c);
    return s;
  }
  return nullptr;
}

StmtPtr Transformer::ifChain(antlr4::ParserRuleContext* ctx, P::ExprContext* cond,
                             const std::vector<P::BlockContext*>& blocks, P::IfElseContext* elseIf,
                             bool hasElse) {
  auto s = std::make_unique<IfStmt>(range(ctx));
  s->cond = exprOrError(cond, ctx);
  if (!blocks.empty()) s->then = block(blocks[0]);
  if (hasElse) {
    s->hasElse = true;
    if (elseIf) {
      s->otherwise.range = range(elseIf);
      s->otherwise.stmts.push_back(ifChain(elseIf, elseIf->expr(), elseIf->block(),
                                           elseIf->ifElse(), elseIf->ELSE() != nullptr));
    } else if (blocks.size() > 1) {
      s->otherwise = block(blocks[1]);
    }
  }
  return s;
}

ExprPtr Transformer::exprOrError(P::ExprContext* ctx, antlr4::ParserRuleContext* parent) {
  if (ctx) {
    if (auto e = expr(ctx)) return e;
  }
  return std::make_unique<ErrorExpr>(range(ctx ? ctx : parent));
}

namespace {
/// `ctx` as the labelled alternative T when `alt` (its typeid) is exactly T, else null.
template <class T, class Ctx> T* alternative(Ctx* ctx, const std::type_info& alt) {
  return alt == typeid(T) ? static_cast<T*>(ctx) : nullptr;
}

BinaryOp binaryOp(std::string_view t) {
  static const std::pair<const char*, BinaryOp> ops[] = {
      {"*", BinaryOp::Mul}, {"/", BinaryOp::Div}, {"+", BinaryOp::Add},   {"-", BinaryOp::Sub},
      {"<", BinaryOp::Lt},  {"<=", BinaryOp::Le}, {">", BinaryOp::Gt},    {">=", BinaryOp::Ge},
      {"==", BinaryOp::Eq}, {"!=", BinaryOp::Ne}, {"and", BinaryOp::And}, {"or", BinaryOp::Or}};
  for (auto& [s, op] : ops)
    if (t == s) return op;
  return BinaryOp::Add;
}
} // namespace

ExprPtr Transformer::expr(P::ExprContext* ctx) {
  if (!ctx) return nullptr;
  SourceRange r = range(ctx);
  // `a + b + c + …` is a left-deep tree as long as the chain; everything after this stage
  // recurses on it, so very long chains are refused with a diagnostic instead of a crash.
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(++x) {}
    ~Depth() { --d; }
  } guard(depth_);
  if (depth_ > kMaxExprDepth) {
    if (!depthReported_)
      sink_
          .report(DiagCode::SyntaxError, r,
                  "expression too deeply nested (more than " + std::to_string(kMaxExprDepth) +
                      " operators or calls deep)")
          .withLabel("split it into several bindings");
    depthReported_ = true;
    return std::make_unique<ErrorExpr>(r);
  }
  // The labelled alternatives have no subclasses, so comparing the exact type (one pointer
  // compare on a match) does what a chain of dynamic_casts did; each failed dynamic_cast walked
  // the class hierarchy comparing type names, 2% of the language server's time per edit (perf).
  const std::type_info& alt = typeid(*ctx);
  if (auto* c = alternative<P::PrimaryExprContext>(ctx, alt)) return primary(c->primary());
  if (auto* c = alternative<P::MemberExprContext>(ctx, alt)) {
    auto e = std::make_unique<MemberExpr>(r);
    e->object = exprOrError(c->expr(), c);
    e->member = ident(c->ident());
    if (e->member.name.empty()) return std::make_unique<ErrorExpr>(r);
    return e;
  }
  if (auto* c = alternative<P::CallExprContext>(ctx, alt)) {
    auto e = std::make_unique<CallExpr>(r);
    e->callee = exprOrError(c->expr(), c);
    if (auto* list = c->argList()) {
      for (auto* a : list->arg()) {
        Arg arg;
        arg.range = range(a);
        if (a->ident()) {
          arg.named = true;
          arg.name = ident(a->ident());
        }
        arg.value = exprOrError(a->expr(), a);
        e->args.push_back(std::move(arg));
      }
    }
    return e;
  }
  if (auto* c = alternative<P::IndexExprContext>(ctx, alt)) {
    auto e = std::make_unique<IndexExpr>(r);
    e->object = exprOrError(c->expr(0), c);
    e->index = exprOrError(c->expr(1), c);
    return e;
  }
  if (auto* c = alternative<P::NegExprContext>(ctx, alt)) {
    auto e = std::make_unique<UnaryExpr>(r, UnaryOp::Neg);
    e->operand = exprOrError(c->expr(), c);
    return e;
  }
  if (auto* c = alternative<P::NotExprContext>(ctx, alt)) {
    auto e = std::make_unique<UnaryExpr>(r, UnaryOp::Not);
    e->operand = exprOrError(c->expr(), c);
    return e;
  }
  // Every binary form has two operand expressions and one operator token between them.
  auto binary = [&](antlr4::ParserRuleContext* c, std::vector<P::ExprContext*> operands,
                    antlr4::Token* op) -> ExprPtr {
    if (conjured(op)) return std::make_unique<ErrorExpr>(r);
    SourceRange opRange = range(op);
    auto e = std::make_unique<BinaryExpr>(r, binaryOp(sm_.text(opRange)));
    e->lhs = exprOrError(operands.size() > 0 ? operands[0] : nullptr, c);
    e->rhs = exprOrError(operands.size() > 1 ? operands[1] : nullptr, c);
    e->opRange = opRange;
    return e;
  };
  if (auto* c = alternative<P::MulExprContext>(ctx, alt)) return binary(c, c->expr(), c->op);
  if (auto* c = alternative<P::AddExprContext>(ctx, alt)) return binary(c, c->expr(), c->op);
  if (auto* c = alternative<P::CmpExprContext>(ctx, alt)) return binary(c, c->expr(), c->op);
  if (auto* c = alternative<P::AndExprContext>(ctx, alt))
    return binary(c, c->expr(), c->AND() ? c->AND()->getSymbol() : nullptr);
  if (auto* c = alternative<P::OrExprContext>(ctx, alt))
    return binary(c, c->expr(), c->OR() ? c->OR()->getSymbol() : nullptr);
  return std::make_unique<ErrorExpr>(r);
}

ExprPtr Transformer::number(P::PrimaryContext* ctx, ExprKind kind) {
  SourceRange r = range(ctx);
  auto e = std::make_unique<NumberLit>(kind, r);
  // A number is one token: its text is the file's bytes at its range (as for an ident).
  std::string_view text = sm_.text(r);
  size_t numEnd = 0;
  while (numEnd < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[numEnd])) || text[numEnd] == '.' ||
          ((text[numEnd] == 'e' || text[numEnd] == 'E') && kind == ExprKind::Float) ||
          ((text[numEnd] == '+' || text[numEnd] == '-') && kind == ExprKind::Float)))
    ++numEnd;
  std::string num(text.substr(0, numEnd));
  std::string_view unit = text.substr(numEnd);
  errno = 0;
  double v = std::strtod(num.c_str(), nullptr);
  if (kind == ExprKind::Int) {
    char* end = nullptr;
    long long iv = std::strtoll(num.c_str(), &end, 10);
    if (errno == ERANGE) {
      sink_
          .report(DiagCode::BadLiteral, r,
                  "integer literal `" + std::string(text) + "` is too large")
          .withLabel("does not fit in 64 bits");
      return std::make_unique<ErrorExpr>(r);
    }
    e->intValue = iv;
    e->value = static_cast<double>(iv);
    return e;
  }
  if (!std::isfinite(v)) {
    sink_.report(DiagCode::BadLiteral, r, "number `" + std::string(text) + "` is out of range");
    return std::make_unique<ErrorExpr>(r);
  }
  if (kind == ExprKind::Duration) {
    static const std::pair<const char*, double> units[] = {
        {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (auto& [u, f] : units)
      if (unit == u) v *= f;
  } else if (kind == ExprKind::Size) {
    static const std::pair<const char*, double> units[] = {
        {"B", 1},           {"KB", 1e3},           {"MB", 1e6},
        {"GB", 1e9},        {"TB", 1e12},          {"KiB", 1024.0},
        {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
    for (auto& [u, f] : units)
      if (unit == u) v *= f;
    if (v > 9.2e18) {
      sink_.report(DiagCode::BadLiteral, r, "size `" + std::string(text) + "` is too large");
      return std::make_unique<ErrorExpr>(r);
    }
    e->intValue = static_cast<int64_t>(v);
  } else if (kind == ExprKind::Percent) {
    // value stays as written: 20% is 20
  }
  e->value = v;
  return e;
}

ExprPtr Transformer::primary(P::PrimaryContext* ctx) {
  if (!ctx) return nullptr;
  SourceRange r = range(ctx);
  if (conjured(ctx->getStart())) return std::make_unique<ErrorExpr>(r);
  const std::type_info& alt = typeid(*ctx); // as in expr(); names are the most common
  if (auto* c = alternative<P::NameRefContext>(ctx, alt)) {
    Ident id = ident(c->ident());
    if (id.name.empty()) return std::make_unique<ErrorExpr>(r);
    return std::make_unique<NameExpr>(id.range, id.name);
  }
  if (alternative<P::IntLitContext>(ctx, alt)) return number(ctx, ExprKind::Int);
  if (alternative<P::FloatLitContext>(ctx, alt)) return number(ctx, ExprKind::Float);
  if (alternative<P::DurationLitContext>(ctx, alt)) return number(ctx, ExprKind::Duration);
  if (alternative<P::SizeLitContext>(ctx, alt)) return number(ctx, ExprKind::Size);
  if (alternative<P::PercentLitContext>(ctx, alt)) return number(ctx, ExprKind::Percent);
  if (alternative<P::BadUnitLitContext>(ctx, alt)) return std::make_unique<ErrorExpr>(r);
  if (auto* c = alternative<P::BoolLitContext>(ctx, alt))
    return std::make_unique<BoolLit>(r, c->TRUE() != nullptr);
  if (auto* c = alternative<P::StringLitContext>(ctx, alt))
    return c->STRING() ? string(c->STRING()->getSymbol(), false) : nullptr;
  if (auto* c = alternative<P::TripleStringLitContext>(ctx, alt))
    return c->TRIPLE_STRING() ? string(c->TRIPLE_STRING()->getSymbol(), true) : nullptr;
  if (auto* c = alternative<P::ParenExprContext>(ctx, alt)) {
    auto inner = exprOrError(c->expr(), c);
    return inner;
  }
  if (auto* c = alternative<P::ListLitContext>(ctx, alt)) {
    auto e = std::make_unique<ListExpr>(r);
    for (auto* x : c->expr())
      e->elems.push_back(exprOrError(x, c));
    return e;
  }
  if (auto* c = alternative<P::RecordLitContext>(ctx, alt)) {
    auto e = std::make_unique<RecordExpr>(r);
    for (auto* f : c->field()) {
      RecordField field;
      if (f->ident()) {
        field.name = ident(f->ident());
      } else if (f->STRING() && !conjured(f->STRING()->getSymbol())) {
        auto key = string(f->STRING()->getSymbol(), false);
        field.name = {key->as<StringLit>().plainText(), key->range};
      }
      field.value = exprOrError(f->expr(), f);
      e->fields.push_back(std::move(field));
    }
    return e;
  }
  return nullptr;
}

ExprPtr Transformer::string(antlr4::Token* tok, bool triple) {
  SourceRange r = range(tok);
  auto lit = std::make_unique<StringLit>(r);
  lit->triple = triple;
  if (!r.valid()) return lit;
  // The token's text in the file, quotes included; parts are built from the bytes between them.
  std::string_view text = sm_.text(r);
  size_t q = triple ? 3 : 1;
  if (text.size() < 2 * q) return lit;
  uint32_t base = r.begin + static_cast<uint32_t>(q);
  std::string body(text.substr(q, text.size() - 2 * q));
  // A `"""` block usually starts on the next line; that first newline is not content.
  if (triple && !body.empty() && body[0] == '\n') {
    body.erase(0, 1);
    ++base;
  }
  splitInterpolations(*lit, body, base, triple, file_, sink_,
                      [this](const std::string& src, uint32_t at) { return parseExprAt(src, at); });
  return lit;
}

ExprPtr Transformer::parseExprAt(const std::string& src, uint32_t at) {
  return parseInterpolatedExpr(sm_, file_, src, at, sink_);
}

} // namespace mlpc::syntax
