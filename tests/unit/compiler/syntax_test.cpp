// The syntax stage: text in, our own AST out. Structure, ranges, literal values, strings and
// interpolation, and error recovery.
#include "syntax/parse.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mlpc;
using namespace mlpc::ast;

namespace {

struct Parsed {
  SourceManager sm;
  DiagnosticSink sink;
  FileId file = kNoFile;
  Module module;

  std::string text(SourceRange r) const { return std::string(sm.text(r)); }
  /// Byte range of the n-th occurrence of `what` in the source.
  SourceRange find(const std::string& what, int nth = 0) const {
    const std::string& t = sm.file(file).text();
    size_t pos = t.find(what);
    while (nth-- > 0 && pos != std::string::npos)
      pos = t.find(what, pos + 1);
    REQUIRE(pos != std::string::npos);
    return {file, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + what.size())};
  }
  std::vector<DiagCode> codes() const {
    std::vector<DiagCode> v;
    for (auto& d : sink.diagnostics())
      v.push_back(d.code);
    return v;
  }
};

std::unique_ptr<Parsed> parse(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  p->file = p->sm.add("t.mlp", text);
  p->module = syntax::parseFile(p->sm, p->file, p->sink);
  return p;
}

/// The value of the `index`-th statement of the first pipeline, which must be an assignment.
const Expr& assigned(const Parsed& p, size_t index = 0) {
  for (auto& d : p.module.decls)
    if (d->kind == DeclKind::Pipeline) {
      auto& body = d->as<PipelineDecl>().body;
      REQUIRE(index < body.stmts.size());
      REQUIRE(body.stmts[index]->kind == StmtKind::Assign);
      return *body.stmts[index]->as<AssignStmt>().value;
    }
  FAIL("no pipeline");
  throw;
}

/// `x = EXPR` inside a pipeline.
std::unique_ptr<Parsed> parseExpr(const std::string& expr) {
  return parse("pipeline p() {\n  x = " + expr + "\n}\n");
}

const BinaryExpr& bin(const Expr& e, BinaryOp op) {
  REQUIRE(e.kind == ExprKind::Binary);
  CHECK(e.as<BinaryExpr>().op == op);
  return e.as<BinaryExpr>();
}
std::string name(const Expr& e) {
  REQUIRE(e.kind == ExprKind::Name);
  return e.as<NameExpr>().name;
}
const NumberLit& number(const Expr& e, ExprKind kind) {
  REQUIRE(e.kind == kind);
  return e.as<NumberLit>();
}
const StringLit& stringLit(const Expr& e) {
  REQUIRE(e.kind == ExprKind::String);
  return e.as<StringLit>();
}

} // namespace

TEST_CASE("precedence: or < and < not < comparison < + - < * /", "[syntax][expr]") {
  auto p = parseExpr("a or b and not c < d + e * f");
  REQUIRE(p->sink.diagnostics().empty());
  const Expr& root = assigned(*p);
  auto& orE = bin(root, BinaryOp::Or);
  CHECK(name(*orE.lhs) == "a");
  auto& andE = bin(*orE.rhs, BinaryOp::And);
  CHECK(name(*andE.lhs) == "b");
  REQUIRE(andE.rhs->kind == ExprKind::Unary);
  auto& notE = andE.rhs->as<UnaryExpr>();
  CHECK(notE.op == UnaryOp::Not);
  auto& lt = bin(*notE.operand, BinaryOp::Lt);
  CHECK(name(*lt.lhs) == "c");
  auto& add = bin(*lt.rhs, BinaryOp::Add);
  CHECK(name(*add.lhs) == "d");
  auto& mul = bin(*add.rhs, BinaryOp::Mul);
  CHECK(name(*mul.lhs) == "e");
  CHECK(name(*mul.rhs) == "f");
  // Ranges: the whole expression, and each operator token.
  CHECK(p->text(root.range) == "a or b and not c < d + e * f");
  CHECK(p->text(orE.opRange) == "or");
  CHECK(p->text(notE.range) == "not c < d + e * f");
  CHECK(p->text(mul.range) == "e * f");
}

TEST_CASE("binary operators associate to the left; parentheses regroup", "[syntax][expr]") {
  auto p = parseExpr("a - b - c / d / e");
  auto& sub = bin(assigned(*p), BinaryOp::Sub);
  auto& inner = bin(*sub.lhs, BinaryOp::Sub);
  CHECK(name(*inner.lhs) == "a");
  CHECK(name(*inner.rhs) == "b");
  auto& div = bin(*sub.rhs, BinaryOp::Div);
  bin(*div.lhs, BinaryOp::Div);

  auto q = parseExpr("(a or b) and c");
  auto& andE = bin(assigned(*q), BinaryOp::And);
  bin(*andE.lhs, BinaryOp::Or);
  CHECK(q->text(andE.lhs->range) == "a or b"); // a parenthesised expression is its inside
}

TEST_CASE("unary minus binds tighter than * and looser than member/call/index", "[syntax][expr]") {
  auto p = parseExpr("-a.b * 2");
  auto& mul = bin(assigned(*p), BinaryOp::Mul);
  REQUIRE(mul.lhs->kind == ExprKind::Unary);
  CHECK(mul.lhs->as<UnaryExpr>().op == UnaryOp::Neg);
  CHECK(mul.lhs->as<UnaryExpr>().operand->kind == ExprKind::Member);
}

TEST_CASE("member, call and index chains", "[syntax][expr]") {
  auto p = parseExpr("g.h(1, k = 2)[i].j");
  REQUIRE(p->sink.diagnostics().empty());
  const Expr& root = assigned(*p);
  REQUIRE(root.kind == ExprKind::Member);
  auto& j = root.as<MemberExpr>();
  CHECK(j.member.name == "j");
  CHECK(p->text(j.member.range) == "j");
  REQUIRE(j.object->kind == ExprKind::Index);
  auto& ix = j.object->as<IndexExpr>();
  CHECK(name(*ix.index) == "i");
  REQUIRE(ix.object->kind == ExprKind::Call);
  auto& call = ix.object->as<CallExpr>();
  REQUIRE(call.callee->kind == ExprKind::Member);
  CHECK(call.callee->as<MemberExpr>().member.name == "h");
  CHECK(name(*call.callee->as<MemberExpr>().object) == "g");
  CHECK(p->text(call.range) == "g.h(1, k = 2)");
  CHECK(p->text(root.range) == "g.h(1, k = 2)[i].j");
}

TEST_CASE("positional arguments, then named ones, with their ranges", "[syntax][expr]") {
  auto p = parseExpr("Train(split.train, 0.5, trees = 300, label = \"y\",)");
  REQUIRE(p->sink.diagnostics().empty());
  auto& call = assigned(*p).as<CallExpr>();
  REQUIRE(call.args.size() == 4);
  CHECK_FALSE(call.args[0].named);
  CHECK(call.args[0].value->kind == ExprKind::Member);
  CHECK_FALSE(call.args[1].named);
  CHECK(call.args[2].named);
  CHECK(call.args[2].name.name == "trees");
  CHECK(p->text(call.args[2].name.range) == "trees");
  CHECK(p->text(call.args[2].range) == "trees = 300");
  CHECK(number(*call.args[2].value, ExprKind::Int).intValue == 300);
  CHECK(call.args[3].name.name == "label");
  // A positional argument after a named one is a checker error, not a syntax error.
  auto q = parseExpr("f(a = 1, 2)");
  CHECK(q->sink.diagnostics().empty());
  CHECK(assigned(*q).as<CallExpr>().args[1].named == false);
}

TEST_CASE("declaration words are identifiers where a name is expected", "[syntax]") {
  auto p = parse("step S(data: File, model: File) -> (step: File) {\n"
                 "  run = \"${data} ${model} ${step}\"\n}\n"
                 "pipeline p() {\n  data = S(data = x, model = y)\n}\n");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = p->module.decls[0]->as<StepDecl>();
  CHECK(s.params[0].name.name == "data");
  CHECK(s.params[1].name.name == "model");
  CHECK(s.outputs[0].name.name == "step");
  auto& call = assigned(*p).as<CallExpr>();
  CHECK(call.args[0].name.name == "data");
}

TEST_CASE("unit literals become values: seconds, bytes, percent as written", "[syntax][units]") {
  auto p = parseExpr("[1500ms, 30s, 5m, 2h, 1d, 0.5s, 512B, 64KiB, 4GiB, 10MB, 1GB, 1TiB, 10%, "
                     "0.5%, 42, 0.85, 1e-3, 2.5E+2]");
  REQUIRE(p->sink.diagnostics().empty());
  auto& l = assigned(*p).as<ListExpr>();
  REQUIRE(l.elems.size() == 18);
  auto& e = l.elems;
  CHECK(number(*e[0], ExprKind::Duration).value == Approx(1.5));
  CHECK(number(*e[1], ExprKind::Duration).value == 30);
  CHECK(number(*e[2], ExprKind::Duration).value == 300);
  CHECK(number(*e[3], ExprKind::Duration).value == 7200);
  CHECK(number(*e[4], ExprKind::Duration).value == 86400);
  CHECK(number(*e[5], ExprKind::Duration).value == Approx(0.5));
  CHECK(number(*e[6], ExprKind::Size).intValue == 512);
  CHECK(number(*e[7], ExprKind::Size).intValue == 65536);
  CHECK(number(*e[8], ExprKind::Size).intValue == 4294967296LL);
  CHECK(number(*e[9], ExprKind::Size).intValue == 10000000);
  CHECK(number(*e[10], ExprKind::Size).intValue == 1000000000);
  CHECK(number(*e[11], ExprKind::Size).intValue == 1099511627776LL);
  CHECK(number(*e[12], ExprKind::Percent).value == 10);
  CHECK(number(*e[13], ExprKind::Percent).value == Approx(0.5));
  CHECK(number(*e[14], ExprKind::Int).intValue == 42);
  CHECK(number(*e[14], ExprKind::Int).value == 42);
  CHECK(number(*e[15], ExprKind::Float).value == Approx(0.85));
  CHECK(number(*e[16], ExprKind::Float).value == Approx(0.001));
  CHECK(number(*e[17], ExprKind::Float).value == 250);
  CHECK(p->text(e[0]->range) == "1500ms"); // the spelling, as hover and errors quote it
  CHECK(p->text(e[8]->range) == "4GiB");
}

TEST_CASE("bad literals: unknown units and too-large integers", "[syntax][units]") {
  auto p = parseExpr("[5min, 4gb, 99999999999999999999]");
  REQUIRE(p->sink.diagnostics().size() == 3);
  for (auto& d : p->sink.diagnostics())
    CHECK(d.code == DiagCode::BadLiteral);
  CHECK(p->sink.diagnostics()[0].message == "unknown unit `min` in `5min`");
  CHECK(p->text(p->sink.diagnostics()[0].range) == "5min");
  CHECK(p->text(p->sink.diagnostics()[2].range) == "99999999999999999999");
}

TEST_CASE("string escapes are decoded in ordinary strings", "[syntax][strings]") {
  auto p = parseExpr(R"("a\tb\n\"q\" \\ \$ $${HOME} \r\0")");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = stringLit(assigned(*p));
  CHECK_FALSE(s.triple);
  REQUIRE(s.isPlain());
  CHECK(s.plainText() == std::string("a\tb\n\"q\" \\ $ ${HOME} \r\0", 22));
}

TEST_CASE("an unknown escape is a bad literal at the backslash", "[syntax][strings]") {
  auto p = parseExpr(R"("x \q y")");
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].code == DiagCode::BadLiteral);
  CHECK(p->text(p->sink.diagnostics()[0].range) == "\\q");
}

TEST_CASE("interpolation splits a string into parts with exact ranges", "[syntax][strings]") {
  auto p = parseExpr(R"("in ${raw} and ${ split.train }${n}!")");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = stringLit(assigned(*p));
  REQUIRE(s.parts.size() == 6);
  CHECK(s.parts[0].text == "in ");
  CHECK(p->text(s.parts[0].range) == "in ");
  CHECK(p->text(s.parts[1].range) == "${raw}");
  CHECK(name(*s.parts[1].expr) == "raw");
  CHECK(s.parts[1].expr->range.begin == p->find("raw").begin);
  CHECK(s.parts[1].expr->range.end == p->find("raw").end);
  CHECK(s.parts[2].text == " and ");
  CHECK(p->text(s.parts[3].range) == "${ split.train }");
  REQUIRE(s.parts[3].expr->kind == ExprKind::Member);
  CHECK(p->text(s.parts[3].expr->range) == "split.train");
  CHECK(p->text(s.parts[3].expr->as<MemberExpr>().member.range) == "train");
  CHECK(p->text(s.parts[4].range) == "${n}");
  CHECK(s.parts[5].text == "!");
  CHECK_FALSE(s.isPlain());
}

TEST_CASE("interpolation ranges stay exact after escapes and UTF-8", "[syntax][strings][utf8]") {
  auto p = parseExpr("\"\\\"é\\\" ${x}\"");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = stringLit(assigned(*p));
  REQUIRE(s.parts.size() == 2);
  CHECK(s.parts[0].text == "\"é\" ");
  CHECK(s.parts[1].expr->range.begin == p->find("x}").begin);
  CHECK(p->sm.start(s.parts[1].expr->range).col == 17); // `  x = "\"é\" ${` is 16 bytes
}

TEST_CASE("an empty interpolation and an unterminated one", "[syntax][strings]") {
  auto p = parseExpr(R"("a ${ } b")");
  REQUIRE(p->sink.diagnostics().size() == 1);
  CHECK(p->sink.diagnostics()[0].code == DiagCode::BadInterpolation);
  CHECK(p->text(p->sink.diagnostics()[0].range) == "${ }");

  auto q = parseExpr(R"("a ${b")");
  REQUIRE(q->sink.diagnostics().size() == 1);
  CHECK(q->sink.diagnostics()[0].code == DiagCode::BadLiteral);
  CHECK(q->text(q->sink.diagnostics()[0].range) == "${");
}

TEST_CASE("triple-quoted strings are raw, interpolate, and drop the first newline",
          "[syntax][strings]") {
  auto p = parseExpr("\"\"\"\n  echo \\n ${a} $${HOME}\n  done\"\"\"");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = stringLit(assigned(*p));
  CHECK(s.triple);
  REQUIRE(s.parts.size() == 3);
  CHECK(s.parts[0].text == "  echo \\n ");
  CHECK(p->sm.start(s.parts[0].range).line == 3);
  CHECK(p->sm.start(s.parts[0].range).col == 1);
  CHECK(name(*s.parts[1].expr) == "a");
  CHECK(s.parts[2].text == " ${HOME}\n  done");
}

TEST_CASE("comments are skipped", "[syntax]") {
  auto p = parse("// line comment\n/* block\n comment */ pipeline p() { // trailing\n"
                 "  x = 1 /* inline */ + 2\n}\n");
  REQUIRE(p->sink.diagnostics().empty());
  REQUIRE(p->module.decls.size() == 1);
  bin(assigned(*p), BinaryOp::Add);
}

TEST_CASE("statements: for, if / else if / else, register with, fail", "[syntax][stmt]") {
  auto p = parse("pipeline p() {\n"
                 "  for i in range(3) { x = S(i) }\n"
                 "  if a { fail \"a\" } else if b { register m in g with { tags: {} } } "
                 "else { fail \"c\" }\n"
                 "  if d { y = 1 }\n"
                 "}\n");
  REQUIRE(p->sink.diagnostics().empty());
  auto& body = p->module.decls[0]->as<PipelineDecl>().body.stmts;
  REQUIRE(body.size() == 3);
  REQUIRE(body[0]->kind == StmtKind::For);
  auto& f = body[0]->as<ForStmt>();
  CHECK(f.var.name == "i");
  CHECK(f.body.stmts.size() == 1);
  REQUIRE(body[1]->kind == StmtKind::If);
  auto& i = body[1]->as<IfStmt>();
  CHECK(i.hasElse);
  REQUIRE(i.otherwise.stmts.size() == 1); // `else if` is an if alone in the else block
  REQUIRE(i.otherwise.stmts[0]->kind == StmtKind::If);
  auto& elif = i.otherwise.stmts[0]->as<IfStmt>();
  REQUIRE(elif.then.stmts[0]->kind == StmtKind::Register);
  auto& r = elif.then.stmts[0]->as<RegisterStmt>();
  CHECK(name(*r.model) == "m");
  CHECK(name(*r.group) == "g");
  REQUIRE(r.with);
  CHECK(r.with->kind == ExprKind::Record);
  CHECK(elif.hasElse);
  CHECK(elif.otherwise.stmts[0]->kind == StmtKind::Fail);
  CHECK_FALSE(body[2]->as<IfStmt>().hasElse);
}

TEST_CASE("declarations: imports bind an alias or the file's stem", "[syntax][decl]") {
  auto p = parse("import \"std/sklearn\"\nimport \"./lib/steps.mlp\" as local\n"
                 "import \"../x/helpers.mlp\"\n");
  REQUIRE(p->sink.diagnostics().empty());
  REQUIRE(p->module.decls.size() == 3);
  auto& a = p->module.decls[0]->as<ImportDecl>();
  CHECK(a.path == "std/sklearn");
  CHECK(a.name.name == "sklearn");
  CHECK_FALSE(a.hasAlias);
  CHECK(p->text(a.pathRange) == "\"std/sklearn\"");
  auto& b = p->module.decls[1]->as<ImportDecl>();
  CHECK(b.name.name == "local");
  CHECK(b.hasAlias);
  CHECK(p->module.decls[2]->name.name == "helpers");
}

TEST_CASE("declarations: step signature, unnamed output, types with arguments and fields",
          "[syntax][decl]") {
  auto p = parse("step S(d: Dataset<csv>, xs: list<int> = [1], n: int = 3,)\n"
                 "    -> Metrics{auc: float, n: int} {\n  run = \"x\"\n  timeout = 10m\n}\n"
                 "data d: Dataset<csv> = file(\"d.csv\")\n"
                 "model g { approval = manual }\n");
  REQUIRE(p->sink.diagnostics().empty());
  auto& s = p->module.decls[0]->as<StepDecl>();
  CHECK(s.kind == DeclKind::Step);
  REQUIRE(s.params.size() == 3);
  CHECK(s.params[0].type.name.name == "Dataset");
  REQUIRE(s.params[0].type.args.size() == 1);
  CHECK(s.params[0].type.args[0].name.name == "csv");
  CHECK(s.params[1].type.args[0].name.name == "int");
  REQUIRE(s.params[1].defaultValue);
  CHECK(s.params[1].defaultValue->kind == ExprKind::List);
  CHECK(s.unnamedOutput);
  REQUIRE(s.outputs.size() == 1);
  CHECK(s.outputs[0].name.name == "out");
  CHECK(s.outputs[0].type.hasFields);
  REQUIRE(s.outputs[0].type.fields.size() == 2);
  CHECK(s.outputs[0].type.fields[1].name.name == "n");
  REQUIRE(s.props.size() == 2);
  CHECK(s.props[1].name.name == "timeout");
  CHECK(p->module.decls[1]->kind == DeclKind::Data);
  CHECK(p->module.decls[2]->kind == DeclKind::Model);
  CHECK(p->module.decls[2]->as<PolicyDecl>().props[0].name.name == "approval");
}

TEST_CASE("error recovery reports several syntax errors and keeps the rest", "[syntax][errors]") {
  auto p = parse("step A(x: File -> (out: File) {\n  run = \"a\"\n}\n"
                 "pipeline p() {\n  a = S(1 2)\n  b = ()\n}\n"
                 "step B(x: File) -> (out: File) {\n  run = \"b ${x} ${out}\"\n}\n"
                 "endpoint e {\n  model = \n}\n");
  CHECK(p->sink.errorCount() >= 4);
  for (auto& d : p->sink.diagnostics())
    CHECK(d.code == DiagCode::SyntaxError);
  CHECK(p->sm.start(p->sink.diagnostics()[0].range).line == 1);
  // The well-formed step after the errors is still in the tree.
  bool sawB = false;
  for (auto& d : p->module.decls)
    if (d->kind == DeclKind::Step && d->name.name == "B") sawB = true;
  CHECK(sawB);
}

TEST_CASE("bad characters and unterminated strings are reported where they are",
          "[syntax][errors]") {
  auto p = parse("pipeline p() {\n  a = 1 % 2;\n  b = \"open\n}\n");
  auto codes = p->codes();
  REQUIRE(codes.size() >= 3);
  auto& ds = p->sink.diagnostics();
  CHECK(ds[0].message == "unexpected character `%`");
  CHECK(p->text(ds[0].range) == "%");
  CHECK(ds[1].message == "unexpected character `;`");
  CHECK(ds[2].message == "unterminated string");
  CHECK(p->sm.start(ds[2].range).line == 3);
  CHECK(p->sm.start(ds[2].range).col == 7);
}

TEST_CASE("syntax error messages say what was found and what was expected", "[syntax][errors]") {
  auto p = parse("pipeline p() {\n  a = foo(1 2)\n}\n");
  REQUIRE(p->sink.diagnostics().size() == 1);
  auto& d = p->sink.diagnostics()[0];
  CHECK(d.code == DiagCode::SyntaxError);
  CHECK(d.message == "unexpected `2`, expected `)`");
  CHECK(p->text(d.range) == "2");

  auto q = parse("step S(in: File) { run = \"x\" }\n");
  REQUIRE_FALSE(q->sink.diagnostics().empty());
  auto& r = q->sink.diagnostics()[0];
  CHECK(r.message == "unexpected `in`, expected `)`, identifier");
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].message == "`in` is a reserved word and cannot be used as a name");
}

TEST_CASE("parse stats: valid files use the fast SLL pass only", "[syntax]") {
  SourceManager sm;
  DiagnosticSink sink;
  FileId ok = sm.add("ok.mlp", "pipeline p() {\n  x = 1\n}\n");
  syntax::ParseStats stats;
  syntax::parseFile(sm, ok, sink, &stats);
  CHECK_FALSE(stats.usedFullLL);
  FileId bad = sm.add("bad.mlp", "pipeline p( {\n");
  syntax::ParseStats stats2;
  syntax::parseFile(sm, bad, sink, &stats2);
  CHECK(stats2.usedFullLL);
}

TEST_CASE("every ill-formed UTF-8 sequence is an E001 at its first byte, not a crash",
          "[syntax][utf8]") {
  // Each of these made ANTLR's UTF-8 decoder throw; the fuzzer found the 0xF6 lead byte.
  const std::pair<const char*, std::string> bad[] = {
      {"lone continuation byte", "\x80"},
      {"two-byte overlong", "\xC0\xAF"},
      {"three-byte overlong", "\xE0\x80\xAF"},
      {"surrogate", "\xED\xA0\x80"},
      {"four-byte overlong", "\xF0\x80\x80\xAF"},
      {"above U+10FFFF", "\xF4\x90\x80\x80"},
      {"lead byte 0xF5", "\xF5\x80\x80\x80"},
      {"lead byte 0xF6", "\xF6\x8F\x96\x8F"},
      {"lead byte 0xFF", "\xFF"},
      {"truncated sequence", "\xE2\x82"},
      {"continuation byte missing", "\xE2\x28\xA1"},
  };
  for (const auto& [what, bytes] : bad) {
    INFO(what);
    auto p = parse("// x\ndata d: File = file(\"" + bytes + "\")\n");
    REQUIRE(p->codes() == std::vector<DiagCode>{DiagCode::SyntaxError});
    CHECK(p->sink.diagnostics()[0].message == "this file is not valid UTF-8");
    CHECK(p->sink.diagnostics()[0].range.begin == 26);
  }
  // The edges of the valid ranges are accepted.
  for (const std::string ok : {"\xC2\x80", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                               "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    auto p = parse("// x\ndata d: File = file(\"" + ok + "\")\n");
    CHECK(p->codes().empty());
  }
}
