#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
#   lua-busted, lua-cjson  the Kong phantom-token plugin's Lua tests
#   nginx, libnginx-mod-http-lua
#                          the same plugin inside real nginx + lua-nginx-module
#                          (OpenResty's ngx APIs), as the gateway of the e2e runs
#   openssl                a throwaway CA for the plugin's TLS introspection test
#   the static checker     the shell scripts are linted in test/static
#   chromium               the browser tests drive a real headless Chromium
#   postgresql             the authorization server's shared store in the
#                          multi-node tests, started in a temporary directory
#   wrk                    the benchmark's load generator (npm run bench)
# Runs apt-get only when something is missing and we are root; otherwise it
# says what to install and leaves the decision to the operator.
set -euo pipefail

packages=(lua-busted lua-cjson nginx libnginx-mod-http-lua openssl shellcheck chromium postgresql wrk)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
