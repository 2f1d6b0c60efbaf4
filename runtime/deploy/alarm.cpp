#include "deploy/alarm.h"

#include <cmath>

namespace mlpc::deploy {

std::map<std::string, double> alarmReadings(const std::map<std::string, double>& window) {
  std::map<std::string, double> r = window;
  if (auto it = r.find("error_rate"); it != r.end()) it->second *= 100;
  return r;
}

namespace {

/// Numbers and booleans share a double (booleans 0 and 1).
std::optional<double> eval(const plan::Expr& e, const std::map<std::string, double>& m,
                           std::string& error) {
  using plan::ExprKind;
  switch (e.kind) {
  case ExprKind::Lit:
    if (e.value.is_boolean()) return e.value.get<bool>() ? 1.0 : 0.0;
    if (e.value.is_number()) return e.value.get<double>();
    error = "a literal that is not a number";
    return std::nullopt;
  case ExprKind::Metric: {
    auto it = m.find(e.name);
    if (it == m.end()) {
      error = "unknown alarm metric `" + e.name + "`";
      return std::nullopt;
    }
    return it->second;
  }
  case ExprKind::Op: {
    std::vector<double> a;
    for (auto& x : e.items) {
      if (!x) {
        error = "a missing operand";
        return std::nullopt;
      }
      // `and`/`or` short-circuit like the language's.
      if (!a.empty() && e.name == "and" && a[0] == 0) return 0.0;
      if (!a.empty() && e.name == "or" && a[0] != 0) return 1.0;
      auto v = eval(*x, m, error);
      if (!v) return std::nullopt;
      a.push_back(*v);
    }
    const std::string& op = e.name;
    if (a.size() == 1) {
      if (op == "not") return a[0] == 0 ? 1.0 : 0.0;
      if (op == "neg") return -a[0];
    } else if (a.size() == 2) {
      if (op == ">") return a[0] > a[1] ? 1.0 : 0.0;
      if (op == ">=") return a[0] >= a[1] ? 1.0 : 0.0;
      if (op == "<") return a[0] < a[1] ? 1.0 : 0.0;
      if (op == "<=") return a[0] <= a[1] ? 1.0 : 0.0;
      if (op == "==") return a[0] == a[1] ? 1.0 : 0.0;
      if (op == "!=") return a[0] != a[1] ? 1.0 : 0.0;
      if (op == "and") return a[0] != 0 && a[1] != 0 ? 1.0 : 0.0;
      if (op == "or") return a[0] != 0 || a[1] != 0 ? 1.0 : 0.0;
      if (op == "+") return a[0] + a[1];
      if (op == "-") return a[0] - a[1];
      if (op == "*") return a[0] * a[1];
      if (op == "/") return a[1] == 0 ? std::nan("") : a[0] / a[1];
    }
    error = "operator `" + op + "` in an alarm";
    return std::nullopt;
  }
  default:
    error = "an expression an alarm cannot evaluate";
    return std::nullopt;
  }
}

} // namespace

std::optional<bool> alarmTrips(const plan::Expr& rollback,
                               const std::map<std::string, double>& readings, std::string& error) {
  auto v = eval(rollback, readings, error);
  if (!v) return std::nullopt;
  return *v != 0 && !std::isnan(*v);
}

} // namespace mlpc::deploy
