#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
#   lua-busted, lua-cjson  - run the Kong phantom-token plugin's Lua tests
#   shellcheck             - static checks of build.sh / deploy.sh
#   chromium               - the browser tests drive a real headless Chromium
# Runs apt-get only when something is missing and we are root; otherwise it
# says what to install and leaves the decision to the operator.
set -euo pipefail

declare -A wanted=(
  [busted]=lua-busted
  [shellcheck]=shellcheck
  [chromium]=chromium
)
missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${wanted[$command]}")
done
if ! lua -e 'require("cjson")' >/dev/null 2>&1 && ! lua5.1 -e 'require("cjson")' >/dev/null 2>&1; then
  missing+=(lua-cjson)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
