#pragma once
// Turning a step definition and argument values into a command line, an environment and a
// canonical action; checking the outputs a command left behind.
#include "plan/model.h"
#include "sched/values.h"

#include <string>
#include <vector>

namespace mlpc::sched {

/// Renders a `run` (or env) template: every interpolated value is shell-quoted; an input
/// artifact becomes its read-only store path, an output the absolute path the step must write,
/// a list one word per element, a record its JSON. `quote` false for env values.
struct TemplateValues {
  const Json* args = nullptr;                                  ///< name -> value
  const std::map<std::string, std::string>* outputs = nullptr; ///< name -> path
  std::function<std::string(const Json& artifact)> artifactPath;
  int port = 0;
};
bool renderTemplate(const plan::ExprP& templ, const TemplateValues& v, bool quote, std::string& out,
                    std::string& error);

/// The file name an output gets in the scratch directory (an extension by type helps tools).
std::string outputFileName(const std::string& name, const std::string& type);

/// Checks one produced output against its declared type: it exists, a Metrics output is a JSON
/// object whose declared fields have the declared types, a Dataset<csv> has a header row, a Dir
/// is a directory. Returns "" when fine, else what is wrong (naming the output).
std::string checkOutput(const std::string& path, const plan::StepOutput& decl);

/// The JSON object in a file (for Metrics), or an error.
std::optional<Json> readJsonFile(const std::string& path, std::string& error);

} // namespace mlpc::sched
