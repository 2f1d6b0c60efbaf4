#pragma once
/// Questions about a checked program by source position, for editors: what is at this offset,
/// what is its type, where is it defined, what does this file declare. Reads the AST and sema's
/// side tables; never the parse tree. Every function accepts a program that had errors (holes in
/// the tree, missing types) and answers what it can.
#include "sema/sema.h"

#include <optional>
#include <string>
#include <vector>

namespace mlpc::query {

/// What sits at an offset: the innermost thing an editor can ask about.
enum class TargetKind {
  None,
  Expr,         ///< expr: any expression (a name, a literal, a call, ...)
  MemberName,   ///< expr: the MemberExpr whose member name is under the offset
  ArgName,      ///< expr: the CallExpr; arg: the named argument whose name is under the offset
  DeclName,     ///< decl
  ParamName,    ///< decl, param; isOutput for a step's outputs
  PropertyName, ///< decl, prop
  BindingName,  ///< stmt: the AssignStmt
  LoopVarName,  ///< stmt: the ForStmt
  ImportPath,   ///< decl: the ImportDecl
  TypeName,     ///< type: the TypeExpr whose name is under the offset
};

struct Target {
  TargetKind kind = TargetKind::None;
  SourceRange range; ///< the span the answer is about (for a hover's highlight)
  const ast::Expr* expr = nullptr;
  const ast::Arg* arg = nullptr;
  const ast::Decl* decl = nullptr;
  const ast::Param* param = nullptr;
  bool isOutput = false;
  const ast::Property* prop = nullptr;
  const ast::Stmt* stmt = nullptr;
  const ast::TypeExpr* type = nullptr;
};

/// The innermost target at `offset` in `m` (a cursor just after a name still touches it).
Target locate(const ast::Module& m, uint32_t offset);

/// The loaded module whose source is `file`, or null.
const sema::Module* moduleOfFile(const sema::Program& prog, FileId file);
/// The loaded module with this canonical path, or null.
const sema::Module* moduleByPath(const sema::Program& prog, const std::string& path);

struct HoverInfo {
  SourceRange range;
  std::string markdown;
};
/// The type of the name or expression at `offset`; for a step or pipeline, its signature and
/// doc comment; for a unit literal, its canonical value.
std::optional<HoverInfo> hover(const sema::Program& prog, const sema::Module& m, uint32_t offset);

/// Where the thing at `offset` is declared: a range in one of the program's files (possibly in
/// an imported module or the stdlib). For an import's path, the start of the imported file.
std::optional<SourceRange> definition(const sema::Program& prog, const sema::Module& m,
                                      uint32_t offset);

/// Every place that refers to the same declaration as the thing at `offset`, in all modules the
/// program loaded (the file, its imports, the stdlib modules it uses), in module and source order;
/// the declaration itself first when `includeDeclaration`. Empty when nothing is declared there.
std::vector<SourceRange> references(const sema::Program& prog, const sema::Module& m,
                                    uint32_t offset, bool includeDeclaration);

/// What renaming the name at `offset` rewrites: its declaration and every use (as references()
/// finds them). `error` says why it cannot be renamed: nothing declared there, a module alias, a
/// builtin, a declaration in the stdlib, or a `newName` that is not a name.
struct RenamePlan {
  SourceRange name; ///< the name under the cursor
  std::string oldName;
  std::vector<SourceRange> edits;
  std::string error;
};
/// With an empty `newName`, only whether (and what) the cursor's name can be renamed.
RenamePlan planRename(const sema::Program& prog, const sema::Module& m, uint32_t offset,
                      const std::string& newName);

/// Why the name `oldName` at these places (its declaration and uses, in `prog`'s files) cannot be
/// renamed: a place in the stdlib or outside the loaded files, or one that does not spell the
/// name; empty when it can. planRename applies it to what it found; an editor applies it to the
/// uses it finds in other files (usesIn).
std::string renameRefusal(const sema::Program& prog, const std::vector<SourceRange>& places,
                          const std::string& oldName);

// ---- Across a workspace: the files that import a file, which its program does not load.

/// The local files (`./…`, `../…`) that `text`, the content of the file at canonical `path`,
/// imports, as canonical paths in source order: the edges of an editor's workspace index. From
/// the syntax alone (nothing is checked or loaded); nullopt when the text has syntax errors.
std::optional<std::vector<std::string>> localImports(const std::string& path,
                                                     const std::string& text);

/// A declaration that files importing its file can use: a top-level declaration of a local
/// (not stdlib) file, or a parameter or output of one.
struct Exported {
  std::string path;    ///< the canonical path of the declaring file
  uint32_t offset = 0; ///< where its name begins in that file
  std::string name;
};
/// The exported declaration the name at `offset` declares or refers to; nullopt for local names
/// (bindings, loop variables), modules, builtins and the stdlib.
std::optional<Exported> exportedAt(const sema::Program& prog, const sema::Module& m,
                                   uint32_t offset);
/// The uses of `decl` in `importer`, a module of `prog` that imports decl's file: names, members,
/// named arguments and `${…}`, in source order. Empty when that file (as `prog` loaded it) no
/// longer declares `decl.name` at `decl.offset`.
std::vector<SourceRange> usesIn(const sema::Program& prog, const sema::Module& importer,
                                const Exported& decl);

/// The LSP's SymbolKind numbers for what a file declares.
enum class SymbolKind {
  Module = 2,
  Class = 5,
  Property = 7,
  Field = 8,
  Interface = 11,
  Function = 12,
  Variable = 13,
  Event = 24,
};

struct Symbol {
  std::string name;
  std::string detail;
  SymbolKind kind = SymbolKind::Variable;
  SourceRange range;     ///< the whole declaration
  SourceRange selection; ///< its name (inside `range`)
  std::vector<Symbol> children;
};
/// The declarations of one file with their parameters, outputs, properties and bindings. Works
/// on the syntax tree alone, so a file with syntax errors still has an outline.
std::vector<Symbol> documentSymbols(const ast::Module& m);

/// The LSP's CompletionItemKind numbers for what completion offers.
enum class CompletionKind {
  Function = 3,
  Field = 5,
  Variable = 6,
  Class = 7,
  Interface = 8,
  Module = 9,
  Property = 10,
  Value = 12,
  Keyword = 14,
  Event = 23,
};

struct Completion {
  std::string label;
  CompletionKind kind = CompletionKind::Variable;
  std::string detail;     ///< a type or a signature; may be empty
  std::string insertText; ///< what to insert instead of `label` (`trees = `); empty: the label
};

struct Completions {
  /// The bytes of `text` the chosen item replaces: the partial word before the cursor (inside an
  /// import's string, the path typed so far). begin == end when nothing is typed yet.
  uint32_t replaceBegin = 0, replaceEnd = 0;
  std::vector<Completion> items;
};

/// What may be typed at `offset` of `text` (the document as the editor has it, which often does
/// not parse): names in scope, a call's argument names, the outputs and fields after `x.`, the
/// properties of the declaration whose block holds the cursor, `std/…` modules in an import.
/// The context comes from the tokens before the cursor; names and types from `prog`/`m`, a
/// checked version of the same document (possibly an older one that parsed: names are looked up
/// by name, never by offset). `stdlibModules` as sema::stdlibModules gives them.
Completions complete(const std::string& text, uint32_t offset, const sema::Program& prog,
                     const sema::Module& m, const std::vector<std::string>& stdlibModules);

/// The kinds of semantic tokens, in the order of the legend the server announces.
enum class SemanticType {
  Namespace,
  Type,
  Class,
  Interface,
  Event,
  Function,
  Parameter,
  Variable,
  Property,
  Keyword,
  String,
  Number,
  Comment,
  Operator,
};
/// Modifier bits.
enum SemanticModifier : unsigned {
  kDeclaration = 1,    ///< where the name is declared
  kDefaultLibrary = 2, ///< declared in the stdlib, or a builtin
  kUnit = 4,           ///< a number with a unit: `5m`, `2GiB`, `10%`
};
/// The legend's names, indexed by SemanticType and by modifier bit.
const std::vector<std::string>& semanticTypeNames();
const std::vector<std::string>& semanticModifierNames();

struct SemanticToken {
  uint32_t begin = 0, end = 0; ///< bytes of the module's file (may span lines)
  SemanticType type = SemanticType::Variable;
  unsigned modifiers = 0;
};
/// Every token of the module's file that has a colour, in order and never overlapping: words,
/// strings, numbers, units, comments and operators from the tokens; names classified by what
/// they declare or refer to (from the syntax tree and sema's resolutions; a name the checker did
/// not resolve, as in a file with syntax errors, is left out). The `${name}` in a string is a
/// token of its own between two pieces of the string.
std::vector<SemanticToken> semanticTokens(const sema::Program& prog, const sema::Module& m);

/// The `//` comment lines directly above `offset`'s line (the doc comment of a declaration), with
/// the slashes and one following space removed; empty when there is none.
std::string docComment(const SourceManager& sm, SourceRange declRange);

} // namespace mlpc::query
