#!/bin/sh
# Entry point of postgres.Dockerfile. On the first start (an empty volume) it
# makes the cluster: superuser `postgres` reachable only through the local
# socket (peer), a role `scanorch` (no superuser) owning a database
# `scanorch`, password POSTGRES_PASSWORD, which may connect over the network
# with scram-sha-256. Then, every start, it runs the server in the foreground.
# Extra arguments are server settings: `-c max_connections=200`.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
data=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$data/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (the scanorch role's password) for the first start}"
  pwfile=$(mktemp)
  # The superuser gets a random password nobody knows: it logs in by peer only.
  od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$pwfile"
  "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  # The compose network's addresses are not known in advance; the password
  # is what guards the role, and only the scanorch database is reachable.
  printf 'host scanorch scanorch 0.0.0.0/0 scram-sha-256\nhost scanorch scanorch ::/0 scram-sha-256\n' >>"$data/pg_hba.conf"
  # Set up on a socket only, so nothing connects before the role exists.
  "$bin/pg_ctl" -D "$data" -w -o "-c listen_addresses= -k /tmp" start >/dev/null
  "$bin/psql" -h /tmp -U postgres -d postgres -v ON_ERROR_STOP=1 -q -v pw="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE scanorch LOGIN PASSWORD :'pw';
CREATE DATABASE scanorch OWNER scanorch;
REVOKE ALL ON DATABASE scanorch FROM PUBLIC;
SQL
  "$bin/pg_ctl" -D "$data" -w -m fast stop >/dev/null
  echo "scanorch-postgres: cluster created in $data (role and database scanorch)"
fi
exec "$bin/postgres" -D "$data" -c listen_addresses='*' -k /tmp "$@"
