#!/usr/bin/env bash
# plan_conditions_test.sh — `mlpc plan` shows every condition and loop with what it holds:
# decided now (by parameters or cached outputs: which branch, and what the other one holds) or
# decided at run time (both branches listed, counted once), nested branches indented; `--json`
# gives the same with a depth. `mlpc graph` draws a condition's then and else apart.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > c.mlp <<'EOF2'
step Echo(msg: string) -> File {
  run = "echo ${msg} > ${out}"
}

step Count(n: int) -> (m: Metrics{k: int}) {
  run = "echo '{\"k\": ${n}}' > ${m}"
}

pipeline p(big: bool = true, n: int = 2) {
  if big {
    a = Echo(msg = "big")
  } else {
    b = Echo(msg = "small")
    if n > 1 {
      fail "too many"
    }
  }
  c = Count(n = n)
  for i in range(c.k) {
    _e = Echo(msg = "${i}")
  }
  if c.k > 1 {
    _x = Echo(msg = "many")
  } else {
    fail "few: ${c.k}"
  }
}
EOF2

out=$("$MLPC" plan c.mlp 2>&1)
check_eq "plan exits 0" 0 "$?"
check_contains "the header counts the condition and the loop decided at run time" \
  "2 would run, 0 cached, 2 decided at run time" "$out"
check_contains "a condition known from a parameter says which way it goes" \
  "if@10:3 (if): \`big\` is true: takes then" "$out"
check_contains "the branch not taken is listed under it" \
  "      else    b (Echo): runs in this branch (not taken)" "$out"
check_contains "with its nested condition one level deeper" \
  "          then    fail@15:7 (fail): fails the run: \"too many\" (not taken)" "$out"
check_contains "a condition on a step's metrics is decided at run time" \
  "later   if@22:3 (if): \`c.k > 1\` is decided at run time (after c, which would run)" "$out"
check_contains "its then branch" "      then    _x (Echo): runs in this branch" "$out"
check_contains "and its else branch" "      else    fail@25:5 (fail): fails the run: \"few: \${c.k}\"" \
  "$out"
check_contains "a loop over a step's output is decided at run time" \
  "later   for@19:3 (for): the list \`range(c.k)\` is known at run time" "$out"
check_contains "with what each element runs" "      each    _e (Echo): runs for each element" "$out"

out=$("$MLPC" plan c.mlp --param big=false --param n=3 2>&1)
check_contains "--param flips the decided condition" "\`big\` is false: takes else" "$out"
check_contains "the nested condition is then decided too" "\`n > 1\` is true: takes then" "$out"
check_contains "and its fail is what would happen" "the run would fail: too many" "$out"

"$MLPC" plan c.mlp --json > plan.json
check_eq "--json: the undecided condition" undecided \
  "$(json_get plan.json '[d for d in j if d["node"] == "if@22:3"][0]["verdict"]')"
check_eq "--json: a branch member has its depth" 1 \
  "$(json_get plan.json '[d for d in j if d["node"] == "_x"][0]["depth"]')"
check_eq "--json: the decided condition" decided \
  "$(json_get plan.json '[d for d in j if d["node"] == "if@10:3"][0]["verdict"]')"

"$MLPC" run c.mlp --workspace ws > /dev/null 2>&1
check_eq "the pipeline runs (k = 2 takes then)" 0 "$?"
out=$("$MLPC" plan c.mlp --workspace ws 2>&1)
check_contains "once cached, the metric condition is decided at plan time" \
  "\`c.k > 1\` is true: takes then" "$out"
check_contains "and nothing is left to decide" "0 would run, 5 cached, 0 decided at run time" "$out"

dot=$("$MLPC" graph c.mlp)
check_contains "graph: the diamond shows the condition" '[label="if c.k > 1", shape=diamond]' "$dot"
check_contains "graph: the then branch is its own cluster" 'label="then"; style=dotted;' "$dot"
check_contains "graph: and the else branch" 'label="else"; style=dotted;' "$dot"
mer=$("$MLPC" graph c.mlp --format mermaid)
check_contains "mermaid: then subgraph" 'subgraph n_if_22_3_then["then"]' "$mer"
check_contains "mermaid: else subgraph" 'subgraph n_if_22_3_else["else"]' "$mer"
finish
