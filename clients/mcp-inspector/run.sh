#!/usr/bin/env bash
# Starts the MCP Inspector (web UI on http://localhost:6274) connected to the
# deployment's MCP server over Streamable HTTP. OAuth happens in the UI.
#
#   ./clients/mcp-inspector/run.sh                 local profile (URL from .deploy/endpoints.json)
#   ./clients/mcp-inspector/run.sh --docker        Docker profiles (https://mcp.demo.example/)
#   ./clients/mcp-inspector/run.sh --url <mcp-url> any other MCP server
set -euo pipefail

# Pinned: the Inspector changes quickly and its UI is what the README describes.
INSPECTOR_VERSION="${INSPECTOR_VERSION:-2.12.0}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/../.." && pwd)"

usage() {
  cat <<EOF
Usage: $(basename "$0") [--docker] [--url <mcp-url>] [--ca-file <pem>]

Runs @modelcontextprotocol/inspector@${INSPECTOR_VERSION} against the MCP server.

  (default)        local profile: external.mcp from .deploy/endpoints.json,
                   else http://127.0.0.1:3100/
  --docker         Docker profiles: https://mcp.demo.example/, trusting the
                   development root CA (certs/ca.crt) through NODE_EXTRA_CA_CERTS
  --url <mcp-url>  connect to this MCP server instead
  --ca-file <pem>  CA certificate to trust (default for --docker: certs/ca.crt,
                   or NODE_EXTRA_CA_CERTS when already set)
  -h, --help       show this help

Environment: INSPECTOR_VERSION (default ${INSPECTOR_VERSION}), CLIENT_PORT (default 6274;
the redirect URIs in the client metadata document assume 6274).
EOF
}

fail() {
  printf 'run.sh: %s\n' "$1" >&2
  exit "${2:-1}"
}

profile=local
mcp_url=""
ca_file=""
while (($# > 0)); do
  case "$1" in
    --docker) profile=docker ;;
    --url)
      (($# >= 2)) || fail "--url needs a value" 2
      mcp_url="$2"
      shift
      ;;
    --ca-file)
      (($# >= 2)) || fail "--ca-file needs a value" 2
      ca_file="$2"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      fail "unknown argument: $1" 2
      ;;
  esac
  shift
done

# The workspace's own Node (24) when the repository is installed; the
# Inspector needs Node 22.19 or later.
if [[ -x "${repo_root}/node_modules/.bin/node" ]]; then
  PATH="${repo_root}/node_modules/.bin:${PATH}"
  export PATH
fi
command -v node >/dev/null || fail "Node.js is required (22.19 or later)"
command -v npx >/dev/null || fail "npx is required (it comes with npm)"
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 22 || (major === 22 && minor >= 19) ? 0 : 1);
' || fail "the MCP Inspector ${INSPECTOR_VERSION} needs Node 22.19 or later; found $(node --version)"

if [[ -z "${mcp_url}" ]]; then
  if [[ "${profile}" == docker ]]; then
    mcp_url="https://mcp.demo.example/"
  else
    endpoints="${repo_root}/.deploy/endpoints.json"
    if [[ -f "${endpoints}" ]]; then
      mcp_url="$(node -e '
        const endpoints = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
        const url = endpoints && endpoints.external && endpoints.external.mcp;
        if (typeof url !== "string" || url === "") process.exit(1);
        process.stdout.write(url);
      ' "${endpoints}")" || fail "${endpoints} has no external.mcp URL; start the deployment again or pass --url"
    else
      mcp_url="http://127.0.0.1:3100/"
    fi
  fi
fi

if [[ "${profile}" == docker && -z "${ca_file}" ]]; then
  ca_file="${NODE_EXTRA_CA_CERTS:-${repo_root}/certs/ca.crt}"
fi
if [[ -n "${ca_file}" ]]; then
  [[ -r "${ca_file}" ]] || fail "cannot read the CA certificate ${ca_file} (see certs/README.md: ./certs/create.sh makes it)"
  NODE_EXTRA_CA_CERTS="$(cd "$(dirname "${ca_file}")" && pwd)/$(basename "${ca_file}")"
  export NODE_EXTRA_CA_CERTS
fi

cat >&2 <<EOF
MCP Inspector ${INSPECTOR_VERSION}
  MCP server:  ${mcp_url}  (transport Streamable HTTP)
  OAuth scope: stocks/read
  Web UI:      http://localhost:${CLIENT_PORT:-6274} (the Inspector prints the full URL with its session token)
EOF

# --transport is required: the Inspector only guesses it from URLs ending in /mcp or /sse.
exec npx --yes "@modelcontextprotocol/inspector@${INSPECTOR_VERSION}" --transport http --server-url "${mcp_url}"
