#include "report_dag.h"

#include "report_html.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <set>

namespace mlpc::cli::report {

namespace {

constexpr double kW = 172, kH = 54, kGapX = 44, kGapY = 16, kMargin = 12;
constexpr double kFitWidth = 1600, kDummyH = 12;

std::string shortStep(const std::string& key) {
  return key.rfind("std/", 0) == 0 ? key.substr(4) : key;
}

} // namespace

DagLayout layoutDag(const plan::Plan& plan) {
  DagLayout L;
  const std::set<std::string> single = plan::singleOutputNodes(plan);
  auto text = [&](const plan::ExprP& e) { return plan::sourceText(e, single); };
  std::map<std::string, size_t> index;
  std::set<std::pair<size_t, size_t>> seenEdge;
  auto addEdge = [&](size_t a, size_t b, bool contains, const std::string& label) {
    if (a == b || !seenEdge.insert({a, b}).second) return;
    L.edges.push_back({a, b, contains, label, {}});
  };
  auto addBox = [&](DagBox b) {
    index[b.id] = L.boxes.size();
    L.boxes.push_back(std::move(b));
    return L.boxes.size() - 1;
  };

  // Data declarations that some node reads come first, as sources.
  std::vector<std::pair<std::string, std::set<std::string>>> reads; // node id -> data keys
  std::function<void(const std::vector<plan::Node>&)> collectReads = [&](const auto& list) {
    for (auto& n : list) {
      std::set<std::string> keys;
      for (auto& [key, d] : plan.data)
        if (n.readsData(key)) keys.insert(key);
      if (!keys.empty()) reads.push_back({n.id, keys});
      for (auto* c : n.children())
        collectReads(*c);
    }
  };
  collectReads(plan.nodes);
  for (auto& [key, d] : plan.data) {
    bool used = false;
    for (auto& r : reads)
      used = used || r.second.count(key);
    if (used) addBox({"data:" + key, "data", key, d.type.empty() ? "data" : d.type, 0, 0, 0, 0});
  }

  std::function<void(const std::vector<plan::Node>&, std::optional<size_t>, const std::string&)>
      walk = [&](const std::vector<plan::Node>& list, std::optional<size_t> parent,
                 const std::string& branch) {
        for (auto& n : list) {
          DagBox b;
          b.id = n.id;
          b.kind = n.kindName();
          if (b.id.empty()) continue;
          b.title = b.id;
          if (auto* c = n.as<plan::CallNode>()) {
            b.sub = shortStep(c->step);
          } else if (auto* t = n.as<plan::TransformNode>()) {
            b.sub = "transform · " + shortStep(t->server);
          } else if (auto* v = n.as<plan::ValueNode>()) {
            b.sub = "= " + text(v->value);
          } else if (auto* f = n.as<plan::ForNode>()) {
            b.title = "for " + f->var + " in " + text(f->over);
            b.sub = b.id;
          } else if (auto* i = n.as<plan::IfNode>()) {
            b.title = "if " + text(i->cond);
            b.sub = b.id;
          } else if (auto* r = n.as<plan::RegisterNode>()) {
            b.title = "register → " + r->group;
            b.sub = "model " + text(r->model);
          } else if (auto* fl = n.as<plan::FailNode>()) {
            b.title = "fail";
            b.sub = text(fl->message);
          }
          size_t me = addBox(b);
          if (parent) addEdge(*parent, me, true, branch);
          if (auto* f = n.as<plan::ForNode>()) walk(f->body, me, "each");
          if (auto* i = n.as<plan::IfNode>()) {
            walk(i->then, me, "then");
            walk(i->otherwise, me, "else");
          }
        }
      };
  walk(plan.nodes, std::nullopt, "");
  for (auto& [id, keys] : reads)
    for (auto& k : keys)
      if (index.count("data:" + k) && index.count(id))
        addEdge(index["data:" + k], index[id], false, "");
  for (auto& [from, to] : plan.edges) {
    auto a = index.find(from), b = index.find(to);
    if (a != index.end() && b != index.end()) addEdge(a->second, b->second, false, "");
  }

  // Longest path from the sources (Kahn's order); anything left on a cycle goes last.
  size_t n = L.boxes.size();
  std::vector<std::vector<size_t>> preds(n), succs(n);
  for (auto& e : L.edges) {
    preds[e.to].push_back(e.from);
    succs[e.from].push_back(e.to);
  }
  std::vector<size_t> indeg(n);
  for (size_t i = 0; i < n; ++i)
    indeg[i] = preds[i].size();
  std::deque<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (!indeg[i]) ready.push_back(i);
  std::vector<bool> done(n);
  int maxLayer = 0;
  while (!ready.empty()) {
    size_t v = ready.front();
    ready.pop_front();
    done[v] = true;
    for (size_t p : preds[v])
      L.boxes[v].layer = std::max(L.boxes[v].layer, L.boxes[p].layer + 1);
    maxLayer = std::max(maxLayer, L.boxes[v].layer);
    for (size_t s : succs[v])
      if (--indeg[s] == 0) ready.push_back(s);
  }
  for (size_t i = 0; i < n; ++i)
    if (!done[i]) L.boxes[i].layer = maxLayer + 1;
  int layers = 0;
  for (auto& b : L.boxes)
    layers = std::max(layers, b.layer + 1);

  // Items: the boxes, then one dummy per layer an edge passes through, so long edges run
  // through their own slots instead of across boxes (as in Sugiyama-style layouts).
  std::vector<int> layerOf(n), rowOf(n);
  for (size_t i = 0; i < n; ++i)
    layerOf[i] = L.boxes[i].layer;
  std::vector<std::vector<size_t>> ipreds = preds, isuccs = succs;
  std::vector<std::vector<size_t>> chain(L.edges.size()); // dummies of each edge, in order
  for (size_t k = 0; k < L.edges.size(); ++k) {
    size_t prev = L.edges[k].from;
    int to = L.boxes[L.edges[k].to].layer;
    for (int l = L.boxes[prev].layer + 1; l < to; ++l) {
      size_t d = layerOf.size();
      layerOf.push_back(l);
      rowOf.push_back(0);
      ipreds.push_back({prev});
      isuccs.push_back({});
      isuccs[prev].push_back(d);
      chain[k].push_back(d);
      prev = d;
    }
    if (prev != L.edges[k].from) {
      auto& ps = ipreds[L.edges[k].to];
      std::replace(ps.begin(), ps.end(), L.edges[k].from, prev);
      auto& ss = isuccs[L.edges[k].from];
      ss.erase(std::find(ss.begin(), ss.end(), L.edges[k].to));
    }
  }
  size_t items = layerOf.size();

  // Rows: plan order, then a barycentre sweep forwards and one backwards.
  std::vector<std::vector<size_t>> col(static_cast<size_t>(layers));
  for (size_t i = 0; i < items; ++i)
    col[static_cast<size_t>(layerOf[i])].push_back(i);
  auto centred = [&](size_t i) {
    const auto& c = col[static_cast<size_t>(layerOf[i])];
    return rowOf[i] - (static_cast<double>(c.size()) - 1) / 2;
  };
  auto renumber = [&](std::vector<size_t>& c) {
    for (size_t r = 0; r < c.size(); ++r)
      rowOf[c[r]] = static_cast<int>(r);
  };
  for (auto& c : col)
    renumber(c);
  auto sweep = [&](std::vector<size_t>& c, const std::vector<std::vector<size_t>>& nb) {
    std::vector<std::pair<double, size_t>> keyed;
    for (size_t i : c) {
      double k = centred(i);
      if (!nb[i].empty()) {
        double sum = 0;
        for (size_t j : nb[i])
          sum += centred(j);
        k = sum / static_cast<double>(nb[i].size());
      }
      keyed.push_back({k, i});
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](auto& a, auto& b) { return a.first < b.first; });
    for (size_t r = 0; r < keyed.size(); ++r)
      c[r] = keyed[r].second;
    renumber(c);
  };
  for (size_t l = 1; l < col.size(); ++l)
    sweep(col[l], ipreds);
  for (size_t l = col.size(); l-- > 1;)
    sweep(col[l - 1], isuccs);

  // Coordinates: each column stacked (dummies are thin) and centred on the tallest.
  auto height = [&](size_t i) { return i < n ? kH : kDummyH; };
  std::vector<double> colHeight(col.size());
  double tallest = 0;
  for (size_t l = 0; l < col.size(); ++l) {
    for (size_t i : col[l])
      colHeight[l] += height(i) + kGapY;
    colHeight[l] -= col[l].empty() ? 0 : kGapY;
    tallest = std::max(tallest, colHeight[l]);
  }
  std::vector<double> yOf(items);
  for (size_t l = 0; l < col.size(); ++l) {
    double y = kMargin + (tallest - colHeight[l]) / 2;
    for (size_t i : col[l]) {
      yOf[i] = y;
      y += height(i) + kGapY;
    }
  }
  auto xOf = [&](size_t i) { return kMargin + layerOf[i] * (kW + kGapX); };
  for (size_t i = 0; i < n; ++i) {
    L.boxes[i].row = rowOf[i];
    L.boxes[i].x = xOf(i);
    L.boxes[i].y = yOf[i];
  }
  for (size_t k = 0; k < L.edges.size(); ++k) {
    auto& e = L.edges[k];
    e.points.push_back({xOf(e.from) + kW, yOf[e.from] + kH / 2});
    for (size_t d : chain[k]) {
      e.points.push_back({xOf(d), yOf[d] + kDummyH / 2});
      e.points.push_back({xOf(d) + kW, yOf[d] + kDummyH / 2});
    }
    e.points.push_back({xOf(e.to) - 2, yOf[e.to] + kH / 2});
  }
  L.width = 2 * kMargin + layers * kW + std::max(0, layers - 1) * kGapX;
  L.height = 2 * kMargin + tallest;
  return L;
}

std::string dagSvg(const DagLayout& L, const std::map<std::string, NodeState>& states) {
  std::string o;
  // Up to half again as wide as the page, the graph shrinks to fit; wider ones scroll.
  std::string fit = L.width <= kFitWidth ? " style=\"max-width:100%;height:auto\"" : "";
  o += "<svg class=\"dag\" width=\"" + px(L.width) + "\" height=\"" + px(L.height) +
       "\" viewBox=\"0 0 " + px(L.width) + " " + px(L.height) + "\"" + fit +
       " role=\"img\" aria-label=\"pipeline graph\">";
  o += "<defs><marker id=\"dag-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
       "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
       "fill=\"#7b8494\"/></marker></defs>";
  for (auto& e : L.edges) {
    const auto& a = L.boxes[e.from];
    const auto& b = L.boxes[e.to];
    std::string d;
    for (size_t i = 0; i < e.points.size(); ++i) {
      auto [x, y] = e.points[i];
      if (i == 0) {
        d = "M" + px(x) + "," + px(y);
        continue;
      }
      auto [x0, y0] = e.points[i - 1];
      double dx = (x - x0) / 2;
      d += " C" + px(x0 + dx) + "," + px(y0) + " " + px(x - dx) + "," + px(y) + " " + px(x) + "," +
           px(y);
    }
    double x2 = e.points.back().first, y2 = e.points.back().second;
    o += "<path class=\"edge" + std::string(e.contains ? " contain" : "") + "\" data-from=\"" +
         esc(a.id) + "\" data-to=\"" + esc(b.id) + "\" d=\"" + d +
         "\" marker-end=\"url(#dag-arrow)\"/>";
    if (!e.label.empty())
      o += "<text class=\"edge-label\" x=\"" + px(x2 - 6) + "\" y=\"" + px(y2 - 5) +
           "\" text-anchor=\"end\">" + esc(e.label) + "</text>";
  }
  for (auto& b : L.boxes) {
    NodeState st;
    if (b.kind == "data") st = {"control", ""};
    if (auto it = states.find(b.id); it != states.end()) st = it->second;
    std::string cls = statusClass(st.status);
    std::string word = cls == "not-run" ? "not run" : cls;
    std::string line3 =
        cls == "control" ? st.note : word + (st.note.empty() ? "" : " · " + st.note);
    bool data = b.kind == "data";
    o += "<g class=\"node st-" + cls + (data ? " data" : "") + "\" data-testid=\"" +
         (data ? "dag-data" : "dag-node") + "\" data-node=\"" + esc(b.id) + "\" data-kind=\"" +
         esc(b.kind) + "\" data-status=\"" + esc(cls) + "\" transform=\"translate(" + px(b.x) +
         "," + px(b.y) + ")\">";
    o += "<title>" +
         esc(b.title + (b.sub.empty() ? "" : "\n" + b.sub) + (line3.empty() ? "" : "\n" + line3)) +
         "</title>";
    double tx = 10;
    if (b.kind == "for" || b.kind == "if") {
      o += "<polygon points=\"10,0 " + px(kW - 10) + ",0 " + px(kW) + "," + px(kH / 2) + " " +
           px(kW - 10) + "," + px(kH) + " 10," + px(kH) + " 0," + px(kH / 2) + "\"/>";
      tx = 14;
    } else {
      double rx = data ? 14 : (b.kind == "call" || b.kind == "transform") ? 7 : 2;
      o += "<rect width=\"" + px(kW) + "\" height=\"" + px(kH) + "\" rx=\"" + px(rx) + "\"/>";
    }
    size_t room = b.kind == "for" || b.kind == "if" ? 22 : 24;
    o += "<text x=\"" + px(tx) + "\" y=\"17\" font-weight=\"600\">" +
         esc(ellipsize(b.title, room)) + "</text>";
    o += "<text class=\"sub\" x=\"" + px(tx) + "\" y=\"32\">" + esc(ellipsize(b.sub, room + 4)) +
         "</text>";
    if (!line3.empty())
      o += "<text class=\"sub\" x=\"" + px(tx) + "\" y=\"46\">" + esc(ellipsize(line3, room + 4)) +
           "</text>";
    o += "</g>";
  }
  o += "</svg>";
  return o;
}

} // namespace mlpc::cli::report
