#!/usr/bin/env bash
# Refresh the translation catalogues after changing interface strings:
# extract Polish source strings, merge them into en/uk, compile. Translate the new
# empty entries in webgis/translations/*/LC_MESSAGES/messages.po, then run it again.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${VIRTUAL_ENV:-.venv}/bin
"$bin/pybabel" extract -F babel.cfg -k _ -k gettext -k lazy_gettext -k _l -k N_ \
  --no-location --omit-header --sort-output -o webgis/translations/messages.pot .
"$bin/pybabel" update -i webgis/translations/messages.pot -d webgis/translations \
  --no-fuzzy-matching --ignore-obsolete
"$bin/pybabel" compile -d webgis/translations --statistics
