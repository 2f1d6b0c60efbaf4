#include "plan/graph.h"

#include "plan/expr_text.h"

#include <functional>
#include <sstream>
#include <utility>
#include <vector>

namespace mlpc::plan {

namespace {

std::string label(const Node& n) {
  if (auto* c = n.as<CallNode>()) return n.id + "\\n" + c->step;
  if (auto* r = n.as<RegisterNode>()) return "register → " + r->group;
  if (n.as<FailNode>()) return "fail";
  if (n.as<TransformNode>()) return n.id + "\\ntransform";
  return n.id;
}

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"')
      q += "\\\"";
    else
      q += c;
  }
  return q + "\"";
}

std::string mermaidId(const std::string& id) {
  std::string out = "n_";
  for (char c : id)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

/// (data name, node id) for every node that reads a data declaration, in plan order.
std::vector<std::pair<std::string, std::string>> dataReaders(const Plan& plan) {
  std::vector<std::pair<std::string, std::string>> out;
  std::function<void(const std::vector<Node>&)> walk = [&](const std::vector<Node>& list) {
    for (auto& n : list) {
      if (!n.as<ForNode>() && !n.as<IfNode>())
        for (auto& [name, d] : plan.data)
          if (n.readsData(name)) out.emplace_back(name, n.id);
      for (auto* c : n.children())
        walk(*c);
    }
  };
  walk(plan.nodes);
  return out;
}

/// A condition's diamond shows the condition; a loop's just says `for`.
std::string diamondLabel(const Node& n, const std::set<std::string>& single) {
  if (auto* i = n.as<IfNode>()) return "if " + sourceText(i->cond, single);
  return n.kindName();
}

/// Text inside a Mermaid label: its quotes are entities.
std::string mermaidText(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '"' ? std::string("#quot;") : std::string(1, c);
  return out;
}

/// The title of a `for` or `if` cluster.
std::string clusterTitle(const Node& n) {
  if (auto* f = n.as<ForNode>()) return "for " + f->var;
  return "if";
}

} // namespace

std::string toDot(const Plan& plan) {
  const std::set<std::string> single = singleOutputNodes(plan);
  std::ostringstream o;
  o << "digraph " << quote(plan.pipeline.name.empty() ? "pipeline" : plan.pipeline.name) << " {\n";
  o << "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  for (auto& [name, d] : plan.data)
    o << "  " << quote("data:" + name) << " [label=" << quote(name + "\\n" + d.type)
      << ", shape=cylinder];\n";
  int cluster = 0;
  std::function<void(const std::vector<Node>&, int)> nodes = [&](const std::vector<Node>& list,
                                                                 int depth) {
    std::string ind(2 * depth, ' ');
    for (auto& n : list) {
      if (n.as<ForNode>() || n.as<IfNode>()) {
        o << ind << "subgraph cluster_" << cluster++ << " {\n";
        o << ind << "  label=" << quote(clusterTitle(n)) << "; style=dashed;\n";
        o << ind << "  " << quote(n.id) << " [label=" << quote(diamondLabel(n, single))
          << ", shape=diamond];\n";
        if (auto* i = n.as<IfNode>()) {
          // Each branch in its own cluster, so a reader sees which steps belong to which.
          for (auto [branch, name] :
               {std::pair{&i->then, "then"}, std::pair{&i->otherwise, "else"}}) {
            if (branch->empty()) continue;
            o << ind << "  subgraph cluster_" << cluster++ << " {\n";
            o << ind << "    label=" << quote(name) << "; style=dotted;\n";
            nodes(*branch, depth + 2);
            o << ind << "  }\n";
          }
        } else {
          for (auto* c : n.children())
            nodes(*c, depth + 1);
        }
        o << ind << "}\n";
        continue;
      }
      std::string shape = n.as<RegisterNode>() ? "note" : n.as<FailNode>() ? "octagon" : "box";
      o << ind << quote(n.id) << " [label=" << quote(label(n)) << ", shape=" << shape << "];\n";
    }
  };
  nodes(plan.nodes, 1);
  for (auto& [name, id] : dataReaders(plan))
    o << "  " << quote("data:" + name) << " -> " << quote(id) << ";\n";
  for (auto& [from, to] : plan.edges)
    o << "  " << quote(from) << " -> " << quote(to) << ";\n";
  o << "}\n";
  return o.str();
}

std::string toMermaid(const Plan& plan) {
  const std::set<std::string> single = singleOutputNodes(plan);
  std::ostringstream o;
  o << "flowchart LR\n";
  for (auto& [name, d] : plan.data)
    o << "  " << mermaidId("data:" + name) << "[(\"" << name << "\")]\n";
  std::function<void(const std::vector<Node>&, int)> nodes = [&](const std::vector<Node>& list,
                                                                 int depth) {
    std::string ind(2 * depth, ' ');
    for (auto& n : list) {
      if (n.as<ForNode>() || n.as<IfNode>()) {
        o << ind << "subgraph " << mermaidId(n.id) << "_g[\"" << clusterTitle(n) << "\"]\n";
        o << ind << "  " << mermaidId(n.id) << "{\"" << mermaidText(diamondLabel(n, single))
          << "\"}\n";
        if (auto* i = n.as<IfNode>()) {
          for (auto [branch, name] :
               {std::pair{&i->then, "then"}, std::pair{&i->otherwise, "else"}}) {
            if (branch->empty()) continue;
            o << ind << "  subgraph " << mermaidId(n.id) << "_" << name << "[\"" << name << "\"]\n";
            nodes(*branch, depth + 2);
            o << ind << "  end\n";
          }
        } else {
          for (auto* c : n.children())
            nodes(*c, depth + 1);
        }
        o << ind << "end\n";
        continue;
      }
      std::string text = label(n);
      for (size_t p; (p = text.find("\\n")) != std::string::npos;)
        text.replace(p, 2, "<br/>");
      o << ind << mermaidId(n.id) << "[\"" << text << "\"]\n";
    }
  };
  nodes(plan.nodes, 1);
  for (auto& [name, id] : dataReaders(plan))
    o << "  " << mermaidId("data:" + name) << " --> " << mermaidId(id) << "\n";
  for (auto& [from, to] : plan.edges)
    o << "  " << mermaidId(from) << " --> " << mermaidId(to) << "\n";
  return o.str();
}

} // namespace mlpc::plan
