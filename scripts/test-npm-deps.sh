#!/usr/bin/env bash
# npm packages the tests need: odata-csdl (the OASIS CSDL XML schemas edmx.xsd/edm.xsd and
# its odata-csdl-xml2json structure check) for tests/analytics/test_odata_csdl.py.
# Installed at an exact version into .venv/test-npm (or $MIDOFFICE_TEST_NPM_DIR) when
# missing; the tests then run offline. Without npm nothing is installed and those tests
# skip, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${MIDOFFICE_TEST_NPM_DIR:-.venv/test-npm}"
version="0.11.2"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: the CSDL schema tests (odata-csdl) will be skipped" >&2
  exit 0
fi
manifest="$dir/node_modules/odata-csdl/package.json"
if [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest"; then
  exit 0
fi
echo "installing odata-csdl@$version into $dir (npm)"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --silent "odata-csdl@$version"
