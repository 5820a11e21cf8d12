#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: system packages, npm
# dependencies (which bring their own Node 24), then `npm test`.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/system-packages.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm test
