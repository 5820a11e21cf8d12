#!/usr/bin/env bash
# Runs the Kong phantom-token plugin's busted specs against a fake Kong PDK.
# Debian 12 packages: apt-get install -y lua-busted lua-cjson
# Optional: luajit (Kong's own VM; used when present, else busted's default Lua).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

busted_args=(--lpath='./?.lua;./kong/spec/?.lua' --pattern='_spec' kong/spec)
if command -v luajit >/dev/null 2>&1; then
  exec luajit "$(command -v busted)" "${busted_args[@]}"
fi
exec busted "${busted_args[@]}"
