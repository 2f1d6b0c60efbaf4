#!/usr/bin/python3
"""Writes syntaxes/mlp.tmLanguage.json, the TextMate grammar for .mlp files (grammar/Mlp.g4).

    /usr/bin/python3 editors/vscode/syntaxes/generate.py          # rewrite the JSON
    /usr/bin/python3 editors/vscode/syntaxes/generate.py --check  # exit 1 if it is out of date

Regexes are Oniguruma (what VS Code uses). tests/editors/vscode_test.sh checks that the JSON is
what this script writes, that every keyword of grammar/Mlp.g4 appears in it, and runs the scope
assertions in editors/vscode/test/*.test.mlp.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mlp.tmLanguage.json")

ID = r"[A-Za-z_][A-Za-z0-9_]*"

# Reserved words (grammar/Mlp.g4's lexer), by what they do.
IMPORT_WORDS = ["import", "as"]
CONDITIONAL_WORDS = ["if", "else"]
LOOP_WORDS = ["for", "in"]
REGISTER_WORDS = ["register", "with"]
FLOW_WORDS = ["fail"]
LOGICAL_WORDS = ["and", "or", "not"]
BOOLEANS = ["true", "false"]
# Contextual words: they open a declaration at the top level, and are ordinary names elsewhere
# (`model = iris.latest`, `data.Split(…)`), so they are keywords only before a declaration's name.
CALLABLE_DECLS = ["step", "server", "pipeline"]
TYPE_DECLS = ["model", "endpoint", "monitor", "schedule"]
DATA_DECLS = ["data"]
# Type names and builtins are ordinary identifiers in the language; highlighted where they are
# not being defined or called as something else.
TYPES = ["int", "float", "bool", "string", "duration", "size", "percent", "list", "File", "Dir",
         "Dataset", "Model", "Metrics"]
GENERIC_TYPES = ["list", "Dataset", "Model"]
BUILTINS = ["range", "len", "flatten", "argmax", "argmin", "transform", "file"]
DURATION_UNITS = ["ms", "s", "m", "h", "d"]
SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB", "KB", "MB", "GB", "TB", "B"]



def kw(ws, scope):
    return {"match": r"(?<![.\w])(?:" + "|".join(ws) + r")\b", "name": scope + ".mlp"}


NUM = r"\d+(?:\.\d+)?"

repository = {
    "comments": {"patterns": [
        {"name": "comment.line.double-slash.mlp",
         "match": r"(//).*$\n?",
         "captures": {"1": {"name": "punctuation.definition.comment.mlp"}}},
        {"name": "comment.block.mlp",
         "begin": r"/\*", "end": r"\*/",
         "beginCaptures": {"0": {"name": "punctuation.definition.comment.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.definition.comment.end.mlp"}}},
    ]},
    "strings": {"patterns": [
        {"name": "string.quoted.triple.mlp",
         "begin": r'"""', "end": r'"""',
         "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.definition.string.end.mlp"}},
         # Raw: a backslash is an ordinary character; `$${` is a literal `${`.
         "patterns": [{"include": "#dollar-escape"}, {"include": "#interpolation"}]},
        {"name": "string.quoted.double.mlp",
         # One line: a string that reaches the end of its line is unterminated (E001).
         "begin": r'"', "end": r'(")|$',
         "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.mlp"}},
         "endCaptures": {"1": {"name": "punctuation.definition.string.end.mlp"}},
         "patterns": [
             {"include": "#dollar-escape"},
             {"name": "constant.character.escape.mlp", "match": r'\\[ntr0\\"$]'},
             {"name": "invalid.illegal.escape.mlp", "match": r"\\."},
             {"include": "#interpolation"},
         ]},
    ]},
    "dollar-escape": {"name": "constant.character.escape.mlp", "match": r"\$\$\{"},
    "interpolation": {
        "name": "meta.interpolation.mlp",
        # The string's token ends at the first `"` (an interpolation cannot hold a string), and a
        # one-line string at the end of its line.
        "begin": r"\$\{", "end": r'(\})|(?=")|$',
        "beginCaptures": {"0": {"name": "punctuation.section.interpolation.begin.mlp"}},
        "endCaptures": {"1": {"name": "punctuation.section.interpolation.end.mlp"}},
        "patterns": [{"include": "#interpolation-braces"}, {"include": "#expression-core"}]},
    "interpolation-braces": {
        # Braces nest inside an interpolation: `"${ {a: 1}.a }"`.
        "begin": r"\{", "end": r'(\})|(?=")|$',
        "beginCaptures": {"0": {"name": "punctuation.section.braces.begin.mlp"}},
        "endCaptures": {"1": {"name": "punctuation.section.braces.end.mlp"}},
        "patterns": [{"include": "#interpolation-braces"}, {"include": "#expression-core"}]},
    "numbers": {"patterns": [
        {"name": "constant.numeric.duration.mlp",
         "match": r"\b(" + NUM + r")(" + "|".join(DURATION_UNITS) + r")\b",
         "captures": {"2": {"name": "keyword.other.unit.mlp"}}},
        {"name": "constant.numeric.size.mlp",
         "match": r"\b(" + NUM + r")(" + "|".join(SIZE_UNITS) + r")\b",
         "captures": {"2": {"name": "keyword.other.unit.mlp"}}},
        {"name": "constant.numeric.percent.mlp",
         "match": r"\b(" + NUM + r")(%)",
         "captures": {"2": {"name": "keyword.other.unit.mlp"}}},
        {"name": "constant.numeric.float.mlp",
         "match": r"\b\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+)\b"},
        # Any other letters after a number (`5min`, `3x`) are one bad token (E025).
        {"name": "invalid.illegal.unit.mlp",
         "match": r"\b" + NUM + r"[A-Za-z_][A-Za-z0-9_]*"},
        {"name": "constant.numeric.integer.mlp", "match": r"\b\d+\b"},
    ]},
    "keywords": {"patterns": [
        kw(IMPORT_WORDS, "keyword.control.import"),
        kw(CONDITIONAL_WORDS, "keyword.control.conditional"),
        kw(LOOP_WORDS, "keyword.control.loop"),
        kw(REGISTER_WORDS, "keyword.other.register"),
        kw(FLOW_WORDS, "keyword.control.flow"),
        kw(LOGICAL_WORDS, "keyword.operator.logical"),
        kw(BOOLEANS, "constant.language.boolean"),
    ]},
    "declarations": {"patterns": [
        # step/server/pipeline NAME( parameters )
        {"begin": r"^\s*(" + "|".join(CALLABLE_DECLS) + r")\s+(" + ID + r")\s*(\()",
         "end": r"\)",
         "beginCaptures": {"1": {"name": "storage.type.declaration.mlp"},
                           "2": {"name": "entity.name.function.mlp"},
                           "3": {"name": "punctuation.section.parens.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.section.parens.end.mlp"}},
         "contentName": "meta.parameters.mlp",
         "patterns": [{"include": "#parameter-list"}]},
        {"match": r"^\s*(" + "|".join(CALLABLE_DECLS) + r")\s+(" + ID + r")\b",
         "captures": {"1": {"name": "storage.type.declaration.mlp"},
                      "2": {"name": "entity.name.function.mlp"}}},
        {"match": r"^\s*(" + "|".join(TYPE_DECLS) + r")\s+(" + ID + r")\b",
         "captures": {"1": {"name": "storage.type.declaration.mlp"},
                      "2": {"name": "entity.name.type.mlp"}}},
        {"match": r"^\s*(" + "|".join(DATA_DECLS) + r")\s+(" + ID + r")\b",
         "captures": {"1": {"name": "storage.type.declaration.mlp"},
                      "2": {"name": "variable.other.constant.mlp"}}},
        # -> ( outputs )
        {"begin": r"(->)\s*(\()",
         "end": r"\)",
         "beginCaptures": {"1": {"name": "keyword.operator.arrow.mlp"},
                           "2": {"name": "punctuation.section.parens.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.section.parens.end.mlp"}},
         "contentName": "meta.parameters.mlp",
         "patterns": [{"include": "#parameter-list"}]},
    ]},
    "parameter-list": {"patterns": [
        {"include": "#comments"},
        {"match": r"\b(" + ID + r")\s*(:)(?!:)",
         "captures": {"1": {"name": "variable.parameter.mlp"},
                      "2": {"name": "punctuation.separator.colon.mlp"}}},
        {"include": "#types"},
        # A parameter's type, also before its default (`trees: int = 100`).
        {"match": r"(?<![.\w])(?:" + "|".join(TYPES) + r")\b(?!\s*\()", "name": "support.type.mlp"},
        {"include": "#expression"},
    ]},
    "types": {"patterns": [
        # Metrics{name: type, …}
        {"begin": r"(?<![.\w])(Metrics)\s*(\{)", "end": r"\}",
         "beginCaptures": {"1": {"name": "support.type.mlp"},
                           "2": {"name": "punctuation.section.braces.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.section.braces.end.mlp"}},
         "patterns": [{"include": "#metrics-fields"}]},
        # list<T>, Dataset<csv>, Model<sklearn>
        {"begin": r"(?<![.\w])(" + "|".join(GENERIC_TYPES) + r")\s*(<)", "end": r">",
         "beginCaptures": {"1": {"name": "support.type.mlp"},
                           "2": {"name": "punctuation.definition.typeparameters.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.definition.typeparameters.end.mlp"}},
         "patterns": [
             {"include": "#types"},
             {"match": ID, "name": "entity.name.type.mlp"},
             {"include": "#punctuation"},
         ]},
        # A type name, unless it is being bound (`size = 3`), called or read as a field.
        {"match": r"(?<![.\w])(?:" + "|".join(TYPES) + r")\b(?!\s*(?:=(?!=)|\())",
         "name": "support.type.mlp"},
    ]},
    "metrics-fields": {"patterns": [
        {"include": "#comments"},
        {"match": r"\b(" + ID + r")\s*(:)",
         "captures": {"1": {"name": "variable.other.field.mlp"},
                      "2": {"name": "punctuation.separator.colon.mlp"}}},
        # A nested record type, as a Metrics field: `{regression: {mse: float}}`.
        {"begin": r"\{", "end": r"\}",
         "beginCaptures": {"0": {"name": "punctuation.section.braces.begin.mlp"}},
         "endCaptures": {"0": {"name": "punctuation.section.braces.end.mlp"}},
         "patterns": [{"include": "#metrics-fields"}]},
        {"include": "#types"},
        {"include": "#punctuation"},
    ]},
    "calls": {"patterns": [
        {"match": r"(?<![.\w])(" + "|".join(BUILTINS) + r")\s*(?=\()",
         "captures": {"1": {"name": "support.function.builtin.mlp"}}},
        {"match": r"\b(" + ID + r")\s*(?=\()",
         "captures": {"1": {"name": "entity.name.function.call.mlp"}}},
    ]},
    "names": {"patterns": [
        # A binding, property or named argument: `name = …` (not `==`).
        {"match": r"\b(" + ID + r")\s*(=)(?!=)",
         "captures": {"1": {"name": "variable.other.assignment.mlp"},
                      "2": {"name": "keyword.operator.assignment.mlp"}}},
        # A record field: `{ metrics: scores }`.
        {"match": r"\b(" + ID + r")\s*(:)",
         "captures": {"1": {"name": "variable.other.field.mlp"},
                      "2": {"name": "punctuation.separator.colon.mlp"}}},
        # `.name` (a call `.name(` is left to #calls).
        {"match": r"(\.)\s*(" + ID + r")\b(?!\s*\()",
         "captures": {"1": {"name": "punctuation.accessor.mlp"},
                      "2": {"name": "variable.other.member.mlp"}}},
        {"match": ID, "name": "variable.other.mlp"},
    ]},
    "operators": {"patterns": [
        {"match": r"->", "name": "keyword.operator.arrow.mlp"},
        {"match": r"==|!=|<=|>=|<|>", "name": "keyword.operator.comparison.mlp"},
        {"match": r"=", "name": "keyword.operator.assignment.mlp"},
        {"match": r"[-+*/]", "name": "keyword.operator.arithmetic.mlp"},
        # There is no `%` operator: a `%` only ever ends a percent literal.
        {"match": r"%", "name": "invalid.illegal.operator.mlp"},
    ]},
    "punctuation": {"patterns": [
        {"match": r",", "name": "punctuation.separator.comma.mlp"},
        {"match": r":", "name": "punctuation.separator.colon.mlp"},
        {"match": r"\.", "name": "punctuation.accessor.mlp"},
        {"match": r"\(", "name": "punctuation.section.parens.begin.mlp"},
        {"match": r"\)", "name": "punctuation.section.parens.end.mlp"},
        {"match": r"\[", "name": "punctuation.section.brackets.begin.mlp"},
        {"match": r"\]", "name": "punctuation.section.brackets.end.mlp"},
        {"match": r"\{", "name": "punctuation.section.braces.begin.mlp"},
        {"match": r"\}", "name": "punctuation.section.braces.end.mlp"},
    ]},
    # Everything an expression can hold except strings (what an interpolation may contain).
    "expression-core": {"patterns": [
        {"include": "#comments"},
        {"include": "#numbers"},
        {"include": "#keywords"},
        {"include": "#types"},
        {"include": "#calls"},
        {"include": "#names"},
        {"include": "#operators"},
        {"include": "#punctuation"},
    ]},
    "expression": {"patterns": [
        {"include": "#strings"},
        {"include": "#expression-core"},
    ]},
}

grammar = {
    "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    "name": "mlp",
    "scopeName": "source.mlp",
    "fileTypes": ["mlp"],
    "comment": "Generated by syntaxes/generate.py from its tables; edit that script, not this file.",
    "patterns": [
        {"include": "#comments"},
        {"include": "#declarations"},
        {"include": "#expression"},
    ],
    "repository": repository,
}

text = json.dumps(grammar, indent=2, ensure_ascii=False) + "\n"
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
    if current != text:
        print(f"{OUT} is out of date: run {sys.argv[0]}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
with open(OUT, "w", encoding="utf-8") as f:
    f.write(text)
