#include "exec/slurm_array.h"

#include "exec/shell_quote.h"

namespace mlpc::exec {

std::string arrayScript(const std::vector<ArrayTask>& tasks) {
  std::string s = "#!/bin/sh\n# mlpc: step commands as one Slurm job array; task I runs the I-th "
                  "command's batch script\ncase \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t i = 0; i < tasks.size(); ++i) {
    const ArrayTask& t = tasks[i];
    s += std::to_string(i) + ") exec > " + shellQuote(t.stdoutPath) +
         (t.stderrPath == t.stdoutPath ? std::string(" 2>&1") : " 2> " + shellQuote(t.stderrPath)) +
         " && cd " + shellQuote(t.workdir) + " && exec /bin/sh " + shellQuote(t.script) + " ;;\n";
  }
  s += "esac\necho \"mlpc: no command for array task $SLURM_ARRAY_TASK_ID\" >&2\nexit 1\n";
  return s;
}

std::string arrayTaskId(const std::string& arrayId, size_t index) {
  return arrayId + "_" + std::to_string(index);
}

} // namespace mlpc::exec
