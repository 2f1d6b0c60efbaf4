#!/usr/bin/env bash
# baseline_test.sh — `mlpc baseline DATA -o DIR` (issue 9, baselines): statistics.json and
# constraints.json in SageMaker Model Monitor's formats, computed natively; every figure checked
# against Python's statistics module; bad input named precisely.
source "$(dirname "$0")/lib.sh" "$@"

P=$T/proj
mkdir -p "$P"
cd "$P" || exit 2
cat > d.csv <<'EOF'
age,income,city,note
34,52000.5,Paris,
28,,Lyon,"quoted, with a comma"
45,61000.25,Paris,x
-3,48000,,y
51,75500.75,Nice,z
EOF
out=$("$MLPC" baseline d.csv -o base 2>&1)
check_eq "baseline: exit 0" 0 "$?"
check_contains "a summary line" "5 rows, 4 columns" "$out"
check "statistics.json written" test -s base/statistics.json
check "constraints.json written" test -s base/constraints.json

check_eq "every figure matches Python's statistics module" "ok" "$("$PY" - base <<'EOF'
import json, statistics, sys
s = json.load(open(sys.argv[1] + "/statistics.json"))
c = json.load(open(sys.argv[1] + "/constraints.json"))
f = {x["name"]: x for x in s["features"]}
problems = []
def near(a, b): return abs(a - b) <= 1e-9 * max(1, abs(b))
def want(what, ok):
    if not ok: problems.append(what)
want("item_count", s["dataset"]["item_count"] == 5)
age, inc = [34, 28, 45, -3, 51], [52000.5, 61000.25, 48000, 75500.75]
for name, vals, t in (("age", age, "Integral"), ("income", inc, "Fractional")):
    n = f[name]["numerical_statistics"]
    want(name + " type", f[name]["inferred_type"] == t)
    want(name + " present", n["common"]["num_present"] == len(vals))
    want(name + " missing", n["common"]["num_missing"] == 5 - len(vals))
    want(name + " mean", near(n["mean"], statistics.fmean(vals)))
    want(name + " sum", near(n["sum"], sum(vals)))
    want(name + " std_dev (population)", near(n["std_dev"], statistics.pstdev(vals)))
    want(name + " min/max", n["min"] == min(vals) and n["max"] == max(vals))
    want(name + " sketch = the sorted values", n["distribution"]["kll"]["sketch"]["data"][0] == sorted(vals))
    want(name + " buckets count every value",
         sum(b["count"] for b in n["distribution"]["kll"]["buckets"]) == len(vals))
city = f["city"]["string_statistics"]
want("city type", f["city"]["inferred_type"] == "String")
want("city missing", city["common"]["num_missing"] == 1)
want("city distinct", city["distinct_count"] == 3)
want("city top value", city["distribution"]["categorical"]["buckets"][0] == {"value": "Paris", "count": 2})
want("a quoted comma is one field", f["note"]["string_statistics"]["common"]["num_present"] == 4)
cf = {x["name"]: x for x in c["features"]}
want("completeness", cf["income"]["completeness"] == 0.8 and cf["age"]["completeness"] == 1.0)
want("is_non_negative", cf["age"]["num_constraints"]["is_non_negative"] is False and
     cf["income"]["num_constraints"]["is_non_negative"] is True)
want("string domain", sorted(cf["city"]["string_constraints"]["domains"]) == ["Lyon", "Nice", "Paris"])
want("monitoring_config", c["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Robust")
print("ok" if not problems else "wrong: " + ", ".join(problems))
EOF
)"

out=$("$MLPC" baseline d.csv -o base --json 2>&1)
check_contains "--json prints statistics.json" '"inferred_type": "Fractional"' "$out"

# Bad input: named precisely, nothing half-written.
printf 'a,b\n1,2\n3\n' > ragged.csv
out=$("$MLPC" baseline ragged.csv -o r 2>&1)
check_eq "a ragged row: exit 1" 1 "$?"
check_contains "names the row" "row 3 has 1 fields, the header has 2" "$out"
check "nothing written for it" test ! -e r/statistics.json
printf 'a,b\n"1,2\n' > quote.csv
out=$("$MLPC" baseline quote.csv -o q 2>&1)
check_eq "an unterminated quote: exit 1" 1 "$?"
check_contains "says it is not valid CSV" "not valid CSV" "$out"
: > empty.csv
out=$("$MLPC" baseline empty.csv -o e 2>&1)
check_eq "an empty file: exit 1" 1 "$?"
check_contains "says so" "empty (no header row)" "$out"
out=$("$MLPC" baseline missing.csv -o m 2>&1)
check_eq "a missing file: exit 2" 2 "$?"
check_contains "names it" "missing.csv: cannot open" "$out"
touch afile
out=$("$MLPC" baseline d.csv -o afile 2>&1)
check_eq "-o naming a file: exit 2" 2 "$?"
check_contains "says so" "exists and is not a directory" "$out"
finish
