#!/usr/bin/env bash
# Refresh the browser libraries served from webgis/static/vendor, so maps work offline.
# They are committed (the app needs no Node.js to run); this script documents where they
# come from and updates them: bash scripts/vendor.sh
set -euo pipefail
LEAFLET_VERSION=1.9.4
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "leaflet@${LEAFLET_VERSION}" >/dev/null
tar xzf "leaflet-${LEAFLET_VERSION}.tgz"
dest="$here/webgis/static/vendor/leaflet"
rm -rf "$dest" && mkdir -p "$dest"
cp -r package/dist/leaflet.js package/dist/leaflet.css package/dist/images package/LICENSE "$dest/"
echo "leaflet ${LEAFLET_VERSION} -> $dest"
