#!/usr/bin/env bash
# Installs what is missing, builds FerrisDB and runs examples/quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target quickstart
./build/examples/quickstart
