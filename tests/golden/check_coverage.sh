#!/usr/bin/env bash
# Every diagnostic code in compiler/diag/codes.def must appear in at least one golden expected
# file, as rendered text (`error[E004]`, `warning[W001]`) or JSON (`"code": "E004"`).
#
#   tests/golden/check_coverage.sh [CODES_DEF] [GOLDEN_DIR]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DEF=${1:-$REPO/compiler/diag/codes.def}
GOLDEN=${2:-$HERE}

if [ ! -f "$DEF" ]; then
  echo "error: $DEF not found" >&2
  exit 2
fi

mapfile -t CODES < <(sed -n 's/^DIAG([^,]*, *"\([A-Z][0-9]*\)", *\([A-Za-z]*\),.*/\1 \2/p' "$DEF")
if [ ${#CODES[@]} -eq 0 ]; then
  echo "error: no DIAG(...) entries found in $DEF" >&2
  exit 2
fi

# All expected files in one stream (small: a few hundred KiB).
ALL=$(find "$GOLDEN" -name '*.expected' -type f -print0 | xargs -0 cat)

missing=()
for entry in "${CODES[@]}"; do
  code=${entry% *}
  sev=${entry#* }
  word=$(echo "$sev" | tr '[:upper:]' '[:lower:]')
  if ! grep -qF -e "${word}[${code}]" -e "\"code\": \"$code\"" <<<"$ALL"; then
    missing+=("$code")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "diagnostic codes with no golden test (add tests/golden/diagnostics/<CODE>_*.mlp):"
  printf '  %s\n' "${missing[@]}"
  echo "${#missing[@]} of ${#CODES[@]} codes missing"
  exit 1
fi
echo "all ${#CODES[@]} diagnostic codes appear in golden expected files"
