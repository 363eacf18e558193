#!/bin/sh
# Creates or upgrades Temporal's two databases in the shared PostgreSQL (temporalio/admin-tools).
# Safe to run on every `docker compose up`: the same steps Temporal's auto-setup ran at each start.
set -eu
until nc -z -w 2 postgresql 5432; do echo 'waiting for PostgreSQL'; sleep 1; done
sql() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" "$@"; }
for db in temporal temporal_visibility; do
  sql --db "$db" create || echo "database $db exists"
done
sql --db temporal setup-schema -v 0.0
sql --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
sql --db temporal_visibility setup-schema -v 0.0
sql --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo 'Temporal schema ready'
