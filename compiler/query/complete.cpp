// Completion: the context from the tokens before the cursor (the text is usually half-typed and
// does not parse), the candidates from a checked version of the document, looked up by name.
#include "query/describe.h"
#include "query/query.h"
#include "syntax/lex.h"

#include <cctype>
#include <set>

namespace mlpc::query {

namespace {

using syntax::LexKind;
using syntax::LexToken;

bool isWord(const LexToken& t) {
  return t.kind == LexKind::Name || t.kind == LexKind::DeclWord || t.kind == LexKind::Keyword;
}
bool isName(const LexToken& t) {
  return t.kind == LexKind::Name || t.kind == LexKind::DeclWord;
}

CompletionKind kindOf(ast::DeclKind k) {
  switch (k) {
  case ast::DeclKind::Import:
    return CompletionKind::Module;
  case ast::DeclKind::Data:
    return CompletionKind::Variable;
  case ast::DeclKind::Step:
  case ast::DeclKind::Pipeline:
    return CompletionKind::Function;
  case ast::DeclKind::Server:
  case ast::DeclKind::Model:
    return CompletionKind::Class;
  case ast::DeclKind::Endpoint:
    return CompletionKind::Interface;
  case ast::DeclKind::Monitor:
  case ast::DeclKind::Schedule:
    return CompletionKind::Event;
  }
  return CompletionKind::Variable;
}

std::string typeText(const sema::Type& t) {
  return t.isError() ? "" : t.str();
}

/// One unmatched `(`, `[` or `{` before the cursor, and what it opens.
struct Open {
  size_t token;        ///< index of the bracket in the token list
  std::string loopVar; ///< the `{` of `for NAME in …`: NAME
};

/// The tokens before the cursor read as the nesting the cursor is in.
struct Context {
  std::vector<Open> opens;
  /// The declaration the cursor is in (the last declaration word at the top level) and its name.
  std::optional<ast::DeclKind> decl;
  std::string declName;
  /// Names bound so far in the declaration's block (`NAME = …` at a statement's start).
  std::vector<std::string> bindings;
};

std::optional<ast::DeclKind> declKindOf(const std::string& word) {
  static const std::pair<const char*, ast::DeclKind> kinds[] = {
      {"import", ast::DeclKind::Import},     {"data", ast::DeclKind::Data},
      {"step", ast::DeclKind::Step},         {"server", ast::DeclKind::Server},
      {"pipeline", ast::DeclKind::Pipeline}, {"model", ast::DeclKind::Model},
      {"endpoint", ast::DeclKind::Endpoint}, {"monitor", ast::DeclKind::Monitor},
      {"schedule", ast::DeclKind::Schedule}};
  for (auto& [w, k] : kinds)
    if (word == w) return k;
  return std::nullopt;
}

/// Whether the token after `prev` starts something new (a property or a statement): after an
/// opening brace, or on a later line after a token that cannot continue an expression.
bool startsItem(const std::string& text, const std::vector<LexToken>& toks, size_t n, uint32_t at) {
  if (n == 0) return true;
  const LexToken& prev = toks[n - 1];
  if (prev.text == "{" || prev.text == "}") return true;
  if (prev.kind == LexKind::Punctuation && prev.text != ")" && prev.text != "]") return false;
  if (prev.kind == LexKind::Keyword && prev.text != "true" && prev.text != "false") return false;
  return text.find('\n', prev.end) < at;
}

Context readContext(const std::string& text, const std::vector<LexToken>& toks, size_t n) {
  Context c;
  std::string pendingLoopVar;
  for (size_t i = 0; i < n; ++i) {
    const LexToken& t = toks[i];
    if (t.kind == LexKind::Comment) continue;
    if (c.opens.empty() && (t.kind == LexKind::DeclWord || t.text == "import") &&
        startsItem(text, toks, i, t.begin)) {
      c.decl = declKindOf(t.text);
      c.declName.clear();
      c.bindings.clear();
      if (i + 1 < n && isName(toks[i + 1])) c.declName = toks[i + 1].text;
      continue;
    }
    if (t.kind == LexKind::Punctuation) {
      if (t.text == "(" || t.text == "[" || t.text == "{") {
        c.opens.push_back({i, t.text == "{" ? pendingLoopVar : ""});
        if (t.text == "{") pendingLoopVar.clear();
      } else if ((t.text == ")" || t.text == "]" || t.text == "}") && !c.opens.empty()) {
        c.opens.pop_back();
      }
      continue;
    }
    if (t.text == "for" && i + 1 < n && isName(toks[i + 1])) pendingLoopVar = toks[i + 1].text;
    if (c.decl == ast::DeclKind::Pipeline && isName(t) && !c.opens.empty() &&
        toks[c.opens.back().token].text == "{" && i + 1 < n && toks[i + 1].text == "=" &&
        startsItem(text, toks, i, t.begin))
      c.bindings.push_back(t.text);
  }
  return c;
}

const ast::Decl* findDecl(const sema::Module& m, const std::string& name) {
  auto it = m.symbols.find(name);
  return it == m.symbols.end() ? nullptr : it->second;
}

class Completer {
public:
  Completer(const sema::Program& prog, const sema::Module& m) : prog_(prog), m_(m) {}
  std::vector<Completion> items;

  void add(std::string label, CompletionKind kind, std::string detail = "",
           std::string insert = "") {
    // A name may come twice: as an argument name (`seed = `) and as a value in scope (`seed`).
    if (label.empty() || !seen_.insert(label + "\n" + insert).second) return;
    items.push_back({std::move(label), kind, std::move(detail), std::move(insert)});
  }

  /// The declarations and import aliases of the module, and what the language defines.
  void topLevel(bool inPipeline) {
    for (auto& [name, d] : m_.symbols) {
      if (d->kind == ast::DeclKind::Import) {
        auto it = m_.imports.find(name);
        add(name, CompletionKind::Module,
            it != m_.imports.end() && it->second ? moduleName(*it->second) : "");
      } else {
        add(name, kindOf(d->kind), signature(prog_, *d));
      }
    }
    if (inPipeline)
      for (auto& b : sema::pipelineBuiltins())
        add(b, CompletionKind::Function, "builtin");
  }

  /// A pipeline's parameters and bindings, and a step's parameters, with their types.
  void declScope(const ast::Decl* d) {
    if (!d) return;
    if (d->kind == ast::DeclKind::Pipeline) {
      auto& p = d->as<ast::PipelineDecl>();
      for (auto& param : p.params)
        add(param.name.name, CompletionKind::Variable, typeText(prog_.paramType(param)));
      block(p.body);
    } else if (d->kind == ast::DeclKind::Step || d->kind == ast::DeclKind::Server) {
      for (auto& param : d->as<ast::StepDecl>().params)
        add(param.name.name, CompletionKind::Variable, typeText(prog_.paramType(param)));
    }
  }

  /// What `${…}` may name in a step's or server's strings: its parameters and outputs (an
  /// unnamed output is `out`), and a server's `port`.
  void interpolations(const ast::Decl* d) {
    if (!d || (d->kind != ast::DeclKind::Step && d->kind != ast::DeclKind::Server)) return;
    auto& s = d->as<ast::StepDecl>();
    for (auto& param : s.params)
      add(param.name.name, CompletionKind::Variable, typeText(prog_.paramType(param)));
    for (auto& o : s.outputs)
      add(o.name.name, CompletionKind::Variable, typeText(prog_.paramType(o)));
    if (d->kind == ast::DeclKind::Server) add("port", CompletionKind::Variable, "int");
  }

  void loopVar(const ast::Decl* d, const std::string& name) {
    sema::Type t = d && d->kind == ast::DeclKind::Pipeline
                       ? loopVarType(d->as<ast::PipelineDecl>().body, name)
                       : sema::Type::error();
    add(name, CompletionKind::Variable, typeText(t));
  }

  /// The type of `name` seen from inside declaration `d`: a binding, a parameter, a loop
  /// variable or a data declaration.
  sema::Type typeOfName(const ast::Decl* d, const std::string& name) {
    if (d && d->kind == ast::DeclKind::Pipeline) {
      auto& p = d->as<ast::PipelineDecl>();
      for (auto& param : p.params)
        if (param.name.name == name) return prog_.paramType(param);
      if (const ast::Stmt* s = binding(p.body, name)) {
        if (const sema::Type* t = prog_.bindingType(s)) return *t;
      }
      sema::Type t = loopVarType(p.body, name);
      if (!t.isError()) return t;
    }
    if (d && (d->kind == ast::DeclKind::Step || d->kind == ast::DeclKind::Server))
      for (auto& param : d->as<ast::StepDecl>().params)
        if (param.name.name == name) return prog_.paramType(param);
    if (const ast::Decl* top = findDecl(m_, name)) {
      if (top->kind == ast::DeclKind::Data) {
        auto it = prog_.dataTypes.find(top);
        if (it != prog_.dataTypes.end()) return it->second;
      }
      if (top->kind == ast::DeclKind::Model)
        return sema::Type::ref(sema::TypeKind::ModelGroup, top);
    }
    return sema::Type::error();
  }

  /// The members of `t`: a record's outputs, a Metrics' fields, a model group's versions.
  void members(const sema::Type& t) {
    if (t.kind == sema::TypeKind::List && t.elem) return members(*t.elem);
    if (t.kind == sema::TypeKind::ModelGroup) {
      add("approved", CompletionKind::Field, "the approved version");
      add("latest", CompletionKind::Field, "the latest version");
      add("version", CompletionKind::Function, "version(N)");
      return;
    }
    if (t.fields)
      for (auto& f : *t.fields)
        add(f.name, CompletionKind::Field, typeText(f.type));
  }

  /// The public declarations of an imported module.
  void moduleMembers(const sema::Module& mod) {
    for (auto& d : mod.ast.decls)
      if (d->kind != ast::DeclKind::Import)
        add(d->name.name, kindOf(d->kind), signature(prog_, *d));
  }

  const sema::Module* importedModule(const std::string& alias) {
    auto it = m_.imports.find(alias);
    return it == m_.imports.end() ? nullptr : it->second;
  }

private:
  const sema::Program& prog_;
  const sema::Module& m_;
  std::set<std::string> seen_;

  static std::string moduleName(const sema::Module& mod) {
    return mod.stdlibName.empty() ? mod.displayPath : mod.stdlibName;
  }

  void block(const ast::Block& b) {
    for (auto& s : b.stmts) {
      if (s->kind == ast::StmtKind::Assign) {
        const sema::Type* t = prog_.bindingType(s.get());
        add(s->as<ast::AssignStmt>().name.name, CompletionKind::Variable, t ? typeText(*t) : "");
      } else if (s->kind == ast::StmtKind::For) {
        block(s->as<ast::ForStmt>().body);
      } else if (s->kind == ast::StmtKind::If) {
        auto& i = s->as<ast::IfStmt>();
        block(i.then);
        if (i.hasElse) block(i.otherwise);
      }
    }
  }

  static const ast::Stmt* binding(const ast::Block& b, const std::string& name) {
    for (auto& s : b.stmts) {
      const ast::Stmt* found = nullptr;
      if (s->kind == ast::StmtKind::Assign && s->as<ast::AssignStmt>().name.name == name)
        return s.get();
      if (s->kind == ast::StmtKind::For) found = binding(s->as<ast::ForStmt>().body, name);
      if (s->kind == ast::StmtKind::If) {
        auto& i = s->as<ast::IfStmt>();
        found = binding(i.then, name);
        if (!found && i.hasElse) found = binding(i.otherwise, name);
      }
      if (found) return found;
    }
    return nullptr;
  }

  sema::Type loopVarType(const ast::Block& b, const std::string& name) {
    for (auto& s : b.stmts) {
      if (s->kind == ast::StmtKind::For) {
        auto& f = s->as<ast::ForStmt>();
        if (f.var.name == name && f.iterable) {
          sema::Type t = prog_.typeOf(f.iterable.get());
          if (t.kind == sema::TypeKind::List && t.elem) return *t.elem;
        }
        sema::Type inner = loopVarType(f.body, name);
        if (!inner.isError()) return inner;
      } else if (s->kind == ast::StmtKind::If) {
        auto& i = s->as<ast::IfStmt>();
        sema::Type inner = loopVarType(i.then, name);
        if (inner.isError() && i.hasElse) inner = loopVarType(i.otherwise, name);
        if (!inner.isError()) return inner;
      }
    }
    return sema::Type::error();
  }
};

/// `a.b.c` ending at token n-1 (exclusive of a final `.`), first name first; empty when the
/// tokens there are not a chain of names.
std::vector<std::string> nameChain(const std::vector<LexToken>& toks, size_t n) {
  std::vector<std::string> chain;
  size_t i = n;
  while (i > 0 && isName(toks[i - 1])) {
    chain.insert(chain.begin(), toks[i - 1].text);
    if (i >= 2 && toks[i - 2].text == "." && toks[i - 2].kind == LexKind::Punctuation)
      i -= 2;
    else
      break;
  }
  return chain;
}

/// Where the name typed so far begins when `offset` is inside an unclosed `${` of the string
/// token starting at `begin` (`"train ${da|`); nullopt elsewhere in a string.
std::optional<uint32_t> interpolationAt(const std::string& text, uint32_t begin, uint32_t offset) {
  uint32_t i = offset;
  while (i > begin && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_'))
    --i;
  if (i < begin + 2 || text.compare(i - 2, 2, "${") != 0) return std::nullopt;
  return i;
}

} // namespace

Completions complete(const std::string& text, uint32_t offset, const sema::Program& prog,
                     const sema::Module& m, const std::vector<std::string>& stdlibModules) {
  Completions out;
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text.size()));
  out.replaceBegin = out.replaceEnd = offset;
  std::vector<LexToken> toks = syntax::lex(text);

  // The token the cursor is in or at the end of (a word being typed, a string not closed yet);
  // `n` counts the tokens wholly before it.
  size_t n = 0;
  while (n < toks.size() && toks[n].end < offset)
    ++n;
  if (n < toks.size() && toks[n].end == offset && !isWord(toks[n]) && !toks[n].unterminated)
    ++n; // the cursor is just after a token that is not being typed
  if (n < toks.size() && toks[n].begin < offset) {
    const LexToken& in = toks[n];
    // Inside a string: an import's path, and a name in `${…}` in a step's or server's string.
    if (in.kind == LexKind::String) {
      if (n > 0 && toks[n - 1].text == "import" && in.text.rfind("\"\"\"", 0) != 0) {
        out.replaceBegin = in.begin + 1;
        for (auto& mod : stdlibModules)
          out.items.push_back({mod, CompletionKind::Module, "", ""});
      } else if (auto name = interpolationAt(text, in.begin, offset)) {
        out.replaceBegin = *name;
        Context ctx = readContext(text, toks, n);
        const ast::Decl* decl = ctx.declName.empty() ? nullptr : findDecl(m, ctx.declName);
        if (decl && ctx.decl == decl->kind) {
          Completer c(prog, m);
          c.interpolations(decl);
          out.items = std::move(c.items);
        }
      }
      return out;
    }
    if (!isWord(in)) return out; // inside a comment, a number, an operator
    out.replaceBegin = in.begin; // the word is replaced from its start
  } else if (n > 0 && toks[n - 1].end == offset && toks[n - 1].kind != LexKind::Punctuation) {
    return out; // right after a string, a number or a comment
  }

  Completer c(prog, m);
  Context ctx = readContext(text, toks, n);
  const ast::Decl* decl = ctx.declName.empty() ? nullptr : findDecl(m, ctx.declName);
  if (decl && ctx.decl && decl->kind != *ctx.decl) decl = nullptr;

  // After `x.`: the members of what `x` is.
  if (n >= 2 && toks[n - 1].text == "." && toks[n - 1].kind == LexKind::Punctuation) {
    std::vector<std::string> chain = nameChain(toks, n - 1);
    if (chain.empty()) return out;
    if (const sema::Module* mod = c.importedModule(chain[0]); mod && chain.size() == 1) {
      c.moduleMembers(*mod);
    } else {
      sema::Type t = c.typeOfName(decl, chain[0]);
      for (size_t i = 1; i < chain.size() && !t.isError(); ++i) {
        sema::Type base = t.kind == sema::TypeKind::List && t.elem ? *t.elem : t;
        const sema::Field* f = base.field(chain[i]);
        t = f ? f->type : sema::Type::error();
      }
      c.members(t);
    }
    out.items = std::move(c.items);
    return out;
  }

  if (ctx.opens.empty()) {
    // Between declarations.
    for (const char* k : {"import", "data", "step", "server", "pipeline", "model", "endpoint",
                          "monitor", "schedule"})
      c.add(k, CompletionKind::Keyword);
    out.items = std::move(c.items);
    return out;
  }

  const Open& inner = ctx.opens.back();
  const std::string& bracket = toks[inner.token].text;
  bool inPipeline = ctx.decl == ast::DeclKind::Pipeline;
  bool propertyBlock = ctx.decl && !sema::propertyNames(*ctx.decl).empty();

  // A property's name, directly in a step's, server's, model's, … block.
  if (propertyBlock && ctx.opens.size() == 1 && bracket == "{" &&
      startsItem(text, toks, n, out.replaceBegin)) {
    std::set<std::string> set;
    for (size_t i = inner.token + 1; i + 1 < n; ++i)
      if (isName(toks[i]) && toks[i + 1].text == "=" && startsItem(text, toks, i, toks[i].begin))
        set.insert(toks[i].text);
    for (auto& p : sema::propertyNames(*ctx.decl))
      if (!set.count(p)) c.add(p, CompletionKind::Property, "", p + " = ");
    out.items = std::move(c.items);
    return out;
  }

  // A field's name in a record-valued property (`resources = { cpu: 2, |`): the fields not given.
  if (propertyBlock && ctx.opens.size() == 2 && bracket == "{" && inner.token >= 2 &&
      toks[inner.token - 1].text == "=" && isName(toks[inner.token - 2]) &&
      (toks[n - 1].text == "{" || toks[n - 1].text == ",")) {
    if (auto* fields = sema::propertyFields(*ctx.decl, toks[inner.token - 2].text)) {
      std::set<std::string> given;
      for (size_t i = inner.token + 1; i + 1 < n; ++i)
        if (isName(toks[i]) && toks[i + 1].text == ":") given.insert(toks[i].text);
      for (auto& f : *fields)
        if (!given.count(f.name))
          c.add(f.name, CompletionKind::Field,
                typeText(sema::Type::of(f.type)) + (f.required ? " (required)" : ""),
                f.name + ": ");
      out.items = std::move(c.items);
      return out;
    }
  }

  // A declaration's parameter list (`step S(|`) and a data source (`file(|`): nothing to offer.
  if (bracket == "(" && ctx.opens.size() == 1) return out;

  // A call's argument names, after `(` or `,`: `Train(data, |`.
  if (bracket == "(" && inner.token > 0 && n > 0 &&
      (toks[n - 1].text == "(" || toks[n - 1].text == ",")) {
    std::vector<std::string> callee = nameChain(toks, inner.token);
    const ast::Decl* target = nullptr;
    const sema::Module* owner = &m;
    if (callee.size() == 2) owner = c.importedModule(callee[0]);
    if (owner && (callee.size() == 1 || callee.size() == 2))
      target = findDecl(*owner, callee.back());
    const std::vector<ast::Param>* params = nullptr;
    if (target && (target->kind == ast::DeclKind::Step || target->kind == ast::DeclKind::Server))
      params = &target->as<ast::StepDecl>().params;
    if (target && target->kind == ast::DeclKind::Pipeline)
      params = &target->as<ast::PipelineDecl>().params;
    if (params) {
      std::set<std::string> given;
      for (size_t i = inner.token + 1; i + 1 < n; ++i)
        if (isName(toks[i]) && toks[i + 1].text == "=") given.insert(toks[i].text);
      for (auto& p : *params)
        if (!given.count(p.name.name))
          c.add(p.name.name, CompletionKind::Field, paramText(prog.sm, p), p.name.name + " = ");
    }
  }

  // The value of a property that defines names of its own (`rollback = error_rate > 1%`).
  if (propertyBlock)
    for (size_t i = n; i-- > ctx.opens[0].token + 1;)
      if (isName(toks[i]) && i + 1 < n && toks[i + 1].text == "=" &&
          startsItem(text, toks, i, toks[i].begin)) {
        if (const sema::ContextNames* names = sema::propertyContext(*ctx.decl, toks[i].text))
          for (auto& [name, type] : *names)
            c.add(name, CompletionKind::Value, typeText(type));
        break;
      }

  // An expression or a statement: the names in scope.
  if (inPipeline && bracket == "{" && startsItem(text, toks, n, out.replaceBegin))
    for (const char* k : {"for", "if", "register", "fail"})
      c.add(k, CompletionKind::Keyword);
  for (auto& o : ctx.opens)
    if (!o.loopVar.empty()) c.loopVar(decl, o.loopVar);
  c.declScope(decl);
  for (auto& b : ctx.bindings)
    c.add(b, CompletionKind::Variable);
  c.topLevel(inPipeline);
  out.items = std::move(c.items);
  return out;
}

} // namespace mlpc::query
