#!/usr/bin/env bash
# Creates the authorization server's own role and database on a shared
# PostgreSQL server, or updates the role's password when they exist: safe to
# run on every start. The server creates and migrates its tables itself.
#
# Connection (as a superuser): the libpq variables PGHOST, PGPORT, PGUSER,
# PGPASSWORD. The role's password: AUTHORIZATION_SERVER_DB_PASSWORD.
set -euo pipefail

: "${AUTHORIZATION_SERVER_DB_PASSWORD:?must be set}"
role="${AUTHORIZATION_SERVER_DB_USER:-authorization_server}"
database="${AUTHORIZATION_SERVER_DB_NAME:-authorization_server}"

# psql quotes the variables (:"name" as an identifier, :'name' as a literal),
# so neither the names nor the password can change the statements.
psql --no-psqlrc -v ON_ERROR_STOP=1 -d postgres \
  -v role="$role" -v database="$database" -v password="$AUTHORIZATION_SERVER_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
echo "database ${database} and role ${role} are ready"
