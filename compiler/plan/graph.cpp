#include "plan/graph.h"

#include <functional>
#include <sstream>
#include <utility>
#include <vector>

namespace mlpc::plan {

namespace {

std::string label(const Json& n) {
  std::string kind = n.value("kind", "");
  std::string id = n.value("id", "");
  if (kind == "call") return id + "\\n" + n.value("step", "");
  if (kind == "register") return "register → " + n.value("group", "");
  if (kind == "fail") return "fail";
  if (kind == "transform") return id + "\\ntransform";
  return id;
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
std::vector<std::pair<std::string, std::string>> dataReaders(const Json& plan) {
  std::vector<std::pair<std::string, std::string>> out;
  std::function<void(const Json&)> walk = [&](const Json& list) {
    for (auto& n : list) {
      std::string kind = n.value("kind", "");
      if (kind != "for" && kind != "if") {
        std::string s = n.dump();
        for (auto& [name, d] : plan["data"].items())
          if (s.find("{\"data\":" + Json(name).dump() + "}") != std::string::npos)
            out.emplace_back(name, n["id"].get<std::string>());
      }
      for (const char* k : {"body", "then", "else"})
        if (n.contains(k)) walk(n[k]);
    }
  };
  walk(plan["nodes"]);
  return out;
}

} // namespace

std::string toDot(const Json& plan) {
  std::ostringstream o;
  o << "digraph " << quote(plan["pipeline"].value("name", "pipeline")) << " {\n";
  o << "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  for (auto& [name, d] : plan["data"].items())
    o << "  " << quote("data:" + name) << " [label=" << quote(name + "\\n" + d.value("type", ""))
      << ", shape=cylinder];\n";
  int cluster = 0;
  std::function<void(const Json&, int)> nodes = [&](const Json& list, int depth) {
    std::string ind(2 * depth, ' ');
    for (auto& n : list) {
      std::string kind = n.value("kind", "");
      if (kind == "for" || kind == "if") {
        o << ind << "subgraph cluster_" << cluster++ << " {\n";
        o << ind << "  label=" << quote(kind == "for" ? "for " + n.value("var", "") : "if")
          << "; style=dashed;\n";
        o << ind << "  " << quote(n["id"]) << " [label=" << quote(kind) << ", shape=diamond];\n";
        for (const char* k : {"body", "then", "else"})
          if (n.contains(k)) nodes(n[k], depth + 1);
        o << ind << "}\n";
        continue;
      }
      std::string shape = kind == "register" ? "note" : kind == "fail" ? "octagon" : "box";
      o << ind << quote(n["id"]) << " [label=" << quote(label(n)) << ", shape=" << shape << "];\n";
    }
  };
  nodes(plan["nodes"], 1);
  for (auto& [name, id] : dataReaders(plan))
    o << "  " << quote("data:" + name) << " -> " << quote(id) << ";\n";
  for (auto& e : plan["edges"])
    o << "  " << quote(e[0]) << " -> " << quote(e[1]) << ";\n";
  o << "}\n";
  return o.str();
}

std::string toMermaid(const Json& plan) {
  std::ostringstream o;
  o << "flowchart LR\n";
  for (auto& [name, d] : plan["data"].items())
    o << "  " << mermaidId("data:" + name) << "[(\"" << name << "\")]\n";
  std::function<void(const Json&, int)> nodes = [&](const Json& list, int depth) {
    std::string ind(2 * depth, ' ');
    for (auto& n : list) {
      std::string kind = n.value("kind", "");
      std::string id = n.value("id", "");
      if (kind == "for" || kind == "if") {
        o << ind << "subgraph " << mermaidId(id) << "_g[\""
          << (kind == "for" ? "for " + n.value("var", "") : "if") << "\"]\n";
        o << ind << "  " << mermaidId(id) << "{\"" << kind << "\"}\n";
        for (const char* k : {"body", "then", "else"})
          if (n.contains(k)) nodes(n[k], depth + 1);
        o << ind << "end\n";
        continue;
      }
      std::string text = label(n);
      for (size_t p; (p = text.find("\\n")) != std::string::npos;)
        text.replace(p, 2, "<br/>");
      o << ind << mermaidId(id) << "[\"" << text << "\"]\n";
    }
  };
  nodes(plan["nodes"], 1);
  for (auto& [name, id] : dataReaders(plan))
    o << "  " << mermaidId("data:" + name) << " --> " << mermaidId(id) << "\n";
  for (auto& e : plan["edges"])
    o << "  " << mermaidId(e[0]) << " --> " << mermaidId(e[1]) << "\n";
  return o.str();
}

} // namespace mlpc::plan
