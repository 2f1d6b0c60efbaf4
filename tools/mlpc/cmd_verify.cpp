// `mlpc verify`: checks a workspace like `git fsck` — every stored object against its hash,
// every metadata reference to its object, run and version, the schema — and with --repair
// removes what nothing refers to. The checks live in sched/workspace_check.h; this file reads
// options and prints.
#include "commands.h"
#include "history_support.h"

#include "sched/workspace_check.h"

#include <iostream>

namespace mlpc::cli {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string bytesText(uint64_t b) {
  char buf[32];
  if (b < 1024)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  else if (b < 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1024 * 1024));
  return buf;
}

plan::Json useJson(const meta::ObjectUse& u) {
  plan::Json j{{"role", std::string(meta::toString(u.role))},
               {"name", u.name},
               {"description", meta::describe(u)}};
  if (!u.runId.empty()) j["run"] = u.runId;
  if (!u.node.empty()) j["step"] = u.node;
  if (u.executionId) j["execution"] = u.executionId;
  if (u.cached) j["cached"] = true;
  return j;
}

plan::Json findingJson(const sched::Finding& f) {
  plan::Json j{{"kind", f.kind}, {"message", f.message}};
  if (!f.object.empty()) j["object"] = f.object;
  if (f.objectKind) j["object_kind"] = std::string(store::toString(*f.objectKind));
  if (f.objectKind || f.kind == "abandoned_tmp") {
    j["size"] = f.size;
    j["removable"] = f.removable;
    j["removed"] = f.removed;
  }
  if (f.objectKind) {
    plan::Json used = plan::Json::array();
    for (const meta::ObjectUse& u : f.usedBy)
      used.push_back(useJson(u));
    j["used_by"] = std::move(used);
  }
  return j;
}

plan::Json reportJson(const sched::CheckReport& r, bool repair) {
  plan::Json problems = plan::Json::array(), garbage = plan::Json::array();
  for (const sched::Finding& f : r.findings)
    (f.severity == sched::Finding::Severity::Damage ? problems : garbage).push_back(findingJson(f));
  plan::Json j{{"workspace", r.workspace},
               {"ok", r.damage() == 0},
               {"schema_version", r.schemaVersion},
               {"checked",
                {{"files", r.files},
                 {"directories", r.trees},
                 {"references", r.references},
                 {"staging_in_use", r.tmpInUse}}},
               {"problems", std::move(problems)},
               {"garbage", std::move(garbage)}};
  if (repair)
    j["repair"] = {{"removed", r.removed}, {"freed_bytes", r.freedBytes}, {"note", r.repairNote}};
  else
    j["repair"] = nullptr;
  return j;
}

void printText(const sched::CheckReport& r, bool repair) {
  std::cout << "verify " << r.workspace << ": "
            << (r.schemaVersion ? "schema version " + std::to_string(r.schemaVersion)
                                : std::string("no schema version"))
            << ", " << plural(r.files, "file", "files") << " and "
            << plural(r.trees, "directory", "directories") << " hashed, "
            << plural(r.references, "reference", "references") << " resolved\n";
  size_t unusedObjects = 0, abandonedTmp = 0;
  uint64_t unusedBytes = 0;
  for (const sched::Finding& f : r.findings) {
    bool damage = f.severity == sched::Finding::Severity::Damage;
    std::cout << (damage ? "error: " : "unused: ") << f.message;
    if (f.removed) std::cout << " [removed]";
    std::cout << "\n";
    // The first use is in the message; the others follow, so a damaged object's reach shows.
    for (size_t i = 1; i < f.usedBy.size() && i < 6; ++i)
      std::cout << "    also " << meta::describe(f.usedBy[i]) << "\n";
    if (f.usedBy.size() > 6) std::cout << "    and " << f.usedBy.size() - 6 << " more\n";
    if (damage || f.removed) continue;
    if (f.kind == "abandoned_tmp")
      ++abandonedTmp;
    else if (f.removable) {
      ++unusedObjects;
      unusedBytes += f.size;
    }
  }
  if (repair) {
    std::cout << "repair: removed " << plural(r.removed, "entry", "entries");
    if (r.freedBytes) std::cout << " (" << bytesText(r.freedBytes) << " of objects)";
    std::cout << "\n";
    if (!r.repairNote.empty()) std::cout << "note: " << r.repairNote << "\n";
  }
  size_t damage = r.damage();
  if (damage) {
    std::cout << "the workspace is damaged: " << plural(damage, "problem", "problems") << "\n";
    return;
  }
  std::cout << "the workspace is intact";
  if (unusedObjects || abandonedTmp)
    std::cout << "; " << plural(unusedObjects, "unused object", "unused objects") << " ("
              << bytesText(unusedBytes) << ") and "
              << plural(abandonedTmp, "abandoned staging entry", "abandoned staging entries")
              << " can be removed with `mlpc verify --repair`";
  std::cout << "\n";
}

} // namespace

void registerVerify(CLI::App& app) {
  struct O {
    std::string ws;
    bool json = false, repair = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "verify", "Check a workspace: every stored object against its hash, every recorded "
                "reference to an object, run and version, the schema (exit 1 when damaged)");
  addWorkspaceOption(*cmd, o->ws);
  cmd->add_flag("--json", o->json, "Print the findings as JSON");
  cmd->add_flag("--repair", o->repair,
                "Remove what nothing refers to: unused objects and staging entries abandoned by "
                "crashed runs (never a referenced object, however damaged)");
  cmd->callback([o] {
    auto dir = findWorkspaceDir(o->ws);
    if (!dir) return;
    sched::CheckOptions opts;
    opts.repair = o->repair;
    auto report = sched::checkWorkspace(*dir, opts);
    if (!report) {
      std::cerr << "error: " << report.error() << "\n";
      exitCode() = 2;
      return;
    }
    if (o->json)
      std::cout << reportJson(*report, o->repair).dump(2) << "\n";
    else
      printText(*report, o->repair);
    exitCode() = report->damage() ? 1 : 0;
  });
}

} // namespace mlpc::cli
