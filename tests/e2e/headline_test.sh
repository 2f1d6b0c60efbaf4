#!/usr/bin/env bash
# headline_test.sh — loops and metrics (issue 7 item 8): a sweep's candidates are recorded per
# iteration with their index, and `runs --sort`, `show`, `compare` and the report never present
# a losing candidate's value as the run's metric: the version the run registered heads it, else
# the metrics of its steps outside loops.
source "$(dirname "$0")/lib.sh" "$@"

jv() { # JSON EXPR: EXPR over `j`, printed as Python prints it
  "$PY" -c 'import json,sys; print(eval(sys.argv[2], {"j": json.loads(sys.argv[1])}))' "$1" "$2"
}

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
# The best candidate (auc 0.9) is the FIRST iteration, so "the last value recorded" would be a
# loser (0.4) — the bug this guards against.
cat > s.mlp <<'EOF'
step Fit(c: int) -> Model<pickle> {
  run = "echo model-${c} > ${out}"
}
step Score(m: Model<pickle>, auc: float) -> Metrics{auc: float} {
  run = "cat ${m} > /dev/null; echo '{\"auc\": ${auc}}' > ${out}"
}
step Summary() -> Metrics{rows: int} {
  run = "echo '{\"rows\": 150}' > ${out}"
}
model best { approval = auto }

pipeline sweep(aucs: list<float> = [0.9, 0.7, 0.4], register_it: bool = true) {
  _s = Summary()
  for a in aucs {
    m = Fit(c = len(aucs))
    s = Score(m, auc = a)
  }
  winner = argmax(m, s.auc)
  top = argmax(s, s.auc)
  if register_it {
    register winner in best with { metrics: top }
  }
}
EOF
"$MLPC" check --deny-warnings s.mlp > /dev/null 2>&1
check_eq "the sweep checks" 0 "$?"
"$MLPC" run s.mlp --workspace ws > /dev/null 2>&1
check_eq "the sweep runs" 0 "$?"
run=$("$MLPC" runs --workspace ws --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

out=$("$MLPC" runs --workspace ws --sort auc 2>&1)
check_contains "runs --sort shows the registered winner's auc" "0.9" "$out"
check_not_contains "not the last candidate's" "0.4" "$out"
j=$("$MLPC" runs --workspace ws --json)
check_eq "runs --json: the headline's source" "best version 1" \
  "$(jv "$j" 'j[0]["metrics_from"]')"
check_eq "runs --json: the headline auc" "0.9" "$(jv "$j" 'j[0]["metrics"]["auc"]')"

out=$("$MLPC" show "$run" --workspace ws 2>&1)
check_contains "show: the headline names the version" "auc=0.9  (of best version 1" "$out"
check_contains "show: each iteration under its index" "s[2]  auc=0.4" "$out"
j=$("$MLPC" show "$run" --workspace ws --json)
check_eq "show --json: iteration 1's auc" "0.7" "$(jv "$j" 'j["metrics_by_step"]["s[1]"]["auc"]')"
check_eq "show --json: the step outside the loop" "150.0" \
  "$(jv "$j" 'j["metrics_by_step"]["_s"]["rows"]')"

# Without a registration the steps outside loops head the run; candidates never do.
"$MLPC" run s.mlp --workspace ws --param register_it=false --param aucs=0.2,0.3 > /dev/null 2>&1
check_eq "an unregistered sweep runs" 0 "$?"
run2=$("$MLPC" runs --workspace ws --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
j=$("$MLPC" show "$run2" --workspace ws --json)
check_eq "unregistered: the headline has the summary's rows" "150.0" "$(jv "$j" 'j["metrics"]["rows"]')"
check_eq "unregistered: but no candidate's auc" "False" \
  "$("$PY" -c 'import json,sys; print("auc" in json.loads(sys.argv[1])["metrics"])' "$j")"
check_eq "unregistered: no source version" "None" "$(jv "$j" 'j["metrics_from"]')"

out=$("$MLPC" runs --workspace ws --pipeline sweep --sort auc --json 2>&1)
check_eq "runs --sort auc still works across runs" 0 "$?"
check_eq "the unregistered run has no headline auc" "None" \
  "$("$PY" -c 'import json,sys; r=[x for x in json.loads(sys.argv[1]) if x["id"]==sys.argv[2]][0]; print(r["metrics"].get("auc"))' "$out" "$run2")"

# A workspace where only loops recorded auc: --sort explains why there is no headline.
"$MLPC" run s.mlp --workspace ws2 --param register_it=false > /dev/null 2>&1
out=$("$MLPC" runs --workspace ws2 --sort auc 2>&1)
check_eq "--sort on a metric only loops recorded is an error" 2 "$?"
check_contains "which says it is per iteration" "is recorded per iteration of a loop" "$out"

out=$("$MLPC" compare "$run" "$run2" --workspace ws 2>&1)
check_eq "compare runs" 0 "$?"
check_contains "compare: candidates per index" "metric s[0].auc" "$out"
j=$("$MLPC" compare "$run" "$run2" --workspace ws --json)
check_eq "compare --json: the headline auc is the winner's" "[0.9, None]" \
  "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["metrics"]["auc"]["values"])' "$j")"

"$MLPC" report "$run" --workspace ws -o r.html > /dev/null 2>&1
check_eq "report writes" 0 "$?"
html=$(cat r.html)
check_contains "report: per-iteration table" 'data-testid="iteration-metrics"' "$html"
check_eq "report: one row per candidate" 3 "$(grep -o 'data-testid="iteration-metric"' r.html | wc -l)"
check_contains "report: the headline row is the version's" "best version 1" "$html"
finish
