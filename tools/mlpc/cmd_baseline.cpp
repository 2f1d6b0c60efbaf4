// `mlpc baseline DATA -o DIR`: baseline statistics and suggested constraints of a CSV dataset in
// SageMaker Model Monitor's formats (runtime/monitor/statistics.h), like suggest_baseline.
#include "commands.h"

#include "monitor/statistics.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mlpc::cli {

namespace {

/// Writes `text` to `path` through a temporary file and a rename: never a half-written file.
bool writeFileAtomically(const fs::path& path, const std::string& text, std::string& error) {
  fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp.string();
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    error = "cannot write " + path.string() + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

} // namespace

void registerBaseline(CLI::App& app) {
  struct O {
    std::string data, out;
    bool json = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "baseline", "Baseline statistics and constraints of a CSV dataset (SageMaker Model "
                  "Monitor's statistics.json and constraints.json)");
  cmd->add_option("DATA", o->data, "A CSV file with a header row")->required();
  cmd->add_option("-o,--output", o->out, "The directory to write the two files into")->required();
  cmd->add_flag("--json", o->json, "Print statistics.json instead of a table");
  cmd->callback([o] {
    std::string err;
    std::error_code ec;
    if (fs::is_directory(o->data, ec)) {
      std::cerr << "error: " << o->data << " is a directory; give a CSV file\n";
      exitCode() = 2;
      return;
    }
    auto stats = monitor::computeStatistics(o->data, err);
    if (!stats) {
      std::cerr << "error: " << err << "\n";
      exitCode() = fs::exists(o->data, ec) ? 1 : 2;
      return;
    }
    if (fs::exists(o->out, ec) && !fs::is_directory(o->out, ec)) {
      std::cerr << "error: " << o->out << " exists and is not a directory\n";
      exitCode() = 2;
      return;
    }
    fs::create_directories(o->out, ec);
    if (ec) {
      std::cerr << "error: cannot create " << o->out << ": " << ec.message() << "\n";
      exitCode() = 2;
      return;
    }
    auto statsJson = monitor::statisticsJson(*stats);
    if (!writeFileAtomically(fs::path(o->out) / "statistics.json", statsJson.dump(2) + "\n", err) ||
        !writeFileAtomically(fs::path(o->out) / "constraints.json",
                             monitor::constraintsJson(*stats).dump(2) + "\n", err)) {
      std::cerr << "error: " << err << "\n";
      exitCode() = 2;
      return;
    }
    if (o->json) {
      std::cout << statsJson.dump(2) << "\n";
      return;
    }
    std::cout << stats->rows << " rows, " << stats->columns.size() << " columns -> "
              << (fs::path(o->out) / "statistics.json").string() << ", constraints.json\n";
    for (auto& c : stats->columns) {
      std::cout << "  " << c.name << "  " << c.inferredType << "  present " << c.present
                << "  missing " << c.missing;
      if (c.inferredType == "Integral" || c.inferredType == "Fractional")
        std::cout << "  mean " << num(c.mean) << "  std " << num(c.stdDev) << "  min " << num(c.min)
                  << "  max " << num(c.max);
      else if (c.inferredType == "String")
        std::cout << "  distinct " << c.distinct;
      std::cout << "\n";
    }
  });
}

} // namespace mlpc::cli
