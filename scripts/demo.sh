#!/usr/bin/env bash
# THE start command (README): bash scripts/demo.sh [--host H] [--port P]
# Installs the app into .venv, loads the demo data (both cities, from ../shared/boundaries)
# into the embedded SQLite database under instance/, then serves it and prints the URL.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e .
.venv/bin/webgis db upgrade
.venv/bin/webgis demo
exec .venv/bin/webgis serve "$@"
