#!/usr/bin/env bash
# Derive dpsynth's Fashion-MNIST image sample from Debian's dataset-fashion-mnist package.
#
#   data-samples/fashion/derive.sh     # from anywhere; needs root (or sudo) only if the package is missing
#
# Steps: 1) apt-get install dataset-fashion-mnist if its files are missing,
#        2) python3 derive.py (standard library only; deterministic) writes the JSONL files here.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC=/usr/share/datasets/fashion-mnist
if [ ! -f "$SRC/train-images-idx3-ubyte.gz" ]; then
  echo "derive.sh: installing missing Debian package: dataset-fashion-mnist" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO apt-get install -y dataset-fashion-mnist
fi
echo "derive.sh: package version:" >&2
dpkg-query -W -f='  ${Package} ${Version}\n' dataset-fashion-mnist >&2 || true

# Debian's interpreter: the derivation uses only Python's standard library.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" "$HERE/derive.py" --src "$SRC" --out-dir "$HERE"
