#!/usr/bin/env bash
# THE test command (README, and what .ci/run calls): bash scripts/test.sh [pytest args]
# Installs everything the suite needs on a fresh Debian machine, so a green run here means
# a green run on a new machine too: Chromium for the browser tests, GDAL's ogrinfo for
# the OGC API tests, the venv, and a throwaway PostgreSQL+PostGIS database for the
# PostGIS backend tests.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Playwright drives Debian's Chromium (no browser download is possible here); DejaVu
# gives it real glyphs for Polish text.
if [ ! -x /usr/bin/chromium ]; then
    echo "test.sh: installing Debian chromium for the browser tests" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium fonts-dejavu-core </dev/null
fi
# GDAL's ogrinfo is the GIS client the OGC API tests read every collection with.
if ! command -v ogrinfo >/dev/null; then
    echo "test.sh: installing Debian gdal-bin for the OGC API tests" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin </dev/null
fi

# Redis is the limiter's shared store in the several-processes test, which starts its
# own redis-server on a free port (Debian's service is not used).
if ! command -v redis-server >/dev/null; then
    echo "test.sh: installing Debian redis-server for the several-processes test" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server </dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'

# The PostGIS tests must run, not skip quietly: provision a database unless the caller
# gave one (WEBGIS_TEST_POSTGRES_URL) or opted out explicitly (WEBGIS_TEST_POSTGRES=skip).
if [ -z "${WEBGIS_TEST_POSTGRES_URL:-}" ] && [ "${WEBGIS_TEST_POSTGRES:-}" != skip ]; then
    if ! url=$(bash scripts/postgres.sh </dev/null | tail -n 1) ||
        [[ "$url" != postgresql+psycopg://* ]]; then
        echo "test.sh: could not provision PostgreSQL+PostGIS (see scripts/postgres.sh" \
            "output above); set WEBGIS_TEST_POSTGRES_URL, or WEBGIS_TEST_POSTGRES=skip" \
            "to run without the PostGIS tests" >&2
        exit 1
    fi
    export WEBGIS_TEST_POSTGRES_URL="$url"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
