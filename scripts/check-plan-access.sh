#!/usr/bin/env bash
# check-plan-access.sh — no code outside the plan library reads a plan's JSON by key.
#
# The plan is read once, by plan::read (plan/model.h), into C++ types; the runtime, the report,
# the agent and the exporters use those. This check fails when a file under runtime/, tools/ or export/
# indexes plan structure by string (`n["kind"]`, `plan["nodes"]`, `e.contains("lit")`, …) or
# validates a plan's JSON itself instead of reading it with plan::read. Writes (`j["steps"] =`,
# `.push_back`) build other JSON documents and are allowed, and so is runtime/sched/values.h,
# which defines the run-time value encoding (artifacts' "kind"), not the plan's. A step's
# canonical action (its cache key, with "code" and "args") is not the plan either.
# Usage: check-plan-access.sh [ROOT]
set -uo pipefail
ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || exit 2
keys='nodes|steps|servers|pipeline|edges|endpoints|monitors|schedules|models|body|then|else|cond|over|interp|expr|lit|outputs|kind|step|shards|server|group|tags|message|var|timeout_s|resources|retry|cache|image|run|env'
pattern="\\[\"($keys)\"\\](?!\\s*=[^=]|\\.push_back)|\\.value\\(\"($keys)\"|contains\\(\"($keys)\"\\)|plan::validate\\("
hits=$(grep -rnP "$pattern" --include='*.cpp' --include='*.h' runtime tools export |
  grep -v '^runtime/sched/values\.h:' || true)
if [ -n "$hits" ]; then
  echo "plan JSON read by key outside plan/ (use the typed plan, plan/model.h):"
  echo "$hits"
  exit 1
fi
echo "ok: no plan JSON is read by key outside plan/"
