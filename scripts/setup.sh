#!/usr/bin/env bash
# Set up qa-engine from scratch in ./.venv (idempotent). `--dev` adds the test tools and the headless browser.
# Everything comes from the lock files, every file checked against its sha256 (requirements.lock, or
# requirements-dev.lock with --dev; docs/development.md says how to refresh them). torch is installed first and
# pinned, its CPU build (the lock holds that wheel's hash): an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
lock=requirements.lock
[ "$dev" = 1 ] && lock=requirements-dev.lock
# torch==2.13.0 first, alone and hash-checked: its entry in the lock (the name line and its one --hash line)
grep -A1 '^torch==2.13.0' "$lock" | .venv/bin/python -m pip install -q --require-hashes --no-deps -r /dev/stdin
.venv/bin/python -m pip install -q --require-hashes -r "$lock"
.venv/bin/python -m pip install -q --no-deps -e .

# System packages: Chromium for browser tests and PDF checks (poppler-utils' pdftoppm), CJK fonts for reports.
need=()
if [ "$dev" = 1 ]; then
  command -v chromium >/dev/null || need+=(chromium chromium-driver)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
fi
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if $SUDO true 2>/dev/null; then
    echo "installing system packages: ${need[*]}"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: cannot install ${need[*]} (no root); browser tests and CJK PDF fonts need them" >&2
  fi
fi
echo "qa-engine is set up in .venv"
