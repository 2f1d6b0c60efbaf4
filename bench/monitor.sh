#!/usr/bin/env bash
# bench/monitor.sh — baseline statistics of a large CSV: `mlpc baseline` against pandas.
#
#   bench/monitor.sh [ROWS]            default 1000000 rows x 20 columns
#   MLPC=build/mlpc bench/monitor.sh
#
# Generates (once, into bench/out/) a CSV of ROWS rows: 14 numeric columns (normal and uniform,
# integers and fractions) and 6 text columns (10 to 5,000 distinct values), about 2% of cells
# missing. Then times, best of $REPEAT (default 3), with peak RSS (/usr/bin/time):
#   mlpc baseline FILE -o DIR   statistics.json + constraints.json, natively, streaming
#   pandas                      read_csv, describe() of every column, quantiles (the same 2,048
#                               order statistics), value_counts() of the text columns
# (Debian's python3-pandas). The issue's goal: mlpc >= 10x faster than pandas, memory bounded.
# Benchmarks never fail the build: this script exits 0 unless it cannot run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPC=${MLPC:-$ROOT/build/mlpc}
REPEAT=${REPEAT:-3}
ROWS=${1:-1000000}
OUT=$ROOT/bench/out
PY=/usr/bin/python3
[ -x "$MLPC" ] || { echo "monitor.sh: no mlpc at $MLPC (run ./setup.sh, or set MLPC=...)" >&2; exit 2; }
mkdir -p "$OUT"
CSV=$OUT/baseline-$ROWS.csv
if [ ! -s "$CSV" ]; then
  echo "generating $CSV ..."
  "$PY" - "$CSV" "$ROWS" <<'PYEOF'
import sys
import numpy as np
import pandas as pd
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
cols = {}
for i in range(7):
    cols[f"norm{i}"] = np.round(rng.normal(i * 10, 1 + i, n), 4)
for i in range(4):
    cols[f"unif{i}"] = np.round(rng.uniform(0, 1000, n), 2)
for i in range(3):
    cols[f"count{i}"] = rng.integers(0, 100 * (i + 1), n)
for i, k in enumerate([10, 50, 200, 1000, 3000, 5000]):
    cols[f"cat{i}"] = np.char.add("v", rng.integers(0, k, n).astype(str))
df = pd.DataFrame(cols)
mask = rng.random(df.shape) < 0.02
df = df.astype(object).mask(mask)
df.to_csv(path, index=False)
PYEOF
fi
printf 'file: %s (%s rows, %s MB)\n' "$CSV" "$ROWS" "$(($(stat -c %s "$CSV") / 1000000))"

best() { # LABEL CMD...: best wall time of $REPEAT runs and its peak RSS
  local label=$1 i best_t="" best_rss=""
  shift
  for i in $(seq 1 "$REPEAT"); do
    /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" > /dev/null 2>&1
    read -r t rss < "$OUT/time.txt"
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_rss=$rss; fi
  done
  printf '%-10s %8.2f s %8.0f MiB\n' "$label" "$best_t" "$((best_rss / 1024))"
  echo "$best_t" > "$OUT/$label.t"
}

best mlpc "$MLPC" baseline "$CSV" -o "$OUT/baseline-out"
cat > "$OUT/pandas_baseline.py" <<'PYEOF'
import sys
import numpy as np
import pandas as pd
df = pd.read_csv(sys.argv[1])
df.describe(include="all")
q = np.linspace(0, 1, 2048)
for c in df.columns:
    if df[c].dtype.kind in "if":
        df[c].quantile(q)
    else:
        df[c].value_counts()
PYEOF
best pandas "$PY" "$OUT/pandas_baseline.py" "$CSV"
printf 'pandas / mlpc: %.1fx\n' "$(awk "BEGIN{print $(cat "$OUT/pandas.t") / $(cat "$OUT/mlpc.t")}")"
