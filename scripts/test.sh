#!/usr/bin/env bash
# Installs what is missing, builds FerrisDB with warnings as errors and runs
# the whole test suite with ctest.
#   FERRISDB_BUILD_DIR   build directory (default: build)
#   FERRISDB_SANITIZE    e.g. address,undefined (default: none)
#   FERRISDB_CXX         compiler (default: the system c++)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh

build_dir="${FERRISDB_BUILD_DIR:-build}"
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRISDB_WERROR=ON)
if [[ -n "${FERRISDB_SANITIZE:-}" ]]; then
  args+=("-DFERRISDB_SANITIZE=${FERRISDB_SANITIZE}")
fi
if [[ -n "${FERRISDB_CXX:-}" ]]; then
  args+=("-DCMAKE_CXX_COMPILER=${FERRISDB_CXX}")
fi
cmake -S . -B "$build_dir" "${args[@]}" >/dev/null
cmake --build "$build_dir" -j2
ctest --test-dir "$build_dir" -j2 --output-on-failure --timeout 600
