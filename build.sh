#!/usr/bin/env bash
# Builds everything the deployment needs, then ./deploy.sh starts it:
#   1. checks the prerequisites
#   2. npm ci            (the workspace brings its own Node 24)
#   3. npm run typecheck
#   4. certs/create.sh   (development CA and *.demo.example certificate, once)
#   5. docker compose build for both Docker profiles, when Docker is available
#
# Usage: ./build.sh [--no-docker]
#   --no-docker   skip the images (the local profile needs none)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly MIN_COMPOSE_VERSION=2.24.0

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
fail() {
  printf '\nbuild.sh: %s\n' "$*" >&2
  exit 1
}

# True when version $1 >= version $2 (dotted numbers).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

use_docker=true
case "${1:-}" in
  '') ;;
  --no-docker) use_docker=false ;;
  -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
    ;;
  *) fail "unknown option: $1 (usage: ./build.sh [--no-docker])" ;;
esac

step 'Checking prerequisites'
command -v node >/dev/null 2>&1 || fail 'Node.js is required (any version from 20 on; npm ci installs Node 24 for the project)'
command -v npm >/dev/null 2>&1 || fail 'npm is required (it comes with Node.js)'
command -v openssl >/dev/null 2>&1 || fail 'openssl is required to create the development certificates'
note "node $(node --version), npm $(npm --version), $(openssl version)"

if [ "$use_docker" = true ]; then
  if ! command -v docker >/dev/null 2>&1; then
    use_docker=false
    note 'Docker: not installed, so no images are built (./deploy.sh will run the local profile)'
  elif ! docker info >/dev/null 2>&1; then
    use_docker=false
    note 'Docker: installed but the engine is not reachable, so no images are built'
    note '        (start Docker and run ./build.sh again for the Docker profiles)'
  else
    compose_version=$(docker compose version --short 2>/dev/null | sed 's/^v//') ||
      fail 'the Docker Compose plugin is required (docker compose version failed)'
    version_at_least "$compose_version" "$MIN_COMPOSE_VERSION" ||
      fail "Docker Compose $MIN_COMPOSE_VERSION or later is required (found $compose_version)"
    note "Docker: engine reachable, Compose $compose_version"
  fi
else
  note 'Docker: skipped (--no-docker)'
fi

step 'Installing npm dependencies (npm ci)'
npm ci --no-audit --no-fund

step 'Type-checking (npm run typecheck)'
npm run typecheck

step 'Development certificates (certs/create.sh)'
./certs/create.sh

if [ "$use_docker" = true ]; then
  step 'Building the images (docker compose build, profiles open and curity)'
  docker compose --profile open --profile curity build
  # The Curity image is pulled by ./deploy.sh when a license is given.
  step 'Pulling the third-party images of the open profile'
  docker compose --profile open pull --ignore-buildable
fi

step 'Build complete'
if [ "$use_docker" = true ]; then
  note 'Next: ./deploy.sh   (Curity profile: export LICENSE_FILE_PATH=/path/to/license.json first)'
else
  note 'Next: ./deploy.sh   (runs the local profile: no Docker needed)'
fi
