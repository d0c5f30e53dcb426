#!/bin/sh
# Build the one artifact a store PC installs: dist/store_edge-<version>-py3-none-any.whl
# (the version is pyproject.toml's). Usage: packaging/build.sh [OUT_DIR]
# Built from a clean copy of what ships (pyproject.toml, README.md, edge/, sync/, devices/),
# so a stale build/ directory or a local database can never end up in the wheel.
set -e
HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(mkdir -p "${1:-$HERE/dist}" && cd "${1:-$HERE/dist}" && pwd)"
PY="${PYTHON:-python3}"
SRC="$(mktemp -d)"
trap 'rm -rf "$SRC"' EXIT
(cd "$HERE" && tar cf - --exclude=__pycache__ --exclude='*.pyc' \
    pyproject.toml README.md edge sync devices) | tar xf - -C "$SRC"
"$PY" -m pip wheel --no-deps --quiet --wheel-dir "$OUT" "$SRC"
VERSION="$("$PY" -c "import tomllib,sys; print(tomllib.load(open(sys.argv[1],'rb'))['project']['version'])" "$HERE/pyproject.toml")"
echo "$OUT/store_edge-$VERSION-py3-none-any.whl"
