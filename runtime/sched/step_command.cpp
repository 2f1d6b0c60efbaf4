#include "sched/step_command.h"

#include "exec/shell_quote.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace mlpc::sched {

namespace {

/// True when every field of a delimited row reads as a number (surrounding spaces, a trailing
/// CR and double quotes ignored). An empty field is not a number.
bool allNumeric(const std::string& row, char delim) {
  std::stringstream fields(row);
  std::string f;
  bool any = false;
  while (std::getline(fields, f, delim)) {
    auto b = f.find_first_not_of(" \t\r\"");
    auto e = f.find_last_not_of(" \t\r\"");
    if (b == std::string::npos) return false;
    std::string t = f.substr(b, e - b + 1);
    char* end = nullptr;
    std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) return false;
    any = true;
  }
  return any;
}

bool valueWords(const Json& v, const std::string& type, const TemplateValues& tv,
                std::vector<std::string>& words, std::string& error) {
  if (isArtifact(v)) {
    words.push_back(tv.artifactPath(v));
    return true;
  }
  if (v.is_array()) {
    std::string elem = type.rfind("list<", 0) == 0 ? type.substr(5, type.size() - 6) : "";
    for (auto& x : v)
      if (!valueWords(x, elem, tv, words, error)) return false;
    return true;
  }
  if (v.is_object()) {
    words.push_back(v.contains("$record") ? v["$record"].dump() : v.dump());
    return true;
  }
  std::string text = plan::commandText(v, type);
  if (text.find('\0') != std::string::npos) {
    error = "a value contains a NUL byte and cannot be passed to a command";
    return false;
  }
  words.push_back(text);
  return true;
}

} // namespace

bool renderTemplate(const plan::ExprP& templ, const TemplateValues& tv, bool quote,
                    std::string& out, std::string& error) {
  using plan::ExprKind;
  out.clear();
  if (!templ) return true;
  if (auto lit = templ->literalString()) {
    out = *lit;
    return true;
  }
  if (templ->kind != ExprKind::Interp) {
    error = "a command template must be a string or an interpolation";
    return false;
  }
  for (auto& part : templ->parts) {
    if (!part.expr) {
      out += part.text;
      continue;
    }
    const plan::Expr& e = *part.expr;
    std::vector<std::string> words;
    if (e.kind == ExprKind::Arg) {
      if (!tv.args->contains(e.name)) {
        error = "no value for `" + e.name + "`";
        return false;
      }
      if (!valueWords((*tv.args)[e.name], part.type, tv, words, error)) return false;
    } else if (e.kind == ExprKind::Out) {
      auto it = tv.outputs->find(e.name);
      if (it == tv.outputs->end()) {
        error = "no output `" + e.name + "`";
        return false;
      }
      words.push_back(it->second);
    } else if (e.kind == ExprKind::Port) {
      words.push_back(std::to_string(tv.port));
    } else {
      // Expressions over step parameters (e.g. `${cfg.depth}`) evaluate like pipeline ones.
      auto v = evaluateInStep(e, *tv.args, error);
      if (!v || !valueWords(*v, part.type, tv, words, error)) return false;
    }
    for (size_t i = 0; i < words.size(); ++i) {
      if (i) out += ' ';
      out += quote ? exec::shellQuote(words[i]) : words[i];
    }
  }
  return true;
}

std::string outputFileName(const std::string& name, const std::string& type) {
  if (type == "Dataset<csv>") return name + ".csv";
  if (type == "Dataset<tsv>") return name + ".tsv";
  if (type == "Dataset<jsonl>") return name + ".jsonl";
  if (type == "Dataset<parquet>") return name + ".parquet";
  if (type.rfind("Metrics", 0) == 0) return name + ".json";
  return name;
}

std::optional<Json> readJsonFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  return j;
}

std::string checkOutput(const std::string& path, const plan::StepOutput& decl) {
  const std::string& name = decl.name;
  const std::string& type = decl.type;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return "the step exited 0 but did not write its output `" + name + "` (" + type + ")";
  bool isDir = S_ISDIR(st.st_mode);
  if (type == "Dir" && !isDir) return "output `" + name + "` must be a directory";
  if (type.rfind("Metrics", 0) == 0) {
    if (isDir) return "output `" + name + "` (Metrics) must be a JSON file, found a directory";
    std::string err;
    auto j = readJsonFile(path, err);
    if (!j) return "output `" + name + "` (Metrics) is " + err;
    if (!j->is_object()) return "output `" + name + "` (Metrics) must be a JSON object";
    if (decl.fields)
      for (auto& [field, t] : *decl.fields) {
        // A nested field's path is dotted (`regression.mse.value`): walk it object by object.
        const Json* at = &*j;
        std::string walked;
        for (size_t from = 0; at;) {
          size_t dot = field.find('.', from);
          std::string part = field.substr(from, dot == std::string::npos ? dot : dot - from);
          if (!at->is_object())
            return "output `" + name + "` (Metrics): field `" + walked +
                   "` should be an object with `" + part + "`, found " + at->dump();
          auto it = at->find(part);
          if (it == at->end())
            return "output `" + name + "` (Metrics) has no field `" + walked +
                   (walked.empty() ? "" : ".") + part + "` (declared " + t + ")";
          walked += (walked.empty() ? "" : ".") + part;
          at = &*it;
          if (dot == std::string::npos) break;
          from = dot + 1;
        }
        const Json& v = *at;
        bool ok = (t == "float" && (v.is_number() || v.is_null())) ||
                  (t == "int" && v.is_number_integer()) || (t == "bool" && v.is_boolean()) ||
                  (t == "string" && v.is_string()) ||
                  ((t == "duration" || t == "size" || t == "percent") && v.is_number());
        if (!ok)
          return "output `" + name + "` (Metrics): field `" + field + "` should be " + t +
                 ", found " + v.dump();
      }
  }
  if (type == "Dataset<csv>" || type == "Dataset<tsv>") {
    if (isDir) return "";
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    if (header.find_first_not_of(" \t\r") == std::string::npos)
      return "output `" + name + "` (" + type + ") has no header row";
    // A first row of numbers is data, not column names: the header was left out (pandas'
    // `to_csv(header=False)`, numpy's `savetxt`), and every reader downstream would take the
    // first sample as names.
    if (allNumeric(header, type == "Dataset<tsv>" ? '\t' : ','))
      return "output `" + name + "` (" + type +
             ") has no header row: its first row holds only numbers (" + header.substr(0, 60) +
             (header.size() > 60 ? "…" : "") + ")";
  }
  return "";
}

} // namespace mlpc::sched
