#!/usr/bin/env bash
# One-time setup on a fresh machine: system libraries the OS keychain module needs (Linux), then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" = "Linux" ] && command -v dpkg >/dev/null 2>&1; then
  need=()
  for pkg in libsecret-1-dev; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
  if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing ${need[*]} (needed to build the keychain module)…"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
  fi
fi
npm ci --no-audit --no-fund
