#!/usr/bin/env bash
# Prints the generated part of the Curity container's environment, one
# NAME=value line each, for the deployment to keep outside the repository:
#
#   CONFIG_ENCRYPTION_KEY  the key the server decrypts the values below with
#   TOKEN_SIGNING_KEY      a fresh RSA key pair that signs JWT access tokens
#   SYMMETRIC_KEY          a random 256-bit key of the default zone
#   EXTERNAL_ROOT_CA       the development CA (CA_FILE), which the server
#                          trusts when it fetches client ID metadata documents
#                          through the gateway
#
# The three values after the key are encrypted with CONFIG_ENCRYPTION_KEY,
# the way Curity's own deployment examples protect secrets: the key store is
# first converted by the image's convertks tool, then every value goes
# through the server's own converters (ConvertKeyStore for key stores,
# SecretConverter for plain secrets). A server that has CONFIG_ENCRYPTION_KEY
# set expects its secrets in that encrypted form.
#
# Usage:  idsvr-config/scripts/create-crypto-env.sh CA_FILE > .deploy/curity-secrets.env
#
# Needs openssl and docker. CURITY_IMAGE names the image whose tools do the
# conversion, so the formats always match the server that reads them.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -r "$1" ]; then
  echo "usage: $0 CA_FILE   (CA_FILE: the PEM certificate of the development CA, e.g. certs/ca.crt)" >&2
  exit 2
fi
ca_file="$1"
image="${CURITY_IMAGE:?CURITY_IMAGE must name the Curity image, e.g. curity.azurecr.io/curity/idsvr:11.4.0}"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
alias_name="token-signing"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

keystore_password="$(openssl rand -hex 16)"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
  -subj "/CN=login.demo.example token signing" \
  -keyout "$workdir/signing.key" -out "$workdir/signing.crt" 2>/dev/null
openssl pkcs12 -export -name "$alias_name" \
  -inkey "$workdir/signing.key" -in "$workdir/signing.crt" \
  -passout "pass:$keystore_password" -out "$workdir/signing.p12"

config_encryption_key="$(openssl rand -hex 32)"

# protect-values.sh runs inside the image (read from standard input, so no
# host folder has to be shared with the engine) and prints the protected
# NAME=value lines.
protected="$(
  docker run --rm -i \
    -e CONFIG_ENCRYPTION_KEY="$config_encryption_key" \
    -e KEYSTORE_BASE64="$(openssl base64 -A -in "$workdir/signing.p12")" \
    -e KEYSTORE_PASSWORD="$keystore_password" \
    -e KEYSTORE_ALIAS="$alias_name" \
    -e SYMMETRIC_KEY_PLAIN="$(openssl rand -hex 32)" \
    -e CA_BASE64="$(openssl base64 -A -in "$ca_file")" \
    "$image" bash -s <"$script_dir/protect-values.sh"
)"

# Every protected value must be there, once, in one line.
for name in TOKEN_SIGNING_KEY SYMMETRIC_KEY EXTERNAL_ROOT_CA; do
  if [ "$(grep -c "^$name=." <<<"$protected")" != 1 ]; then
    echo "$0: the Curity image did not return $name" >&2
    exit 1
  fi
done

echo "CONFIG_ENCRYPTION_KEY=$config_encryption_key"
grep -E '^(TOKEN_SIGNING_KEY|SYMMETRIC_KEY|EXTERNAL_ROOT_CA)=' <<<"$protected"
