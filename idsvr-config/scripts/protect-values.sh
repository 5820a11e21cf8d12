#!/usr/bin/env bash
# Runs inside the Curity Identity Server image (create-crypto-env.sh pipes
# it to `bash -s`) and prints the protected values, one NAME=value line each:
#
#   TOKEN_SIGNING_KEY  KEYSTORE_BASE64 (a PKCS#12 key store) converted by
#                      convertks, then encrypted
#   SYMMETRIC_KEY      SYMMETRIC_KEY_PLAIN, encrypted
#   EXTERNAL_ROOT_CA   CA_BASE64 (a PEM certificate, base64), encrypted
#
# Encryption uses CONFIG_ENCRYPTION_KEY and the server's own converters,
# called through the Xalan processor that ships in the image, as Curity's
# deployment examples do: se.curity.identityserver.crypto.ConvertKeyStore
# (reencryptKeyStores) for key stores and certificates, and
# se.curity.identityserver.crypto.SecretConverter (reencryptSecret) for
# plain values.
set -euo pipefail

: "${CONFIG_ENCRYPTION_KEY:?}" "${KEYSTORE_BASE64:?}" "${KEYSTORE_PASSWORD:?}" "${KEYSTORE_ALIAS:?}"
: "${SYMMETRIC_KEY_PLAIN:?}" "${CA_BASE64:?}"
idsvr_home="${IDSVR_HOME:-/opt/idsvr}"
classpath="$idsvr_home/lib/*:$idsvr_home/lib/xml-tools/*"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# The values are placed in an XML document below; only base64, hex and
# data-URL characters may appear, so nothing can change its structure.
readonly PLAIN_VALUE='^[A-Za-z0-9+/=:;,._-]+$'
require_plain() {
  if ! [[ "$2" =~ $PLAIN_VALUE ]]; then
    echo "protect-values.sh: $1 has characters outside base64, hex and data URLs" >&2
    exit 1
  fi
}

# encrypt CLASS METHOD VALUE: prints VALUE encrypted by CLASS.METHOD.
encrypt() {
  local class="$1" method="$2" value="$3"
  cat >"$workdir/encrypt.xsl" <<EOF
<stylesheet version="1.0" xmlns="http://www.w3.org/1999/XSL/Transform"
            xmlns:xalan="http://xml.apache.org/xalan"
            xmlns:converter="xalan://se.curity.identityserver.crypto.$class"
            exclude-result-prefixes="xalan">
  <output indent="no" omit-xml-declaration="yes"/>
  <param name="encryptionKey" select="initialValue"/>
  <param name="decryptionKeys"/>
  <template match="value">
    <variable name="data"><value-of select="."/></variable>
    <value-of select="converter:$method(\$data, \$encryptionKey, \$decryptionKeys)"/>
  </template>
  <template match="text()"/>
</stylesheet>
EOF
  printf '<values><value>%s</value></values>\n' "$value" >"$workdir/values.xml"
  java -cp "$classpath" org.apache.xalan.xslt.Process \
    -xsl "$workdir/encrypt.xsl" -in "$workdir/values.xml" \
    -param encryptionKey "$CONFIG_ENCRYPTION_KEY"
}

require_plain KEYSTORE_BASE64 "$KEYSTORE_BASE64"
require_plain SYMMETRIC_KEY_PLAIN "$SYMMETRIC_KEY_PLAIN"
require_plain CA_BASE64 "$CA_BASE64"

converted="$("$idsvr_home/bin/convertks" \
  --in-password "$KEYSTORE_PASSWORD" --in-alias "$KEYSTORE_ALIAS" \
  --in-entry-password "$KEYSTORE_PASSWORD" --in-keystore "$KEYSTORE_BASE64")"
require_plain 'the convertks output' "$converted"

printf 'TOKEN_SIGNING_KEY=%s\n' "$(encrypt ConvertKeyStore reencryptKeyStores "$converted")"
printf 'SYMMETRIC_KEY=%s\n' "$(encrypt SecretConverter reencryptSecret "$SYMMETRIC_KEY_PLAIN")"
printf 'EXTERNAL_ROOT_CA=%s\n' "$(encrypt ConvertKeyStore reencryptKeyStores "$CA_BASE64")"
