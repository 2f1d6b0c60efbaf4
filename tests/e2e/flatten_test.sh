#!/usr/bin/env bash
# flatten_test.sh — `flatten(list<list<T>>)` reduces a nested sweep: argmax over the flattened
# candidates and scores picks the best of every (a, b) pair, and a bad use is a type error.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > f.mlp <<'EOF2'
step Score(a: int, b: int) -> (m: Metrics{auc: float}) {
  run = "echo '{\"auc\": ${a}.${b}}' > ${m}"
}

step Pick(m: Metrics{auc: float}) -> File {
  run = "cat ${m} > ${out}"
}

pipeline p(xs: list<int> = [1, 3, 2], ys: list<int> = [4, 9, 5]) {
  for a in xs {
    for b in ys {
      s = Score(a = a, b = b)
    }
  }
  _top = Pick(argmax(flatten(s), flatten(s.auc)))
  _low = Pick(argmin(flatten(s), flatten(s.auc)))
}
EOF2
"$MLPC" check --deny-warnings f.mlp > /dev/null 2>&1
check_eq "the nested sweep with flatten checks" 0 "$?"
"$MLPC" run f.mlp --workspace ws --json > run.jsonl 2> err.txt
check_eq "it runs" 0 "$?"
run=$(tail -1 run.jsonl | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run"])')
check_contains "argmax over the flattened 3x3 sweep picks (3, 9)" '"auc": 3.9' \
  "$("$MLPC" cat "$run:_top" --workspace ws 2>&1)"
check_contains "argmin picks (1, 4)" '"auc": 1.4' "$("$MLPC" cat "$run:_low" --workspace ws 2>&1)"

cat > bad.mlp <<'EOF2'
pipeline p(xs: list<int> = [1, 2]) {
  ys = flatten(xs)
  _n = len(ys)
}
EOF2
out=$("$MLPC" check bad.mlp 2>&1)
check_eq "flatten of a flat list is an error" 1 "$?"
check_contains "naming the argument's type" "\`flatten\` expects a list of lists, found \`list<int>\`" "$out"
finish
