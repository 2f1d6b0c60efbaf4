#!/usr/bin/env python3
"""Writes docs/diagnostics.md from compiler/diag/codes.def and the golden tests.

Every code gets its title (from codes.def), what it means and how to fix it (from the table
below), a bad example (a golden case under tests/golden/diagnostics, shown without its leading
comment) and the error mlpc prints for it (the matching block of the case's .expected file).
So the examples in the documentation are exactly what the golden suite checks.

    tests/golden/make_diagnostics_doc.py [--check]

--check exits 1 (printing a diff) when docs/diagnostics.md is not up to date.
"""
import difflib
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = HERE / "diagnostics"
OUT = REPO / "docs" / "diagnostics.md"

# code: (case file, substring that picks the diagnostic block, line window or None, meaning, fix)
DOCS = {
    "E001": ("E001_expected_token.mlp", None, None,
             "The text does not follow the grammar. The message says what was found and what "
             "the parser expected there. The parser recovers and keeps going, so one run reports "
             "every syntax error of a file (and the checker stays quiet until they are fixed). "
             "Characters the language does not use (`%` as an operator, `;`, `'`) and strings "
             "without their closing quote are reported at their exact position, with a hint.",
             "Write what the message expects: here a `,` between list elements. Strings use "
             "double quotes; a string that spans lines is a `\"\"\"…\"\"\"` string; reserved words "
             "(`import as if else for in register with fail and or not true false`) cannot name "
             "things."),
    "E002": ("E002_minimal.mlp", None, None,
             "A name that nothing in scope defines. Inside a pipeline the scope is its bindings "
             "(in any order), loop variables, the pipeline's parameters, the file's declarations "
             "and import aliases, and the builtins; inside a property, the names that property "
             "defines (`error_rate` in `rollback`, `psi` in `alert`, `manual` in `approval`, ...). "
             "When a visible name is close, the note suggests it.",
             "Fix the spelling, or declare the name. Names from another file are qualified with "
             "the import's alias (`sklearn.Train`)."),
    "E003": ("E003_duplicate_declaration.mlp", None, None,
             "One name declared twice in the same scope: top-level declarations and import "
             "aliases of a file, parameters of a step, bindings of a pipeline (a binding may not "
             "reuse a parameter's name either), fields of a record or a `Metrics{…}` type.",
             "Rename one of them. A pipeline binds each name once: the dataflow, not the order of "
             "statements, decides what runs when, so `a = f(a)` cannot mean \"update a\"."),
    "E004": ("E004_minimal.mlp", None, None,
             "A value of one type where another is expected (an argument, a default, a property, "
             "a list element, a `fail` message, a `register`ed value). The rules of the type "
             "table apply: `int` widens to `float`; `Dataset<csv>` fits `Dataset` but not the "
             "reverse; `Model<x>` fits `Model`; every artifact except `Dir` fits `File`; a "
             "`Metrics` record with more fields fits one with fewer; lists are covariant.",
             "Pass a value of the expected type, or widen the parameter's type (here "
             "`d: Dataset`), or declare the data with its format (`data any_table: "
             "Dataset<csv> = …`)."),
    "E005": ("E005_missing_argument.mlp", None, None,
             "A call leaves out a parameter that has no default.",
             "Pass it, positionally or by name (`label = \"churned\"`), or give the parameter a "
             "default in the step's declaration."),
    "E006": ("E006_unknown_argument.mlp", None, None,
             "A named argument that the step, pipeline or builtin does not declare. A close "
             "parameter name is suggested.",
             "Use one of the callee's parameter names (the secondary label shows its "
             "declaration)."),
    "E007": ("E007_repeated_argument.mlp", None, None,
             "The same parameter is given twice, by position and by name or twice by name.",
             "Give each argument once."),
    "E008": ("E008_unknown_output.mlp", None, None,
             "`.name` on a value that has no such member: an output of a multi-output step, a "
             "field of a declared `Metrics{…}`, a declaration of an imported module, or a model "
             "group's `.approved`/`.latest`/`.version(N)`. A `Metrics` without declared fields "
             "has no fields the checker knows.",
             "Use one of the names in the note. For a step's metrics, declare the fields it "
             "writes: `-> (metrics: Metrics{auc: float})`."),
    "E009": ("E009_bad_interpolation.mlp", "`${sed}`", None,
             "A `${…}` in a string names nothing. In a step's or server's properties the names are "
             "its parameters and outputs (and `port` for a server); in a pipeline, the same names "
             "as anywhere in the pipeline. An empty `${}` is also an error. The caret covers "
             "exactly the name inside the braces.",
             "Use a parameter or output name (see the note). To pass `${…}` through to the shell "
             "unchanged, write `$${…}`: `$${HOME}` becomes `${HOME}`."),
    "E010": ("E010_import_not_found.mlp", "inputs/missing.mlp", None,
             "An import names no file. `std/NAME` is searched in the stdlib roots (`MLP_PATH`, "
             "then the installed stdlib); `./path.mlp` and `../path.mlp` are relative to the "
             "importing file, with `.mlp` added when missing; anything else is neither.",
             "Fix the path (the notes list where mlpc looked), set `MLP_PATH` to the directory "
             "that holds `std/`, or write `./` for a file next to this one."),
    "E011": ("E011_import_cycle.mlp", None, None,
             "Files import each other, directly or through others. The message lists the chain; "
             "the error points at the import that closes it (here in `inputs/cycle_b.mlp`, which "
             "imports `inputs/cycle_a.mlp`, which imports it).",
             "Move what both files need into a third file that imports neither."),
    "E012": ("E012_dependency_cycle.mlp", None, None,
             "Bindings of a pipeline depend on each other in a circle, so none can run first. The "
             "message lists the cycle and a note shows each use.",
             "Break the circle: one of the steps must take an input that does not depend on the "
             "others (usually a `data` declaration or a pipeline parameter)."),
    "E013": ("E013_condition_not_bool.mlp", None, (1, 13),
             "An `if` condition, an endpoint's `rollback` or a monitor's `alert` is not a bool.",
             "Compare the value: `if scores.auc >= threshold`, `rollback = latency_p99 > "
             "250ms`."),
    "E014": ("E014_unit_mismatch.mlp", None, (2, 14),
             "Durations, sizes and percents compare and combine only with their own kind, and a "
             "property that takes a unit needs a unit literal: `latency_p99` is a duration, so "
             "`latency_p99 > 1%` compares a duration with a percent; `bake = 10` gives a plain "
             "number where a duration is expected.",
             "Write a literal of the right kind: `latency_p99 > 250ms`, `bake = 10m`, `capture = "
             "20%`, `memory: 4GiB`."),
    "E015": ("E015_percent_out_of_range.mlp", "120%", None,
             "A percent literal outside 0–100%.",
             "Use a share between `0%` and `100%`."),
    "E016": ("E016_register_not_a_model.mlp", "customers", None,
             "`register M in G` where `G` is not a `model` declaration (a model group).",
             "Register into a `model NAME { … }` declaration; declare one if needed."),
    "E017": ("E017_flavour_mismatch.mlp", None, None,
             "The registered model's type does not fit the group's server: a `Model<onnx>` into a "
             "group whose `serve` is a server taking `Model<sklearn>` could never be deployed.",
             "Register into a group served by a server for that flavour, or train the flavour the "
             "server takes."),
    "E018": ("E018_branch_scope.mlp", "`good`", None,
             "A name bound inside an `if`/`else` branch is used outside it. Branches are decided "
             "when the run reaches them, so after the `if` the name may not exist. (Names bound "
             "in a `for` body are visible after the loop, as lists.)",
             "Use the name inside the branch, bind it in every branch and use it there, or move "
             "the binding out of the `if`."),
    "E019": ("E019_unknown_property.mlp", None, None,
             "A property that the declaration does not have (or an unknown field of `resources`, "
             "`retry` or `register … with`). The note lists the valid ones.",
             "Use one of the listed properties."),
    "E020": ("E020_missing_property.mlp", None, (1, 3),
             "A required property is missing: a step's or server's `run`, a server's `health` "
             "and `invoke`, an endpoint's `model`, a monitor's `endpoint`, a schedule's `run` "
             "and one trigger (`cron`, `every` or `on_change`).",
             "Add the property."),
    "E021": ("E021_invalid_value.mlp", "invalid cron", (27, 31),
             "A value of the right type that is still not allowed: a data source that is not "
             "`file(\"…\")`/`dir(\"…\")`, a default that is not a literal, a count below 1, a "
             "`health` path without `/`, an invalid cron expression, a schedule with two "
             "triggers, a server without a `model` parameter, ...",
             "Follow the message: here the hour field of a cron expression is 0–23."),
    "E022": ("E022_positional_after_named.mlp", None, None,
             "A positional argument follows a named one.",
             "Put positional arguments first, or name this one too (`label = \"churned\"`)."),
    "E023": ("E023_too_many_arguments.mlp", None, None,
             "More positional arguments than the callee has parameters.",
             "Remove the extra arguments, or name them if they were meant for other "
             "parameters."),
    "E024": ("E024_not_callable.mlp", "pipeline cannot be called", (9, 16),
             "Something that is not a step or builtin is called: a model group, a data value, a "
             "server (the runtime starts servers), or a pipeline from inside a pipeline.",
             "Call steps. Start a pipeline from a `schedule` (`run = train()`) or a monitor's "
             "`on_alert`; use `transform(…, server = S)` to run a server over a dataset."),
    "E025": ("E025_bad_literal.mlp", "unknown unit", (2, 6),
             "A literal the lexer cannot accept: an unknown unit suffix (`5min`, `4gb`), an "
             "unknown escape (`\\q`), an unterminated `${`, an integer that does not fit in 64 "
             "bits.",
             "Durations are `ms s m h d`, sizes `B KB MB GB TB KiB MiB GiB TiB` (whole numbers), "
             "percents `%`; escapes are `\\n \\t \\r \\0 \\\\ \\\" \\$`."),
    "E026": ("E026_code_file_not_found.mlp", None, None,
             "A file listed in a step's `code` does not exist. `code` paths are relative to the "
             "directory of the file that declares the step (the same directory `run` starts in).",
             "Fix the path or create the file."),
    "E027": ("E027_no_server_for_transform.mlp", "no server", (1, 18),
             "`transform(model = M, …)` without `server =` needs exactly one server in scope (this "
             "file and its imports) whose `model` parameter accepts M's type. There is none, or "
             "there are several.",
             "Say which: `transform(model = m, data = d, server = sklearn.Serve)`, or import a "
             "module that declares a server for the model's flavour."),
    "E028": ("E028_repeated_property.mlp", None, None,
             "A property set twice in one declaration.",
             "Keep one."),
    "E029": ("E029_unknown_type.mlp", None, None,
             "A type that does not exist, or type arguments that do not fit (`list` without its "
             "element type, `int<…>`, a dataset format other than csv, tsv, jsonl, parquet, "
             "`Metrics<…>` instead of `Metrics{…}`).",
             "Use a type of the type table: `int float bool string duration size percent "
             "list<T> File Dir Dataset[<fmt>] Model[<flavour>] Metrics[{field: type, …}]`."),
    "E030": ("E030_invalid_operand.mlp", None, None,
             "An operator applied to types it does not take: `not`/`and`/`or` on non-bools, "
             "arithmetic on strings, `<` on strings, `-` on a bool, indexing a non-list.",
             "Convert or compare first: `n > 0 and ok`, `name == \"b\"`."),
    "E031": ("E031_unknown_pipeline.mlp", None, None,
             "`mlpc compile`/`run`/`graph` with `--pipeline NAME` that the entry file does not "
             "declare, or without `--pipeline` when it declares several. (A command-line error: "
             "no source position; exit code 2.)",
             "Pass one of the pipelines listed in the notes."),
    "E032": ("E032_bad_param.mlp", "`many`", None,
             "A `--param NAME=VALUE` that does not fit: an unknown parameter, a value that does "
             "not parse as the parameter's type, or a parameter without default that is not "
             "given. Values are written as in the language: `300`, `0.85`, `true`, `5m`, `4GiB`, "
             "`10%`, `a,b,c` for a list. (Exit code 2.)",
             "Fix the value, or pass the missing parameter."),
    "E033": ("E033_read_error.mlp", None, None,
             "The entry file cannot be read: it does not exist, is a directory, or is not "
             "readable. (Imported files that cannot be read are E010.)",
             "Check the path."),
    "E034": ("E034_property_out_of_range.mlp", "`retry.attempts`", None,
             "A step's or server's `resources`, `retry`, `timeout` or `cache` whose value is "
             "constant (a literal, a negated literal, or arithmetic of them) and outside what the "
             "property allows: `resources.cpu` and `resources.memory` above 0, `resources.gpu` "
             "and `retry.backoff` at least 0, `retry.attempts` at least 1 (it counts the first "
             "try), `timeout` and a `cache` expiry above 0s. When the property is one of the "
             "step's parameters (`retry = { attempts: tries }`), a call that gives it a constant "
             "out of range, or leaves it at such a default, is E034 too. Any other value that "
             "reads parameters (here `tries = n` with a pipeline parameter `n`) is checked "
             "against the same table for each call when the run gets there: a bad value fails "
             "that step, and the message names the step, the property and where it is written.",
             "Use a value in range. To turn caching off write `cache = false`, not `cache = 0s`; "
             "to have no timeout, leave `timeout` out."),
    "W001": ("W001_unused.mlp", "`a`", None,
             "A pipeline parameter, a step parameter or a binding that nothing uses. An unused "
             "binding's step still runs; an unused step parameter cannot influence the command.",
             "Use it or remove it; a name that starts with `_` (`_debug`, `_scores = …`) is "
             "never reported. `--deny-warnings` makes warnings fail the check."),
    "W002": ("W002_uncached_local_file.mlp", None, None,
             "A step's `run` executes a file next to the program that its `code` does not list. "
             "`code` files are hashed into the step's cache key; a script missing from it can "
             "change without invalidating cached results.",
             "Add the file to `code = [\"…\"]`."),
    "W003": ("W003_string_names_file.mlp", None, None,
             "A `string` parameter whose default names a file or directory that exists (relative "
             "to the declaring file, when the program is checked) reaches a step's `run`: a step "
             "parameter that `run` interpolates, or a pipeline parameter passed as is to one. Only "
             "the string's text is in the step's cache key, so editing the file would not re-run "
             "the step. A string given with `--param` or built by interpolation is not seen.",
             "Declare the parameter as `File`, `Dataset<…>` or `Dir` (a pipeline parameter may "
             "default to `file(\"…\")`/`dir(\"…\")` and be given as `--param NAME=PATH`): its "
             "bytes are then hashed when the run starts."),
}


# Helper files shown after an example (they are not cases themselves).
EXTRA = {"E011": ["inputs/cycle_a.mlp", "inputs/cycle_b.mlp"]}


def codes_from_def():
    text = (REPO / "compiler" / "diag" / "codes.def").read_text()
    return re.findall(r'^DIAG\(\w+, "(\w+)", (\w+), "([^"]*)"\)', text, re.M)


def source_of(case, window):
    path = CASES / case
    if path.is_dir():
        return None
    lines = path.read_text().splitlines()
    if window:
        first, last = window
        body = lines[first - 1:last]
        if first > 1 and any(not l.startswith("//") for l in lines[:first - 1]):
            body = ["// …"] + body
        if last < len(lines):
            body = body + ["// …"]
    else:
        body = lines
    while body and body[0].startswith("//") and body[0] != "// …":
        body = body[1:]
    while body and not body[0].strip():
        body = body[1:]
    return "\n".join(body)


def blocks_of(case):
    """The diagnostics of a case's expected output, one text block each."""
    text = (CASES / (case + ".expected")).read_text()
    lines = [l for l in text.splitlines() if not l.startswith("exit: ")]
    blocks, cur = [], []
    for l in lines:
        if l == "":
            if cur:
                blocks.append("\n".join(cur))
            cur = []
        else:
            cur.append(l)
    if cur:
        blocks.append("\n".join(cur))
    return [b for b in blocks if not re.match(r"^\d+ (error|warning)", b)]


def pick(case, code, severity, needle):
    head = f"{severity.lower()}[{code}]"
    for b in blocks_of(case):
        first = b.splitlines()[0]
        if head in first and (needle is None or needle in b):
            return b
    raise SystemExit(f"{case}: no `{head}` diagnostic" + (f" with `{needle}`" if needle else ""))


def render():
    out = ["# Diagnostics", "",
           "<!-- Generated by tests/golden/make_diagnostics_doc.py from compiler/diag/codes.def "
           "and the golden tests; edit the script, then run scripts/update-golden.sh. -->", "",
           "`mlpc check`, `compile`, `run` and `graph` report problems as diagnostics: a code, a "
           "position (`file:line:col`, columns in bytes), the source line with the span "
           "underlined (`^` for the problem, `-` for related places), and notes. Errors "
           "(`E…`) stop the command with exit code 1 (2 for command-line problems such as "
           "E031 and E032); warnings (`W…`) do not, unless `--deny-warnings` is given. "
           "`--diagnostics=json` prints the same facts as one JSON document on stdout: "
           '`{"diagnostics": [{"code", "severity", "message", "range", "label", "labels", '
           '"notes", "fixits"}, …], "errors": N, "warnings": N}` with ranges as `{"file", "line", '
           '"column", "end_line", "end_column"}` (or `null`).', "",
           "Every example below is a golden test in `tests/golden/diagnostics/` (named after "
           "its code) and the output is what mlpc prints for it, checked on every test run.", ""]
    table = ["| code | title |", "|---|---|"]
    sections = []
    for code, sev, title in codes_from_def():
        if code not in DOCS:
            raise SystemExit(f"no documentation for {code}: add it to DOCS in {__file__}")
        case, needle, window, meaning, fix = DOCS[code]
        anchor = f"{code.lower()}--{re.sub(r'[^a-z0-9 -]', '', title.lower()).replace(' ', '-')}"
        table.append(f"| [{code}](#{anchor}) | {title} |")
        s = [f"## {code} — {title}", "", meaning, ""]
        args = CASES / (case + ".args")
        src = source_of(case, window)
        cmd = f"mlpc {args.read_text().strip() if args.exists() else 'check'} {case}"
        if src is None:
            s += [f"Example: `{cmd}`, where `{case}` is a directory.", ""]
        else:
            s += [f"Example (`tests/golden/diagnostics/{case}`):", "", "```mlp", src, "```", ""]
            for extra in EXTRA.get(code, []):
                s += [f"with `{extra}`:", "", "```mlp", source_of(extra, None), "```", ""]
        s += [f"`{cmd}` prints:", "", "```text", pick(case, code, sev, needle), "```", "",
              f"**Fix:** {fix}", ""]
        sections.append("\n".join(s))
    return "\n".join(out + table + [""] + sections).rstrip("\n") + "\n"


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        old = OUT.read_text() if OUT.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), str(OUT), "generated"))
            print(f"{OUT} is out of date: run scripts/update-golden.sh")
            return 1
        print(f"{OUT} is up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not OUT.exists() or OUT.read_text() != text:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
