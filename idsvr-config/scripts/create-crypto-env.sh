#!/usr/bin/env bash
# Prints the secret part of the Curity container's environment, one
# NAME=value line each, for the deployment to keep outside the repository:
#
#   SYMMETRIC_KEY          random 256-bit key of the default zone
#   CONFIG_ENCRYPTION_KEY  key the server uses to encrypt configuration values
#   TOKEN_SIGNING_KEY      a fresh RSA key pair that signs JWT access tokens,
#                          in the keystore form the configuration expects
#
# Usage:  idsvr-config/scripts/create-crypto-env.sh > .deploy/curity-secrets.env
#
# Needs openssl and docker: the keystore is converted by the convertks tool
# that ships in the Curity image, so its format always matches the server.
set -euo pipefail

image="${CURITY_IMAGE:-curity.azurecr.io/curity/idsvr:latest}"
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
keystore_base64="$(openssl base64 -A -in "$workdir/signing.p12")"

config_encryption_key="$(openssl rand -hex 32)"
token_signing_key="$(
  docker run --rm \
    -e CONFIG_ENCRYPTION_KEY="$config_encryption_key" \
    -e KEYSTORE_PASSWORD="$keystore_password" \
    -e KEYSTORE_BASE64="$keystore_base64" \
    -e KEYSTORE_ALIAS="$alias_name" \
    "$image" bash -c '/opt/idsvr/bin/convertks --in-password "$KEYSTORE_PASSWORD" --in-alias "$KEYSTORE_ALIAS" --in-entry-password "$KEYSTORE_PASSWORD" --in-keystore "$KEYSTORE_BASE64"'
)"

echo "SYMMETRIC_KEY=$(openssl rand -hex 32)"
echo "CONFIG_ENCRYPTION_KEY=$config_encryption_key"
echo "TOKEN_SIGNING_KEY=$token_signing_key"
