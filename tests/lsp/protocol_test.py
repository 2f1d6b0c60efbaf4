#!/usr/bin/python3
"""Scripted JSON-RPC test of `mlpc lsp`: every implemented method, the lifecycle, and the error
responses, against a copy of the churn example with mistakes in it.

    /usr/bin/python3 tests/lsp/protocol_test.py build/mlpc
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_client import Client, position_of, position_of_str, uri_of  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSED = FAILED = 0


def check(what, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("ok   - " + what)
    else:
        FAILED += 1
        print("FAIL - " + what + (": " + str(detail) if detail else ""))


def line_of(path, needle):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if needle in line:
                return i
    raise AssertionError(needle + " not in " + path)


def offset_of(t, pos):
    lines = t.split("\n")
    start = sum(len(l) + 1 for l in lines[:pos["line"]])
    line, units, i = lines[pos["line"]], 0, 0
    while i < len(line) and units < pos["character"]:
        units += 2 if ord(line[i]) > 0xFFFF else 1
        i += 1
    return start + i


def apply(t, edits):
    for e in sorted(edits, key=lambda e: offset_of(t, e["range"]["start"]), reverse=True):
        a, b = offset_of(t, e["range"]["start"]), offset_of(t, e["range"]["end"])
        t = t[:a] + e["newText"] + t[b:]
    return t


def main():
    mlpc = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="mlpc-lsp-protocol-")
    try:
        run(mlpc, tmp)
        run_workspace(mlpc, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)


def run(mlpc, tmp):
    work = os.path.join(tmp, "churn")
    shutil.copytree(os.path.join(ROOT, "examples", "churn"), work)
    path = os.path.join(work, "churn.mlp")
    uri = uri_of(path)
    with open(path, encoding="utf-8") as f:
        good = f.read()
    # Three mistakes: a misspelt stdlib step, a misspelt name after non-BMP characters (UTF-16
    # columns), and a duplicate declaration (related information points at the first one).
    text = good.replace("sklearn.Train(", "sklearn.Trian(")
    text = text.replace('fail "AUC ${scores.auc} is below ${threshold}"',
                        'fail "\U0001F600\U0001F600 ${thresold}"')
    text += '\nschedule nightly {\n  run  = train_churn()\n  cron = "0 4 * * *"\n}\n'
    stderr_path = os.path.join(tmp, "server.stderr")
    c = Client(mlpc, stderr_path=stderr_path)

    r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                         "position": {"line": 0, "character": 0}})
    check("a request before initialize is refused", r.get("error", {}).get("code") == -32002, r)

    r = c.initialize(work)
    caps = r.get("result", {}).get("capabilities", {})
    check("initialize: incremental sync", caps.get("textDocumentSync", {}).get("change") == 2, caps)
    check("initialize: hover, definition, references, rename, symbols",
          caps.get("hoverProvider") and caps.get("definitionProvider")
          and caps.get("referencesProvider") and caps.get("documentSymbolProvider")
          and caps.get("renameProvider", {}).get("prepareProvider"), caps)
    check("initialize: utf-16 positions", caps.get("positionEncoding") == "utf-16", caps)

    # ---- diagnostics on open
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "mlp",
                                                       "version": 1, "text": text}})
    diags = c.diagnostics(uri, 1)
    by_code = {}
    for d in diags:
        by_code.setdefault(d.get("code"), []).append(d)
    check("didOpen: three errors", len(diags) == 3, diags)
    e008 = by_code.get("E008", [{}])[0]
    check("E008 at the misspelt step", e008.get("range", {}).get("start") ==
          position_of_str(text, "Trian"), e008)
    check("E008 is an error from mlpc", e008.get("severity") == 1 and e008.get("source") == "mlpc")
    check("E008 keeps its did-you-mean note", "did you mean `sklearn.Train`" in
          e008.get("message", ""), e008.get("message"))
    e_name = (by_code.get("E009") or by_code.get("E002") or [{}])[0]
    want = position_of_str(text, "thresold")
    check("an unknown name after emoji: UTF-16 column", e_name.get("range", {}).get("start") == want,
          (e_name, want))
    e003 = by_code.get("E003", [{}])[0]
    rel = e003.get("relatedInformation", [])
    first = position_of_str(text, "schedule nightly", 0, len("schedule "))
    check("E003 related information: the first definition",
          any(x["location"]["uri"] == uri and x["location"]["range"]["start"] == first
              and "first defined here" in x["message"] for x in rel), rel)

    # ---- code actions: the did-you-mean notes as quick fixes
    check("codeActionProvider announced", "quickfix" in
          (caps.get("codeActionProvider") or {}).get("codeActionKinds", []), caps)
    trian = position_of_str(text, "Trian")
    r = c.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": trian, "end": trian},
        "context": {"diagnostics": [e008]}})
    acts = r.get("result") or []
    fix = acts[0] if acts else {}
    check("codeAction: a quick fix for the misspelt step",
          fix.get("kind") == "quickfix" and fix.get("title") == "Change `Trian` to `Train`", acts)
    edit = (fix.get("edit", {}).get("changes", {}).get(uri) or [{}])[0]
    check("codeAction: its edit replaces the name",
          edit.get("newText") == "Train" and edit.get("range", {}).get("start") == trian and
          edit["range"]["end"] == dict(trian, character=trian["character"] + 5), edit)
    check("codeAction: it names the diagnostic it fixes",
          fix.get("diagnostics", [{}])[0].get("code") == "E008", fix)
    thr = position_of_str(text, "thresold")
    r = c.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": thr, "end": thr},
        "context": {"diagnostics": []}})
    check("codeAction: after non-BMP characters too (UTF-16 columns)",
          [a["edit"]["changes"][uri][0]["newText"] for a in r.get("result") or []] ==
          ["threshold"], r)
    r = c.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                                "end": {"line": 0, "character": 1}},
        "context": {"diagnostics": []}})
    check("codeAction: none where nothing is wrong", r.get("result") == [], r)

    # ---- incremental edits (UTF-16 ranges), several in one notification, applied in order
    start = position_of_str(text, "thresold")
    end = dict(start, character=start["character"] + len("thresold"))
    trian = position_of_str(text, "Trian")
    c.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [
            {"range": {"start": start, "end": end}, "text": "threshold"},
            {"range": {"start": trian, "end": dict(trian, character=trian["character"] + 5)},
             "text": "Tr"},
            {"range": {"start": dict(trian, character=trian["character"] + 2),
                       "end": dict(trian, character=trian["character"] + 2)}, "text": "ain"},
        ]})
    text = text.replace("thresold", "threshold").replace("Trian", "Train")
    diags = c.diagnostics(uri, 2)
    check("didChange: ranges applied, two errors fixed",
          [d.get("code") for d in diags] == ["E003"], diags)

    # A burst of edits without a pause is checked at least once, ending at the last version.
    i = text.rindex('cron = "0 4 * * *"')
    p = position_of(text, i)
    for v in range(3, 8):
        c.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": v},
            "contentChanges": [{"range": {"start": p, "end": p}, "text": "x"}]})
        text = text[:i] + "x" + text[i:]
    last = c.diagnostics(uri, 7)
    check("a burst of edits ends with diagnostics for the last version",
          any(d.get("code") == "E019" and "xxxxxcron" in d["message"] for d in last), last)
    # Back to the clean file with a full-text change.
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 8},
                                        "contentChanges": [{"text": good}]})
    text = good
    check("a full-text change: no diagnostics", c.diagnostics(uri, 8) == [])

    # ---- hover
    def hover(needle, nth=0, delta=0):
        r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": position_of_str(text, needle, nth, delta)})
        res = r.get("result") or {}
        return res.get("contents", {}).get("value", ""), res, r

    value, res, _ = hover("sklearn.Train", 0, len("sklearn."))
    check("hover on a stdlib step: its signature",
          "step Train(data: Dataset<csv>, label: string, trees: int = 100" in value, value)
    check("hover on a stdlib step: where it comes from", "std/sklearn" in value, value)
    check("hover has the name's range",
          res.get("range", {}).get("start") == position_of_str(text, "sklearn.Train", 0, 8), res)
    value, _, _ = hover("local.Prepare", 0, len("local."))
    check("hover on an imported step: its doc comment",
          "Drops rows with missing values" in value and "step Prepare(" in value, value)
    value, _, _ = hover("split.train", 0, 1)
    check("hover on a binding: its type",
          "split: {train: Dataset<csv>, test: Dataset<csv>}" in value, value)
    value, _, _ = hover("scores.auc >=", 0, len("scores."))
    check("hover on a metrics field", "(field) auc: float" in value, value)
    value, _, _ = hover("wait = 5m", 0, len("wait = "))
    check("hover on a unit value: its canonical form", "300 s" in value and "duration" in value,
          value)
    value, _, _ = hover("trees = trees", 0, 1)
    check("hover on a named argument: the parameter", "(parameter) trees: int = 100" in value,
          value)
    value, _, _ = hover("threshold: float", 0, 1)
    check("hover on a pipeline parameter", "(parameter) threshold: float" in value, value)
    _, _, r = hover("// churn.mlp")
    check("hover on a comment: null", "result" in r and r["result"] is None, r)

    # ---- definition
    def definition(needle, nth=0, delta=0):
        r = c.request("textDocument/definition",
                      {"textDocument": {"uri": uri},
                       "position": position_of_str(text, needle, nth, delta)})
        return r.get("result") or {}

    std = os.path.join(ROOT, "stdlib", "std", "sklearn.mlp")
    loc = definition("sklearn.Train", 0, len("sklearn."))
    check("definition into the stdlib", loc.get("uri", "").endswith("/std/sklearn.mlp") and
          loc.get("range", {}).get("start", {}).get("line") == line_of(std, "step Train("), loc)
    steps = os.path.join(work, "steps.mlp")
    loc = definition("local.Prepare", 0, len("local."))
    check("definition across an import", loc.get("uri") == uri_of(steps) and
          loc["range"]["start"] == {"line": line_of(steps, "step Prepare("), "character": 5}, loc)
    loc = definition("split.train", 0, len("split."))
    check("definition of an output: the step's output",
          loc.get("uri") == uri_of(steps) and
          loc["range"]["start"]["line"] == line_of(steps, "-> (train: Dataset<csv>"), loc)
    loc = definition("data = split.train", 0, len("data = s"))
    check("definition of a binding",
          loc.get("uri") == uri and loc["range"]["start"] == position_of_str(text, "split  ="), loc)
    loc = definition("trees = trees", 0, len("trees = t"))
    check("definition of a pipeline parameter",
          loc.get("uri") == uri and loc["range"]["start"] == position_of_str(text, "trees: int"),
          loc)
    loc = definition('import "./steps.mlp"', 0, len('import "'))
    check("definition of an import: the file", loc.get("uri") == uri_of(steps) and
          loc["range"]["start"] == {"line": 0, "character": 0}, loc)
    loc = definition("serve    = sklearn.Serve", 0, len("serve    = sklearn.S"))
    check("definition of a server in a property", loc.get("uri", "").endswith("/std/sklearn.mlp")
          and loc["range"]["start"]["line"] == line_of(std, "server Serve("), loc)
    r = c.request("textDocument/definition", {"textDocument": {"uri": uri},
                                              "position": {"line": 0, "character": 0}})
    check("definition on a comment: null", "result" in r and r["result"] is None, r)
    # A request about a file that is not open (where a definition led) is answered from disk.
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri_of(steps)},
                                         "position": {"line": line_of(steps, "step Prepare("),
                                                      "character": 6}})
    check("hover in a file that is not open", "step Prepare(" in
          (r.get("result") or {}).get("contents", {}).get("value", ""), r)

    # ---- references
    def references(needle, nth=0, delta=0, decl=True):
        r = c.request("textDocument/references",
                      {"textDocument": {"uri": uri},
                       "position": position_of_str(text, needle, nth, delta),
                       "context": {"includeDeclaration": decl}})
        return sorted((x["uri"], x["range"]["start"]["line"], x["range"]["start"]["character"])
                      for x in r.get("result") or [])

    def at(u, t, needle, delta=0):
        p = position_of_str(t, needle, 0, delta)
        return (u, p["line"], p["character"])

    got = references("split  =", 0, 1)
    want = sorted([at(uri, text, "split  ="), at(uri, text, "split.train"),
                   at(uri, text, "split.test")])
    check("references of a binding: its declaration and both uses", got == want, (got, want))
    got = references("trees: int", 0, 1, decl=False)
    want = sorted([at(uri, text, "trees = trees", len("trees = ")),
                   at(uri, text, "train_churn(trees = 200)", len("train_churn("))])
    check("references of a pipeline parameter: its use and the schedule's argument, not "
          "Train's same-named argument", got == want, (got, want))
    with open(steps, encoding="utf-8") as f:
        steps_text = f.read()
    got = references("local.Prepare", 0, len("local."))
    want = sorted([at(uri, text, "local.Prepare", len("local.")),
                   at(uri_of(steps), steps_text, "step Prepare(", len("step "))])
    check("references of an imported step: across files", got == want, (got, want))
    got = references("test_fraction = 0.25", 0, 1)
    want = sorted([at(uri, text, "test_fraction = 0.25"),
                   at(uri_of(steps), steps_text, "test_fraction: float"),
                   at(uri_of(steps), steps_text, "${test_fraction}", 2)])
    check("references of a parameter: named arguments and ${...} uses", got == want, (got, want))
    check("references on a comment: none", references("// churn.mlp") == [])

    # ---- rename
    def rename_at(needle, delta, new):
        return c.request("textDocument/rename", {
            "textDocument": {"uri": uri}, "position": position_of_str(text, needle, 0, delta),
            "newName": new})

    r = c.request("textDocument/prepareRename", {"textDocument": {"uri": uri},
                                                 "position": position_of_str(text, "split.t")})
    res = r.get("result") or {}
    check("prepareRename on a binding: its name", res.get("placeholder") == "split" and
          res.get("range", {}).get("start") == position_of_str(text, "split.t"), r)
    r = c.request("textDocument/prepareRename", {
        "textDocument": {"uri": uri},
        "position": position_of_str(text, "sklearn.Train", 0, len("sklearn."))})
    check("prepareRename on a stdlib step: null", "result" in r and r["result"] is None, r)
    r = rename_at("split.t", 0, "parts")
    changes = (r.get("result") or {}).get("changes", {})
    check("rename a binding: three edits in this file",
          list(changes) == [uri] and len(changes[uri]) == 3, r)
    renamed = apply(text, changes.get(uri, []))
    check("rename a binding: the renamed text", "parts  = local.Prepare" in renamed and
          "data = parts.train" in renamed and "data = parts.test" in renamed and
          "split" not in renamed, renamed)
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 9},
                                        "contentChanges": [{"text": renamed}]})
    check("the renamed program checks clean", c.diagnostics(uri, 9) == [])
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 10},
                                        "contentChanges": [{"text": text}]})
    c.diagnostics(uri, 10)
    r = rename_at("local.Prepare", len("local."), "PrepareData")
    changes = (r.get("result") or {}).get("changes", {})
    check("rename an imported step: both files", sorted(changes) == sorted([uri, uri_of(steps)])
          and all(e["newText"] == "PrepareData" for es in changes.values() for e in es), r)
    r = rename_at("split.t", 0, "pipeline")
    err = r.get("error", {})
    check("rename to a keyword: RequestFailed", err.get("code") == -32803 and
          "not a valid name" in err.get("message", ""), r)
    r = rename_at("sklearn.Train", len("sklearn."), "Fit")
    err = r.get("error", {})
    check("rename a stdlib step: refused", err.get("code") == -32803 and
          "standard library" in err.get("message", ""), r)

    # ---- document symbols
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    syms = r.get("result") or []
    names = [(s["name"], s["kind"], s.get("detail")) for s in syms]
    check("documentSymbol: every declaration",
          ("train_churn", 12, "pipeline") in names and ("churn_api", 11, "endpoint") in names and
          ("churn", 5, "model") in names and ("nightly", 24, "schedule") in names, names)
    pipe = next((s for s in syms if s["name"] == "train_churn"), {})
    kids = [k["name"] for k in pipe.get("children", [])]
    check("documentSymbol: a pipeline's parameters and bindings",
          kids[:2] == ["threshold", "trees"] and "split" in kids and "scores" in kids, kids)
    check("documentSymbol: selection is the name",
          pipe.get("selectionRange", {}).get("start") == position_of_str(text, "train_churn("))

    # ---- errors never kill the server
    r = c.request("textDocument/frobnicate", {})
    check("an unknown method: MethodNotFound", r.get("error", {}).get("code") == -32601, r)
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri}})
    err = r.get("error", {})
    check("missing params: InvalidParams", err.get("code") == -32602, r)
    check("the error is in user terms", "json.exception" not in err.get("message", ""), err)
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    r = c.response(None)
    check("a body that is not JSON: ParseError", r.get("error", {}).get("code") == -32700, r)
    c.notify("textDocument/didChange", {"textDocument": {"uri": "file:///nowhere.mlp"},
                                        "contentChanges": [{"text": "x"}]})
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri}})  # no contentChanges
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    check("still answering after bad notifications", isinstance(r.get("result"), list), r)
    # Positions past the end of a line or the file are clamped.
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                         "position": {"line": 100000, "character": 5}})
    check("a position past the end: an answer", "result" in r, r)

    # ---- a half-typed file: diagnostics, never a crash
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 20},
                                        "contentChanges": [{"text": good + "\npipeline p( {\n"}]})
    diags = c.diagnostics(uri, 20)
    check("a half-typed file: a syntax error", any(d.get("code") == "E001" for d in diags), diags)
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    check("a half-typed file still has an outline",
          any(s["name"] == "train_churn" for s in r.get("result") or []), r)

    # ---- an imported file that is open: its text, not the disk's, is checked
    steps_uri = uri_of(steps)
    with open(steps, encoding="utf-8") as f:
        steps_text = f.read()
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 21},
                                        "contentChanges": [{"text": good}]})
    check("back to the good text", c.diagnostics(uri, 21) == [])
    c.notify("textDocument/didOpen", {"textDocument": {
        "uri": steps_uri, "languageId": "mlp", "version": 1,
        "text": steps_text.replace("-> (train: Dataset<csv>", "-> (training: Dataset<csv>")}})
    diags = c.diagnostics(steps_uri, 1)
    check("the opened import is checked: its run names a removed output",
          any(d.get("code") == "E009" and "train" in d["message"] for d in diags), diags)
    diags = c.diagnostics(uri)
    check("an unsaved edit in an import: the importer is checked again",
          any(d.get("code") == "E008" and "train" in d["message"] for d in diags), diags)
    imp = position_of_str(text, '"./steps.mlp"')
    check("an error inside the import is shown on the import",
          any(d.get("code") == "E009" and d["range"]["start"] == imp and
              d["message"].startswith("in " + steps + ":") and
              d.get("relatedInformation", [{}])[-1].get("location", {}).get("uri") == steps_uri
              for d in diags), diags)
    c.notify("textDocument/didClose", {"textDocument": {"uri": steps_uri}})
    check("didClose: the closed file's diagnostics are cleared", c.diagnostics(steps_uri) == [])
    check("didClose: the importer reads the disk again", c.diagnostics(uri) == [])

    # ---- formatting: mlpc fmt's layout as one edit; none when formatted or unparsable
    check("formattingProvider announced", caps.get("documentFormattingProvider") is True, caps)
    messy = good.replace("pipeline train_churn(", "pipeline   train_churn(", 1)
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 30},
                                        "contentChanges": [{"text": messy}]})
    c.diagnostics(uri, 30)
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                              "options": {"tabSize": 2, "insertSpaces": True}})
    edits = r.get("result") or []
    check("formatting: one edit over the whole document",
          len(edits) == 1 and edits[0]["range"]["start"] == {"line": 0, "character": 0}, r)
    check("formatting: the edit is the formatted text (the file as committed)",
          bool(edits) and edits[0]["newText"] == good, edits[:1])
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 31},
                                        "contentChanges": [{"text": good}]})
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {}})
    check("formatting a formatted document: no edits", r.get("result") == [], r)
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 32},
                                        "contentChanges": [{"text": good + "\npipeline p( {\n"}]})
    r = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {}})
    check("formatting a document that does not parse: no edits", r.get("result") == [], r)
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 33},
                                        "contentChanges": [{"text": good}]})
    c.diagnostics(uri, 33)

    # ---- completion: from the last version that parsed while the text is half-typed
    comp = caps.get("completionProvider") or {}
    check("completionProvider announced with `.` and `\"`",
          "." in comp.get("triggerCharacters", []) and '"' in comp.get("triggerCharacters", []),
          caps)

    raw_items = []  # the last answer's items, in order (a label may come twice)

    def complete_in(version, edited, needle, delta=None):
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                            "contentChanges": [{"text": edited}]})
        pos = position_of_str(edited, needle, 0, len(needle) if delta is None else delta)
        r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        items = (r.get("result") or {}).get("items", [])
        raw_items[:] = items
        return {i["label"]: i for i in items}, pos

    at_if = "  if scores.auc"
    items, pos = complete_in(34, good.replace(at_if, "  x = split.tr\n  y = (\n" + at_if), "split.tr")
    check("completion after `split.`: the step's outputs (the text does not parse)",
          sorted(items) == ["test", "train"], sorted(items))
    edit = items.get("train", {}).get("textEdit", {})
    check("completion: the edit replaces the word typed so far",
          edit.get("newText") == "train" and
          edit.get("range", {}).get("start") == dict(pos, character=pos["character"] - 2) and
          edit["range"]["end"] == pos, edit)
    check("completion: the output's type as detail",
          items.get("train", {}).get("detail", "").startswith("Dataset"), items.get("train"))
    items, _ = complete_in(35, good.replace(at_if, "  x = scores.\n" + at_if), "scores.")
    check("completion after `scores.`: the metrics' fields", "auc" in items and
          items["auc"].get("detail") == "float" and items["auc"].get("kind") == 5, items)
    items, _ = complete_in(36, good.replace(at_if, "  y = sklearn.Train(data = split.train, \n"
                                            + at_if), "split.train, ")
    args = {i["textEdit"]["newText"]: i for i in raw_items
            if i.get("textEdit", {}).get("newText", "").endswith(" = ")}
    check("completion in a call: the argument names not given yet, with their types",
          "trees = " in args and "data = " not in args and
          args["trees = "].get("detail", "").startswith("trees: int"), sorted(args))
    check("completion in a call: the arguments come first",
          bool(raw_items) and raw_items[0]["textEdit"]["newText"].endswith(" = "), raw_items[:1])
    check("completion in a call: the names in scope too", "split" in items and "m" in items and
          "train_churn" in items, sorted(items))
    items, _ = complete_in(37, good.replace("  capture   = 20%", "  capture   = 20%\n  "),
                           "  capture   = 20%\n  ")
    check("completion in an endpoint: its properties not set yet",
          "autoscale" in items and "mode" in items and "bake" not in items and
          "run" not in items and items["mode"].get("kind") == 10, sorted(items))
    items, pos = complete_in(38, good.replace('import "std/data"', 'import "std/'), 'import "std/')
    check("completion in an import: the stdlib modules",
          "std/sklearn" in items and "std/data" in items, sorted(items))
    check("completion in an import: the edit replaces the path typed so far",
          items.get("std/data", {}).get("textEdit", {}).get("range", {}).get("start") ==
          dict(pos, character=pos["character"] - 4), items.get("std/data"))
    items, _ = complete_in(39, good, "// churn.mlp")
    check("completion in a comment: nothing", items == {}, items)

    # Record fields and `${…}`: a step that parsed first, then half-typed versions of it.
    with_step = good + ('\nstep Extra(rows: int) -> (table: Dataset<csv>) {\n'
                        '  run   = "extra --rows ${rows} --out ${table}"\n'
                        '  retry = { attempts: 2 }\n}\n')
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 40},
                                        "contentChanges": [{"text": with_step}]})
    c.diagnostics(uri, 40)
    check("completion triggered by `{` (a record's fields, `${`)",
          "{" in comp.get("triggerCharacters", []), comp)
    items, _ = complete_in(41, with_step.replace("  retry", "  resources = { \n  retry"),
                           "resources = { ")
    check("completion in `resources = {`: its fields", sorted(items) == ["cpu", "gpu", "memory"]
          and items["cpu"].get("textEdit", {}).get("newText") == "cpu: "
          and items["cpu"].get("kind") == 5 and items["cpu"].get("detail") == "float", items)
    items, _ = complete_in(42, with_step.replace("attempts: 2 }", "attempts: 2, "),
                           "attempts: 2, ")
    check("completion in `retry = {`: the fields not given yet", sorted(items) == ["backoff"],
          sorted(items))
    items, _ = complete_in(43, good.replace("  capture   = 20%",
                                            "  capture   = 20%\n  autoscale = { min: 1, "),
                           "autoscale = { min: 1, ")
    check("completion in `autoscale = {`: its fields, the required ones marked",
          sorted(items) == ["max", "scale_in_cooldown", "scale_out_cooldown", "target"] and
          "required" in items["target"].get("detail", "") and
          "required" not in items["scale_in_cooldown"].get("detail", ""), items)
    items, _ = complete_in(44, with_step, "retry = { attempts: ")
    check("completion in a field's value: not the field names", "backoff" not in items,
          sorted(items))
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 45},
                                        "contentChanges": [{"text": with_step}]})
    c.diagnostics(uri, 45)
    # Typed as in an editor: the string is not closed yet (the checker stops at it).
    items, pos = complete_in(46, with_step.replace('--out ${table}"', "--out ${ta"), "${ta")
    check("completion in `${` of a step's run: its parameters and outputs",
          sorted(items) == ["rows", "table"] and items["rows"].get("detail") == "int", items)
    check("completion in `${`: the edit replaces the name typed so far",
          items.get("table", {}).get("textEdit", {}).get("range", {}).get("start") ==
          dict(pos, character=pos["character"] - 2), items.get("table"))
    # With the quote closed (an editor's auto-pairs): an unclosed `${` also stops the checker, so
    # the names come from the version that parsed.
    items, _ = complete_in(47, with_step.replace("--out ${table}", "--out ${ta"), "${ta")
    check("completion in `${` of a closed string", sorted(items) == ["rows", "table"], items)
    items, _ = complete_in(48, with_step, '"extra --ro')
    check("completion in a run string outside `${`: nothing", items == {}, items)
    items, _ = complete_in(49, with_step.replace("below ${threshold}", "below ${thr"), "${thr")
    check("completion in `${` outside a step or server: nothing", items == {}, items)
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 50},
                                        "contentChanges": [{"text": good}]})
    c.diagnostics(uri, 50)

    # ---- semantic tokens: the legend, then names by what they are
    legend = (caps.get("semanticTokensProvider") or {}).get("legend", {})
    types, mods = legend.get("tokenTypes", []), legend.get("tokenModifiers", [])
    check("semanticTokensProvider announced with a legend",
          "function" in types and "keyword" in types and "declaration" in mods and
          (caps.get("semanticTokensProvider") or {}).get("full") is True, caps)
    r = c.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}})
    data = (r.get("result") or {}).get("data", [])
    tokens, line, char, ordered = {}, 0, 0, len(data) % 5 == 0
    for i in range(0, len(data) - 4, 5):
        dl, dc, length, ty, mo = data[i:i + 5]
        ordered = ordered and dl >= 0 and (dl > 0 or dc >= 0) and length > 0
        line, char = line + dl, (char + dc if dl == 0 else dc)
        tokens[(line, char)] = (length, types[ty] if 0 <= ty < len(types) else ty,
                                sorted(m for b, m in enumerate(mods) if mo & (1 << b)))
    check("semantic tokens: encoded in order, each on one line", ordered and len(tokens) > 100,
          len(tokens))

    def token(needle, nth=0, delta=0):
        p = position_of_str(good, needle, nth, delta)
        return tokens.get((p["line"], p["character"]))

    check("semantic tokens: a pipeline's name where it is declared",
          token("train_churn(threshold") == (11, "function", ["declaration"]),
          token("train_churn(threshold"))
    check("semantic tokens: a parameter where it is used",
          token("threshold {", 0) == (9, "parameter", []), token("threshold {"))
    check("semantic tokens: a stdlib module and step",
          token("sklearn.Train") == (7, "namespace", ["defaultLibrary"]) and
          token("sklearn.Train", 0, 8) == (5, "function", ["defaultLibrary"]),
          (token("sklearn.Train"), token("sklearn.Train", 0, 8)))
    check("semantic tokens: a property, a keyword, a string, a comment",
          token("approval") == (8, "property", []) and token("pipeline")[1] == "keyword" and
          token('"churned"')[:2] == (9, "string") and token("// churn.mlp")[1] == "comment",
          (token("approval"), token("pipeline"), token('"churned"'), token("// churn.mlp")))
    check("semantic tokens: a unit and a number",
          token("5m") == (2, "number", ["unit"]) and token("2\n") == (1, "number", []),
          (token("5m"), token("2\n")))
    check("semantic tokens: a binding and an output",
          token("split  =")[1:] == ("variable", ["declaration"]) and
          token("split.train", 0, 6) == (5, "property", []),
          (token("split  ="), token("split.train", 0, 6)))
    check("semantic tokens: `${threshold}` inside a string is a parameter between string pieces",
          token("threshold}") == (9, "parameter", []) and
          token('"AUC')[1] == "string" and token('}"')[1] == "string",
          (token("threshold}"), token('"AUC'), token('}"')))

    # ---- lifecycle end
    c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    check("didClose clears diagnostics", c.diagnostics(uri) == [])
    r = c.request("shutdown", None)
    check("shutdown: null result", "result" in r and r["result"] is None, r)
    r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                         "position": {"line": 0, "character": 0}})
    check("a request after shutdown: InvalidRequest", r.get("error", {}).get("code") == -32600, r)
    c.notify("exit", None)
    check("exit after shutdown: exit code 0", c.proc.wait(30) == 0)

    # exit without shutdown: exit code 1
    c2 = Client(mlpc)
    c2.initialize(work)
    c2.notify("exit", None)
    check("exit without shutdown: exit code 1", c2.proc.wait(30) == 1)
    # end of input without exit: the server ends too
    c3 = Client(mlpc)
    c3.initialize(work)
    c3.proc.stdin.close()
    check("end of input: the server ends", c3.proc.wait(30) == 1)

    with open(stderr_path, encoding="utf-8", errors="replace") as f:
        err = f.read()
    check("no internal exception text on stderr",
          "what():" not in err and "json.exception" not in err, err[:500])


WORKSPACE = {
    "shared.mlp": 'step Make(n: int) -> Dataset<csv> {\n  run = "make --n ${n} --out ${out}"\n}\n',
    "a.mlp": 'import "./shared.mlp"\n\npipeline a() {\n  x = shared.Make(n = 1)\n'
             '  y = shared.Make(n = 2)\n}\n',
    "sub/b.mlp": 'import "../shared.mlp" as s\n\npipeline b() {\n  z = s.Make(n = 3)\n}\n',
    # Does not parse: skipped, not fatal.
    "broken.mlp": 'import "./shared.mlp"\n\npipeline broken( {\n  w = shared.Make(n = 4)\n',
    # Not searched: build output and hidden directories.
    "build/c.mlp": 'import "../shared.mlp"\n\npipeline c() {\n  v = shared.Make(n = 5)\n}\n',
    ".hidden/d.mlp": 'import "../shared.mlp"\n\npipeline d() {\n  u = shared.Make(n = 6)\n}\n',
}


def run_workspace(mlpc, tmp):
    """References and rename reach the workspace files that import the current one."""
    root = os.path.join(tmp, "workspace")
    for name, body in WORKSPACE.items():
        os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        with open(os.path.join(root, name), "w", encoding="utf-8") as f:
            f.write(body)
    uri = {name: uri_of(os.path.join(root, name)) for name in WORKSPACE}
    c = Client(mlpc)
    c.request("initialize", {"processId": os.getpid(), "capabilities": {}, "rootUri": None,
                             "workspaceFolders": [{"uri": uri_of(root), "name": "ws"}]})
    c.notify("initialized", {})
    shared = WORKSPACE["shared.mlp"]
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri["shared.mlp"],
                                                       "languageId": "mlp", "version": 1,
                                                       "text": shared}})
    check("workspace: shared.mlp checks clean", c.diagnostics(uri["shared.mlp"], 1) == [])

    def refs(name, text, needle, delta=0):
        r = c.request("textDocument/references", {
            "textDocument": {"uri": uri[name]}, "position": position_of_str(text, needle, 0, delta),
            "context": {"includeDeclaration": True}})
        found = {}
        for loc in r.get("result") or []:
            found.setdefault(loc["uri"], []).append(loc["range"]["start"])
        return found

    found = refs("shared.mlp", shared, "Make")
    a, b = WORKSPACE["a.mlp"], WORKSPACE["sub/b.mlp"]
    want = {uri["shared.mlp"]: [position_of_str(shared, "Make")],
            uri["a.mlp"]: [position_of_str(a, "Make"), position_of_str(a, "Make", 1)],
            uri["sub/b.mlp"]: [position_of_str(b, "Make")]}
    check("workspace references from the declaration: the uses in a.mlp and sub/b.mlp",
          found == want, (found, want))
    check("workspace references: nothing from build/, .hidden/ or the file that does not parse",
          not any(u in found for u in (uri["build/c.mlp"], uri[".hidden/d.mlp"],
                                       uri["broken.mlp"])), found)
    found = refs("a.mlp", a, "shared.Make", len("shared."))
    check("workspace references from a use in an importer: the other importer too",
          found == want, (found, want))
    found = refs("shared.mlp", shared, "n: int")
    check("workspace references of a parameter: the named arguments in the importers",
          found.get(uri["a.mlp"]) == [position_of_str(a, "n = 1"), position_of_str(a, "n = 2")]
          and found.get(uri["sub/b.mlp"]) == [position_of_str(b, "n = 3")], found)
    check("workspace references of a local name: this file only",
          list(refs("a.mlp", a, "x =")) == [uri["a.mlp"]])

    # An open importer's unsaved text wins over its file.
    b2 = b.replace("}\n", "  t = s.Make(n = 7)\n}\n")
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri["sub/b.mlp"],
                                                       "languageId": "mlp", "version": 1,
                                                       "text": b2}})
    c.diagnostics(uri["sub/b.mlp"], 1)
    found = refs("shared.mlp", shared, "Make")
    check("workspace references: an open importer's unsaved text",
          found.get(uri["sub/b.mlp"]) == [position_of_str(b2, "Make"),
                                          position_of_str(b2, "Make", 1)], found)

    r = c.request("textDocument/rename", {"textDocument": {"uri": uri["shared.mlp"]},
                                          "position": position_of_str(shared, "Make"),
                                          "newName": "Produce"})
    changes = (r.get("result") or {}).get("changes", {})
    check("workspace rename: edits in shared.mlp, a.mlp and sub/b.mlp only",
          sorted(changes) == sorted([uri["shared.mlp"], uri["a.mlp"], uri["sub/b.mlp"]]), r)
    renamed = {name: apply(text, changes.get(uri[name], []))
               for name, text in (("shared.mlp", shared), ("a.mlp", a), ("sub/b.mlp", b2))}
    check("workspace rename: every use renamed",
          all("Make" not in t and "Produce" in t for t in renamed.values())
          and renamed["a.mlp"].count("shared.Produce(") == 2
          and renamed["sub/b.mlp"].count("s.Produce(") == 2, renamed)
    r = c.request("textDocument/rename", {"textDocument": {"uri": uri["shared.mlp"]},
                                          "position": position_of_str(shared, "Make"),
                                          "newName": "import"})
    check("workspace rename to a keyword: refused", r.get("error", {}).get("code") == -32803, r)

    # An open document outside the workspace folders is searched too.
    outside = os.path.join(tmp, "outside", "o.mlp")
    o = 'import "../workspace/shared.mlp"\n\npipeline o() {\n  q = shared.Make(n = 8)\n}\n'
    os.makedirs(os.path.dirname(outside))
    with open(outside, "w", encoding="utf-8") as f:
        f.write(o)
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri_of(outside), "languageId": "mlp",
                                                       "version": 1, "text": o}})
    c.diagnostics(uri_of(outside), 1)
    found = refs("shared.mlp", shared, "Make")
    check("workspace references: an open document outside the folders",
          found.get(uri_of(outside)) == [position_of_str(o, "Make")], found)
    check("workspace: the server exits cleanly", c.close() == 0)

    # Past 1,000 .mlp files the index stops listing, and says so.
    many = os.path.join(tmp, "many")
    os.makedirs(many)
    for i in range(1001):
        open(os.path.join(many, "f%04d.mlp" % i), "w").close()
    stderr_path = os.path.join(tmp, "many.stderr")
    c = Client(mlpc, stderr_path=stderr_path)
    c.initialize(many)
    first = os.path.join(many, "f0000.mlp")
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri_of(first), "languageId": "mlp",
                                                       "version": 1, "text": "data d: int = 1\n"}})
    r = c.request("textDocument/references", {
        "textDocument": {"uri": uri_of(first)}, "position": {"line": 0, "character": 5},
        "context": {"includeDeclaration": True}})
    check("a workspace past the cap: references still answer", len(r.get("result") or []) == 1, r)
    c.close()
    with open(stderr_path, encoding="utf-8", errors="replace") as f:
        err = f.read()
    check("a workspace past the cap: the server says so",
          "more than 1000 .mlp files" in err, err[:300])


if __name__ == "__main__":
    main()
