#!/usr/bin/env bash
# Starts the deployment and prints where everything is.
#
#   LICENSE_FILE_PATH set      Docker, profile "curity": Kong + the Curity
#                              Identity Server + PostgreSQL (as in the tutorial)
#   Docker, no license         Docker, profile "open": Kong + this repository's
#                              authorization server
#   no Docker, or --local      the local profile: every service as a Node
#                              process behind the Node gateway (npm start)
#
# Usage: ./deploy.sh [--local | --open | --curity | --down | --help]
#   --local    the local profile even when Docker is available
#   --open     the open Docker profile even when LICENSE_FILE_PATH is set
#   --curity   the Curity profile; fails unless LICENSE_FILE_PATH is valid
#   --down     stops the Docker deployment (data volumes are kept)
#
# REPLICAS=N (1 to 9) runs N MCP servers and, except in the Curity profile,
# N authorization server nodes on the shared PostgreSQL, balanced by the
# gateway: Docker's --scale, or the launcher's replicas in the local profile.
#
# Run ./build.sh first. Demo secrets (Password1) can be replaced with the
# environment variables GATEWAY_CLIENT_SECRET, MCP_SERVER_CLIENT_SECRET,
# ADMIN_PASSWORD and DB_PASSWORD; see docs/docker.md.

# The small node -e scripts below are single-quoted on purpose: the shell
# must not expand their ${...} template literals.
# shellcheck disable=SC2016
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly DEPLOY_DIR=.deploy
readonly CURITY_VERSION="${CURITY_VERSION:-11.4.0}"
readonly HOSTS_LINE='127.0.0.1 mcp.demo.example api.demo.example login.demo.example admin.demo.example mail.demo.example www.client.example'
readonly MIN_COMPOSE_VERSION=2.24.0
readonly PUBLIC_ISSUER='https://login.demo.example/oauth/v2/oauth-anonymous'
# RFC 8414 section 3.1: the well-known segment goes between the host and the
# issuer's path. Both authorization servers serve this form, and MCP clients
# try it first for an issuer with a path; the Curity Identity Server serves
# no metadata at the root /.well-known/oauth-authorization-server.
readonly REPLICAS="${REPLICAS:-1}"
readonly METADATA_URL="https://login.demo.example/.well-known/oauth-authorization-server${PUBLIC_ISSUER#https://login.demo.example}"

say() { printf '%s\n' "$*"; }
fail() {
  printf 'deploy.sh: %s\n' "$*" >&2
  exit 1
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

docker_available() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

require_compose() {
  local version
  version=$(docker compose version --short 2>/dev/null | sed 's/^v//') ||
    fail 'the Docker Compose plugin is required (docker compose version failed)'
  version_at_least "$version" "$MIN_COMPOSE_VERSION" ||
    fail "Docker Compose $MIN_COMPOSE_VERSION or later is required (found $version)"
}

# Every Docker profile is started and stopped with both profiles named, so
# switching between them never leaves the other authorization server behind.
compose() {
  docker compose --profile open --profile curity "$@"
}

# A Curity license file is JSON whose "License" member holds the license key.
# Prints the key; exits with a message naming the problem otherwise.
read_license_key() {
  local file="$1"
  [ -e "$file" ] || fail "LICENSE_FILE_PATH points to '$file', which does not exist"
  [ -f "$file" ] || fail "LICENSE_FILE_PATH points to '$file', which is not a file"
  [ -r "$file" ] || fail "LICENSE_FILE_PATH points to '$file', which is not readable"
  node -e '
    const fs = require("node:fs");
    const file = process.argv[1];
    let license;
    try {
      license = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      console.error(`deploy.sh: ${file} is not a JSON file; a Curity license file looks like {"License": "eyJ..."}`);
      process.exit(1);
    }
    const key = license !== null && typeof license === "object" ? license.License : undefined;
    if (typeof key !== "string" || !/^[A-Za-z0-9._~+\/=-]+$/.test(key.trim())) {
      console.error(`deploy.sh: ${file} has no "License" key; download a license file from the Curity developer portal`);
      process.exit(1);
    }
    process.stdout.write(key.trim());
  ' "$file"
}

# Writes a file only the current user can read.
write_private() {
  local target="$1" content="$2"
  (umask 077 && printf '%s\n' "$content" >"$target.tmp" && mv "$target.tmp" "$target")
}

# Waits up to ten minutes (the first Curity start takes a while) for the
# services' containers to report healthy; fails at once if one stops.
wait_until_healthy() {
  local profile="$1" service containers container state deadline
  shift
  deadline=$((SECONDS + 600))
  for service in "$@"; do
    # One container per replica of a scaled service.
    containers=$(docker compose --profile "$profile" ps --quiet "$service")
    [ -n "$containers" ] || return 1
    for container in $containers; do
      while :; do
        state=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$container")
        case "$state" in
          'running healthy') break ;;
          exited* | dead*)
            printf 'deploy.sh: %s stopped (%s)\n' "$service" "$state" >&2
            return 1
            ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then
          printf 'deploy.sh: %s is not healthy after ten minutes (%s)\n' "$service" "$state" >&2
          return 1
        fi
        sleep 3
      done
    done
    say "  $service is healthy"
  done
}

hosts_resolve() {
  node -e '
    require("node:dns").lookup("mcp.demo.example", (error, address) =>
      process.exit(!error && (address === "127.0.0.1" || address === "::1") ? 0 : 1));
  ' 2>/dev/null
}

print_users() {
  node -e '
    const { users } = JSON.parse(require("node:fs").readFileSync("data/users.json", "utf8"));
    for (const user of users) console.log(`    ${user.email.padEnd(28)} region ${user.region}`);
  '
}

# Records the URLs for tests and people, in the shape of the local launcher's
# endpoints file.
write_endpoints_file() {
  local profile="$1"
  mkdir -p "$DEPLOY_DIR"
  PROFILE="$profile" ISSUER="$PUBLIC_ISSUER" AUTHORIZATION_SERVER_METADATA="$METADATA_URL" node -e '
    const fs = require("node:fs");
    const { users } = JSON.parse(fs.readFileSync("data/users.json", "utf8"));
    const endpoints = {
      profile: process.env.PROFILE,
      external: {
        mcp: "https://mcp.demo.example/",
        protectedResourceMetadata: "https://mcp.demo.example/.well-known/oauth-protected-resource",
        stocksApi: "https://api.demo.example/stocks",
        issuer: process.env.ISSUER,
        authorizationServerMetadata: process.env.AUTHORIZATION_SERVER_METADATA,
        inbox: "https://mail.demo.example/",
        clientMetadata: "https://www.client.example/",
      },
      clientMetadataDocuments: {
        consoleClient: "https://www.client.example/console-client.json",
        mcpInspector: "https://www.client.example/mcp-inspector.json",
      },
      users,
    };
    if (process.env.PROFILE === "docker-curity") endpoints.external.adminUi = "https://admin.demo.example/admin";
    fs.writeFileSync(".deploy/endpoints.json", JSON.stringify(endpoints, null, 2) + "\n");
  '
}

print_docker_summary() {
  local profile="$1"
  say ''
  say "The Docker deployment is running (profile $profile)."
  say ''
  say '  MCP server entry point         https://mcp.demo.example/'
  say '  Protected resource metadata    https://mcp.demo.example/.well-known/oauth-protected-resource'
  say '  Stocks API                     https://api.demo.example/stocks'
  say "  Authorization server metadata  $METADATA_URL"
  say '  Test e-mail inbox              https://mail.demo.example/'
  say '  Client metadata documents      https://www.client.example/'
  if [ "$profile" = curity ]; then
    say '  Curity admin UI                https://admin.demo.example/admin'
    say '                                 user admin; password from ADMIN_PASSWORD (DEMO default Password1)'
  fi
  say ''
  say '  Test users (sign in with the e-mail address, then read the one-time code in the inbox):'
  print_users
  say ''
  if hosts_resolve; then
    say '  Host names: mcp.demo.example resolves to this machine.'
  else
    say '  Host names: add this line to /etc/hosts (C:\Windows\System32\drivers\etc\hosts on Windows):'
    say "    $HOSTS_LINE"
  fi
  say "  Certificates: trust certs/ca.crt once (certs/README.md); for Node clients:"
  say "    export NODE_EXTRA_CA_CERTS=\"$PWD/certs/ca.crt\""
  say ''
  say "  Endpoints file: $PWD/$DEPLOY_DIR/endpoints.json"
  say '  Logs:           docker compose logs -f [service]'
  say '  Stop:           ./deploy.sh --down'
}

deploy_local() {
  say 'Starting the local profile: every service as a Node process behind the Node gateway.'
  say 'No /etc/hosts entry or certificate is needed; the launcher prints the URLs.'
  if [ ! -d node_modules ]; then
    say 'node_modules is missing: running npm ci first.'
    npm ci --no-audit --no-fund
  fi
  if [ "$REPLICAS" -gt 1 ]; then
    export MCP_SERVER_REPLICAS="$REPLICAS" AUTHORIZATION_SERVER_REPLICAS="$REPLICAS"
  fi
  exec npm start
}

deploy_docker() {
  local profile="$1"
  require_compose
  ./certs/create.sh
  mkdir -p "$DEPLOY_DIR"

  if [ "$profile" = curity ]; then
    local license_key
    license_key=$(read_license_key "$LICENSE_FILE_PATH") || exit 1
    write_private "$DEPLOY_DIR/curity-license.env" "LICENSE_KEY=$license_key"
    say "Using the Curity license from $LICENSE_FILE_PATH"
    # The keys are made once. They also carry the development CA, which the
    # server trusts for client ID metadata documents, so a new CA (certs/
    # create.sh --force) means new values.
    if [ ! -s "$DEPLOY_DIR/curity-secrets.env" ] || [ certs/ca.crt -nt "$DEPLOY_DIR/curity-secrets.env" ]; then
      say 'Creating the Curity keys (kept in .deploy/curity-secrets.env until the development CA changes)'
      local secrets
      secrets=$(CURITY_IMAGE="curity.azurecr.io/curity/idsvr:$CURITY_VERSION" idsvr-config/scripts/create-crypto-env.sh certs/ca.crt) ||
        fail 'could not create the Curity keys (idsvr-config/scripts/create-crypto-env.sh failed)'
      write_private "$DEPLOY_DIR/curity-secrets.env" "$secrets"
    fi
  else
    # Random per-deployment cookie keys for the open authorization server,
    # kept so that sessions survive a restart.
    if [ ! -s "$DEPLOY_DIR/authorization-server.env" ]; then
      write_private "$DEPLOY_DIR/authorization-server.env" "COOKIE_KEYS=$(openssl rand -hex 32)"
    fi
    COOKIE_KEYS=$(sed -n 's/^COOKIE_KEYS=//p' "$DEPLOY_DIR/authorization-server.env")
    export COOKIE_KEYS
  fi

  # Only one authorization server may answer as idsvr: stop the other one.
  local other=idsvr
  [ "$profile" = curity ] && other=authorization-server
  compose stop "$other" >/dev/null 2>&1 || true
  say "Starting the Docker deployment, profile $profile (waits until every service is healthy)"
  # `up` itself waits for the health and completion conditions of depends_on
  # (and fails when one is not met); what is left is the gateway and the
  # authorization server, which nothing depends on.
  local authorization_server=authorization-server
  [ "$profile" = curity ] && authorization_server=idsvr
  local scale=()
  if [ "$REPLICAS" -gt 1 ]; then
    scale=(--scale "utility-mcp-server=$REPLICAS")
    # The Curity Identity Server runs as one node here; its clustering is Curity's own.
    [ "$profile" = open ] && scale+=(--scale "authorization-server=$REPLICAS")
  fi
  if ! docker compose --profile "$profile" up -d --remove-orphans ${scale[@]+"${scale[@]}"} ||
    ! wait_until_healthy "$profile" kong "$authorization_server"; then
    say ''
    say 'Some services did not start. Their state and recent logs:'
    docker compose --profile "$profile" ps --all
    docker compose --profile "$profile" logs --tail 40
    fail "the $profile profile did not start"
  fi
  write_endpoints_file "docker-$profile"
  print_docker_summary "$profile"
}

mode=auto
case "${1:-}" in
  '') ;;
  --local) mode=local ;;
  --open) mode=open ;;
  --curity) mode=curity ;;
  --down) mode=down ;;
  -h | --help)
    usage
    exit 0
    ;;
  *) fail "unknown option: $1 (run ./deploy.sh --help)" ;;
esac
[ $# -le 1 ] || fail 'give at most one option (run ./deploy.sh --help)'
[[ "$REPLICAS" =~ ^[1-9]$ ]] || fail "REPLICAS must be a whole number from 1 to 9 (got '$REPLICAS')"

command -v node >/dev/null 2>&1 || fail 'Node.js is required (run ./build.sh first)'

case "$mode" in
  down)
    docker_available || fail 'Docker is not available; a local deployment stops with Ctrl+C in its terminal'
    require_compose
    compose down --remove-orphans
    say 'The Docker deployment is stopped. Data volumes are kept; remove them with:'
    say '  docker compose --profile open --profile curity down --volumes'
    ;;
  local)
    deploy_local
    ;;
  open)
    docker_available || fail 'Docker is not available (use ./deploy.sh --local, or start Docker)'
    deploy_docker open
    ;;
  curity)
    [ -n "${LICENSE_FILE_PATH:-}" ] || fail 'the Curity profile needs LICENSE_FILE_PATH, the path of your Curity license file'
    read_license_key "$LICENSE_FILE_PATH" >/dev/null || exit 1
    docker_available || fail 'Docker is not available; the Curity profile runs in Docker'
    deploy_docker curity
    ;;
  auto)
    if ! docker_available; then
      say 'Docker is not available: running the local profile instead.'
      if [ -n "${LICENSE_FILE_PATH:-}" ]; then
        say 'LICENSE_FILE_PATH is set, but the Curity Identity Server needs Docker; it is not used.'
      fi
      deploy_local
    elif [ -n "${LICENSE_FILE_PATH:-}" ]; then
      say "LICENSE_FILE_PATH is set: deploying the curity profile (the Curity Identity Server)."
      deploy_docker curity
    else
      say 'LICENSE_FILE_PATH is not set: deploying the open profile (this repository'"'"'s authorization server'
      say 'instead of the Curity Identity Server). Set LICENSE_FILE_PATH to use Curity.'
      deploy_docker open
    fi
    ;;
esac
