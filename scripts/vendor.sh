#!/usr/bin/env bash
# Refresh the browser libraries served from webgis/static/vendor, so maps work offline.
# They are committed (the app needs no Node.js to run); this script documents where they
# come from and updates them: bash scripts/vendor.sh
set -euo pipefail
LEAFLET_VERSION=1.9.4
GEOMAN_VERSION=2.20.2
JQUERY_VERSION=3.7.1
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

# Drawing and editing geometries in feature forms.
rm -rf package && npm pack --silent "@geoman-io/leaflet-geoman-free@${GEOMAN_VERSION}" >/dev/null
tar xzf geoman-io-leaflet-geoman-free-${GEOMAN_VERSION}.tgz
dest="$here/webgis/static/vendor/geoman"
rm -rf "$dest" && mkdir -p "$dest"
cp package/dist/leaflet-geoman.min.js package/dist/leaflet-geoman.css "$dest/"
cp package/LICENSE* "$dest/" 2>/dev/null || true

# folium's popups use jQuery.
rm -rf package && npm pack --silent "jquery@${JQUERY_VERSION}" >/dev/null
tar xzf "jquery-${JQUERY_VERSION}.tgz"
dest="$here/webgis/static/vendor/jquery"
rm -rf "$dest" && mkdir -p "$dest"
cp package/dist/jquery.min.js package/LICENSE.txt "$dest/"

# axe-core checks accessibility in the browser tests (tests/test_finder_browser.py);
# it is a test tool, so it lives in tests/vendor, not in the app's static files.
AXE_VERSION=4.10.3
rm -rf package && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null
tar xzf "axe-core-${AXE_VERSION}.tgz"
dest="$here/tests/vendor"
mkdir -p "$dest"
cp package/axe.min.js "$dest/axe.min.js"
cp package/LICENSE "$dest/axe-LICENSE"
echo "axe-core ${AXE_VERSION} -> $dest"
