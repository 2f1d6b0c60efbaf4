#!/usr/bin/env python3
"""Checks what `mlpc report` shows, on the DOM that headless Chromium rendered (--dump-dom),
and that the written HTML loads nothing from outside. Used by report_test.sh; prints one
`PASS name` or `FAIL name: why` line per check. Standard library only.

    report_check.py --dom DOM --html HTML --plan PLAN.json --run RUN --prev RUN \
                    --steps N --note TEXT --comment TEXT --group G --version V
"""
import argparse
import html.parser
import json
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []

    def all_text(self):
        out = list(self.text)
        for c in self.children:
            out.append(c.all_text())
        return "".join(out)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        # Text goes into the element in order; nested elements append their own.
        t = Node("#text", {}, self.cur)
        t.text.append(data)
        self.cur.children.append(t)


def parse(text):
    b = Builder()
    b.feed(text)
    b.close()
    return b.root


def plan_nodes(nodes):
    n = 0
    for node in nodes:
        n += 1
        for k in ("body", "then", "else"):
            n += plan_nodes(node.get(k, []))
    return n


def main():
    ap = argparse.ArgumentParser()
    for a in ("dom", "html", "plan", "run", "prev", "note", "comment", "group"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--version", required=True)
    a = ap.parse_args()

    results = []

    def check(name, ok, why=""):
        results.append((name, bool(ok), why))

    dom = parse(open(a.dom, encoding="utf-8").read())
    by_id = {}
    for n in dom.walk():
        tid = n.attrs.get("data-testid")
        if tid:
            by_id.setdefault(tid, []).append(n)

    def one(tid):
        return (by_id.get(tid) or [None])[0]

    def within(node, tid):
        return [n for n in node.walk() if n.attrs.get("data-testid") == tid] if node else []

    for sec in ("summary", "params", "dag", "timeline", "metrics", "versions"):
        check("section " + sec + " is shown", one(sec) is not None)

    rid = one("run-id")
    check("header shows the run id", rid and rid.all_text().strip() == a.run,
          rid.all_text() if rid else "no run-id")
    st = one("run-status")
    check("header shows the status", st and st.all_text().strip() == "succeeded")
    pl = one("pipeline")
    check("header shows the pipeline", pl and pl.all_text().strip() == "demo")

    params = {p.attrs.get("data-name"): within(p, "param-value")[0].all_text()
              for p in within(one("params"), "param")}
    check("params show trees=20", params.get("trees") == "20", repr(params))
    check("params show the note verbatim (escaped, not markup)", params.get("note") == a.note,
          repr(params.get("note")))
    check("no element injected from the note",
          not any(n.attrs.get("id") == "inj" for n in dom.walk()))

    plan = json.load(open(a.plan, encoding="utf-8"))
    want_nodes = plan_nodes(plan["nodes"])
    nodes = within(one("dag"), "dag-node")
    check("DAG draws every plan node (%d)" % want_nodes, len(nodes) == want_nodes,
          "%d drawn" % len(nodes))
    calls = [n for n in nodes if n.attrs.get("data-kind") == "call"]
    check("DAG has one call node per step (%d)" % a.steps, len(calls) == a.steps,
          "%d calls" % len(calls))
    status = {n.attrs.get("data-node"): n.attrs.get("data-status") for n in nodes}
    check("DAG colours cached steps", status.get("raw") == "cached" and status.get("s") == "cached",
          repr(status))
    check("DAG colours steps that ran",
          status.get("m") == "succeeded" and status.get("scores") == "succeeded", repr(status))
    reg = [n for n in nodes if n.attrs.get("data-kind") == "register"]
    check("DAG shows the register node as done",
          len(reg) == 1 and reg[0].attrs.get("data-status") == "succeeded", repr(status))
    check("DAG has edges", len([n for n in one("dag").walk() if n.tag == "path"
                                and "edge" in n.attrs.get("class", "")]) >= 5)

    tl = one("timeline")
    bars, marks = within(tl, "timeline-bar"), within(tl, "timeline-cached")
    check("timeline has a bar per step that ran (2)", len(bars) == 2, "%d bars" % len(bars))
    check("timeline marks the cached steps (2)", len(marks) == 2, "%d markers" % len(marks))
    check("timeline covers every step", len(bars) + len(marks) == a.steps)
    widths = [float(b.attrs.get("width", "0")) for b in bars]
    check("timeline bars have a width", all(w >= 2 for w in widths), repr(widths))

    metric_names = [m.attrs.get("data-name") for m in within(one("metrics"), "metric")]
    check("metrics table lists auc", "auc" in metric_names, repr(metric_names))
    chart = one("metric-chart-auc")
    pts = within(chart, "metric-point")
    check("auc chart has 2 points", len(pts) == 2, "%d points" % len(pts))
    cur = [p for p in pts if p.attrs.get("data-current") == "true"]
    check("auc chart highlights this run",
          len(cur) == 1 and cur[0].attrs.get("data-run") == a.run, repr([p.attrs for p in pts]))
    check("auc chart is in time order",
          [p.attrs.get("data-run") for p in pts] == [a.prev, a.run])
    check("auc chart has a line", len(within(chart, "metric-line")) == 1)

    vs = within(one("versions"), "version")
    check("one version registered by this run", len(vs) == 1, "%d" % len(vs))
    if vs:
        v = vs[0]
        check("version is %s v%s" % (a.group, a.version),
              v.attrs.get("data-group") == a.group and v.attrs.get("data-version") == a.version,
              repr(v.attrs))
        vst = within(v, "version-status")
        check("version status is Approved", vst and vst[0].all_text().strip() == "Approved")
        hist = within(v, "version-history")
        htext = hist[0].all_text() if hist else ""
        check("approval history has the registration and the approval",
              "registered as PendingManualApproval" in htext and "Approved" in htext, htext)
        check("approval comment shown verbatim", a.comment in htext, htext)
        steps = [s.all_text() for s in within(v, "lineage-step")]
        check("lineage walks model <- m <- s <- raw", steps == ["m", "s", "raw"], repr(steps))
        cmds = [c.all_text() for c in within(v, "lineage-command")]
        check("lineage shows the commands",
              len(cmds) == 3 and "train.py" in cmds[0] and "load_example.py" in cmds[2],
              repr(cmds))
        vm = within(v, "version-metrics")
        check("version shows its metrics", vm and "auc" in vm[0].all_text())

    # The written file (not the DOM): nothing loaded from outside, no scripts.
    raw = open(a.html, encoding="utf-8").read()
    page = parse(raw)
    ext = []
    for n in page.walk():
        for k, v in n.attrs.items():
            if v and k in ("src", "href", "xlink:href", "srcset", "action", "poster", "data") and \
                    not v.startswith("#"):
                ext.append("%s %s=%s" % (n.tag, k, v))
            if v and k == "style" and "url(" in v:
                ext.append("%s style=%s" % (n.tag, v))
        if n.tag in ("link", "script", "iframe", "img", "object", "embed"):
            ext.append("<%s>" % n.tag)
        if n.tag == "style" and re.search(r"url\(|@import", n.all_text()):
            ext.append("style with url()/@import")
    check("no external resources (src/href/url/link/script)", not ext, "; ".join(ext[:5]))
    in_tags = [t for t in re.findall(r"<[!/a-zA-Z][^>]*>", raw) if re.search(r"https?://", t)]
    in_text = sum(len(re.findall(r"https?://", n.all_text()))
                  for n in page.walk() if n.tag == "#text" and n.parent.tag != "style")
    check("http(s):// appears only in text content",
          not in_tags and len(re.findall(r"https?://", raw)) == in_text, repr(in_tags[:3]))

    for name, ok, why in results:
        print(("PASS " if ok else "FAIL ") + name + ("" if ok or not why else ": " + why))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
