#!/usr/bin/env bash
# Provision a throwaway PostgreSQL + PostGIS database for the test suite on this machine:
#   bash scripts/postgres.sh   ->  last line of stdout is the SQLAlchemy URL to test against.
# Idempotent: each run recreates database webgis_test empty and gives role webgis a
# fresh random password, so no secret ever lives in the repository.
# Every other message goes to stderr, so callers can simply take the last line.
set -euo pipefail
exec 3>&1 1>&2 # fd 3 = the real stdout, kept for the URL alone

# CI runs as root; a developer may not be, then sudo asks for its own password.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# runuser needs no password and no tty; cd / so psql does not complain about the cwd.
as_postgres() { (cd / && as_root runuser -u postgres -- "$@"); }

# 1. Server and PostGIS from Debian. On bookworm `postgresql-postgis` is the metapackage
#    that pulls postgresql-15-postgis-3 for the default server version (`postgis` only
#    recommends it, and brings the CLI tools we don't need).
have() { compgen -G "$1" >/dev/null; }
if ! command -v pg_lsclusters >/dev/null ||
    ! have '/usr/lib/postgresql/*/bin/postgres' ||
    ! have '/usr/share/postgresql/*/extension/postgis.control'; then
    echo "postgres.sh: installing PostgreSQL and PostGIS from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends postgresql postgresql-postgis </dev/null 3>&-
fi

# 2. A cluster of the newest installed version that has PostGIS (the Debian package
#    usually creates 15/main on install; a minimal image may have none).
ver=$(for c in /usr/share/postgresql/*/extension/postgis.control; do
    basename "$(dirname "$(dirname "$c")")"
done | sort -V | tail -n 1)
cluster=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v { print $2; exit }')
if [ -z "$cluster" ]; then
    cluster=main
    echo "postgres.sh: creating cluster $ver/$cluster"
    as_root pg_createcluster "$ver" "$cluster"
fi
# `start` fails on a running cluster, so only start when `status` says it is down.
# The server daemon inherits open descriptors: with fd 3 (the caller's pipe) it would keep
# `$(bash scripts/postgres.sh | tail -n 1)` waiting for EOF for as long as PostgreSQL
# runs (that hung CI). So it starts with fd 3 closed and its stdio on a log file.
if ! as_root pg_ctlcluster "$ver" "$cluster" status >/dev/null 2>&1; then
    echo "postgres.sh: starting cluster $ver/$cluster"
    start_log=$(mktemp)
    if ! as_root pg_ctlcluster "$ver" "$cluster" start </dev/null >"$start_log" 2>&1 3>&-; then
        cat "$start_log"
        exit 1
    fi
    cat "$start_log"
    rm -f "$start_log"
fi
port=$(pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c { print $3 }')

# 3. Role with a fresh password (hex, so it needs no quoting in SQL or in the URL) and an
#    empty database. SUPERUSER because tests create extensions and drop schemas freely.
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres <<SQL
SET client_min_messages = warning;
SELECT 'CREATE ROLE webgis' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webgis')
\gexec
ALTER ROLE webgis LOGIN SUPERUSER PASSWORD '$password';
DROP DATABASE IF EXISTS webgis_test WITH (FORCE);
CREATE DATABASE webgis_test OWNER webgis;
\c webgis_test
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL

# 4. Prove the URL works over TCP with the password, as the tests will use it.
postgis=$(PGPASSWORD=$password PGCONNECT_TIMEOUT=10 psql -X -tA -h 127.0.0.1 -p "$port" \
    -U webgis -d webgis_test -c 'SELECT postgis_lib_version()' </dev/null)
echo "postgres.sh: PostgreSQL $ver/$cluster on port $port, PostGIS $postgis, db webgis_test"
echo "postgresql+psycopg://webgis:$password@127.0.0.1:$port/webgis_test" >&3
