#!/usr/bin/env bash
# Prepares the PostgreSQL database of the Docker `curity` profile. Run once
# by a short-lived job container from the postgres image (it has psql), after
# the database server is up. Safe to run again.
#
#   1. Creates Curity's tables with the schema script that ships inside the
#      Curity image (/opt/idsvr/etc/postgres-create_database.sql), copied to
#      $CURITY_SCHEMA_FILE by the job that runs before this one. The script
#      matches the server version, so it is never copied into this repository.
#   2. Inserts the approved demo users (seed-users.sql beside this file).
#
# Connection settings come from the standard libpq variables:
#   PGHOST (dbserver), PGPORT, PGDATABASE (idsvr), PGUSER (postgres), PGPASSWORD.
set -euo pipefail

schema_file="${CURITY_SCHEMA_FILE:-/schema/postgres-create_database.sql}"
seed_file="$(dirname "$0")/seed-users.sql"

# The server may still be starting: wait up to a minute.
for attempt in $(seq 1 30); do
  if pg_isready --quiet; then
    break
  fi
  if [ "$attempt" -eq 30 ]; then
    echo "PostgreSQL at ${PGHOST:-localhost} did not become ready" >&2
    exit 1
  fi
  sleep 2
done

psql_quiet() {
  psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 "$@"
}

accounts_table="$(psql_quiet --tuples-only --no-align --command "SELECT to_regclass('public.accounts') IS NOT NULL")"
if [ "$accounts_table" = "t" ]; then
  echo "Curity schema already present"
else
  if [ ! -f "$schema_file" ]; then
    echo "Curity schema script not found at $schema_file" >&2
    exit 1
  fi
  echo "Creating the Curity schema from $schema_file"
  psql_quiet --file "$schema_file"
fi

echo "Inserting the approved demo users"
psql_quiet --file "$seed_file"
