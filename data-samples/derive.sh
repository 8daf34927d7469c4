#!/usr/bin/env bash
# Regenerate dpsynth's sample corpora from Debian packages, then convert them to Parquet.
#
#   data-samples/derive.sh            # from the repository root (or from anywhere)
#   SKIP_PARQUET=1 data-samples/derive.sh   # JSON Lines only
#
# Steps: 1) install the Debian packages if their files are missing (apt-get, needs root),
#        2) python3 derive.py (standard library only; deterministic),
#        3) submit/local.sh convert --in X.jsonl --out X.parquet for each JSONL file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FORTUNE_DIR=/usr/share/games/fortunes
WORDNET_DIR=/usr/share/wordnet
PACKAGES=(fortunes fortunes-min wordnet-base)

missing=()
[ -f "$FORTUNE_DIR/computers" ] || missing+=(fortunes)
[ -f "$FORTUNE_DIR/literature" ] || missing+=(fortunes-min)
[ -f "$WORDNET_DIR/data.noun" ] || missing+=(wordnet-base)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "derive.sh: installing missing Debian packages: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO apt-get install -y "${missing[@]}"
fi

echo "derive.sh: package versions:" >&2
dpkg-query -W -f='  ${Package} ${Version}\n' "${PACKAGES[@]}" >&2 || true

python3 "$HERE/derive.py" --fortune-dir "$FORTUNE_DIR" --wordnet-dir "$WORDNET_DIR" --out-dir "$HERE"

if [ "${SKIP_PARQUET:-0}" = "1" ]; then
  echo "derive.sh: SKIP_PARQUET=1, not converting to Parquet." >&2
  exit 0
fi

LOCAL_SH="$ROOT/submit/local.sh"
if [ ! -x "$LOCAL_SH" ]; then
  echo "derive.sh: $LOCAL_SH is missing or not executable;" >&2
  echo "derive.sh: the JSON Lines files are ready, but the Parquet copies were NOT made." >&2
  echo "derive.sh: re-run once submit/local.sh (with its 'convert' subcommand) exists." >&2
  exit 3
fi
cd "$ROOT"
for name in fortunes-private fortunes-heldout public-corpus; do
  echo "derive.sh: converting data-samples/$name.jsonl -> data-samples/$name.parquet" >&2
  "$LOCAL_SH" convert --in "data-samples/$name.jsonl" --out "data-samples/$name.parquet"
done
