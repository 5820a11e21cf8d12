#!/usr/bin/env bash
# Creates the development certificates of the Docker deployment, once:
#   ca.key / ca.crt    a development root CA (trust ca.crt on your machine)
#   tls.key / tls.crt  a server certificate for *.demo.example and
#                      www.client.example, signed by that CA, used by Kong
# Files that already exist and still fit together are reused, so trusting the
# CA is a one-time step. `--force` replaces everything.
# CERTS_DIR writes them elsewhere (the tests use a temporary folder).
# Keys are ECDSA P-256: quick to create and accepted by browsers, Node,
# Kong and Java alike.
# Needs: openssl (1.1.1 or later).
set -euo pipefail

out_dir="${CERTS_DIR:-$(dirname "${BASH_SOURCE[0]}")}"
mkdir -p "$out_dir"
cd "$out_dir"

readonly CA_SUBJECT='/CN=MCP Demo Development CA/O=MCP Authorization Demo'
readonly SERVER_SUBJECT='/CN=*.demo.example/O=MCP Authorization Demo'
readonly SERVER_NAMES='DNS:*.demo.example,DNS:demo.example,DNS:www.client.example'
readonly CA_DAYS=3650
# Browsers reject leaf certificates valid for more than 398 days.
readonly SERVER_DAYS=365

force=false
case "${1:-}" in
  '') ;;
  --force) force=true ;;
  -h | --help)
    echo "usage: $0 [--force]"
    exit 0
    ;;
  *)
    echo "unknown option: $1 (usage: $0 [--force])" >&2
    exit 2
    ;;
esac

if ! command -v openssl >/dev/null 2>&1; then
  echo 'openssl is required to create the development certificates' >&2
  exit 1
fi

if [ "$force" = true ]; then
  rm -f ca.key ca.crt ca.srl tls.key tls.crt
fi

# Owner-only while the keys are written.
umask 077

if [ -s ca.key ] && [ -s ca.crt ]; then
  echo "certs: reusing the development CA in $PWD/ca.crt"
else
  rm -f ca.key ca.crt ca.srl tls.key tls.crt
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes \
    -days "$CA_DAYS" \
    -subj "$CA_SUBJECT" \
    -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -addext 'subjectKeyIdentifier=hash' \
    -keyout ca.key -out ca.crt 2>/dev/null
  echo "certs: created the development CA $PWD/ca.crt (trust it once, see certs/README.md)"
fi

server_certificate_fits() {
  [ -s tls.key ] && [ -s tls.crt ] || return 1
  # Signed by the current CA, not about to expire, and for the names we need.
  openssl verify -CAfile ca.crt tls.crt >/dev/null 2>&1 || return 1
  openssl x509 -in tls.crt -noout -checkend 604800 >/dev/null 2>&1 || return 1
  local names
  names=$(openssl x509 -in tls.crt -noout -ext subjectAltName 2>/dev/null) || return 1
  [[ "$names" == *'*.demo.example'* && "$names" == *'www.client.example'* ]]
}

if server_certificate_fits; then
  echo "certs: reusing the server certificate $PWD/tls.crt"
else
  request=$(mktemp)
  extensions=$(mktemp)
  trap 'rm -f "$request" "$extensions"' EXIT
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes \
    -subj "$SERVER_SUBJECT" \
    -keyout tls.key -out "$request" 2>/dev/null
  cat >"$extensions" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$SERVER_NAMES
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EOF
  openssl x509 -req -sha256 \
    -in "$request" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days "$SERVER_DAYS" -extfile "$extensions" \
    -out tls.crt 2>/dev/null
  echo "certs: created the server certificate $PWD/tls.crt ($SERVER_NAMES)"
fi

# Certificates are public. Kong runs as its own user inside its container and
# must read the mounted server key, so that key is world-readable; it only
# ever protects *.demo.example on this machine. The CA key stays owner-only:
# anyone holding it could mint certificates your machine trusts.
chmod 644 ca.crt tls.crt tls.key
chmod 600 ca.key
