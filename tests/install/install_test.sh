#!/usr/bin/env bash
# Installs the FerrisDB build tree into a temporary prefix, then builds and
# runs a consumer project against it with find_package(ferrisdb) and with
# pkg-config. Usage: install_test.sh <ferrisdb build dir> <consumer src dir>
set -euo pipefail
build_dir="$1"
consumer_src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

# CMake package.
cmake -S "$consumer_src" -B "$work/consumer" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" -j2 >/dev/null
"$work/consumer/app" "$work/db_cmake"

# pkg-config: the .pc file must resolve and give a working link line.
pc_dir="$(dirname "$(find "$work/prefix" -name ferrisdb.pc | head -n1)")"
flags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs --static ferrisdb)"
# shellcheck disable=SC2086
c++ -std=c++20 "$consumer_src/main.cc" -o "$work/app_pc" $flags
"$work/app_pc" "$work/db_pc"
echo "install test passed"
