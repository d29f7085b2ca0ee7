#!/usr/bin/env bash
# One command for the side-by-side comparison of FerrisDB, RocksDB and
# LevelDB (docs/performance.md): installs what is missing, builds
# ferrisdb_compare for release, runs it and keeps the results (csv, markdown
# and an SVG plot) under out/compare/.
#
# Usage: scripts/compare.sh [--release-rocksdb] [ferrisdb_compare flags...]
#   --release-rocksdb  compare against a release (-DNDEBUG) build of Debian's
#                      RocksDB source, built once by
#                      scripts/build_rocksdb_release.sh (~40 min on 2 cores);
#                      without it, Debian's librocksdb-dev (assertions on:
#                      not a basis for "faster than RocksDB").
#   Other flags go to ferrisdb_compare, e.g. --num=10000000 --compression=zstd
#   --repeats=3 (see ferrisdb_compare --help).
# Environment: FERRISDB_COMPARE_BUILD_DIR (default build-compare-release).
set -euo pipefail
cd "$(dirname "$0")/.."

release=0
args=()
for arg in "$@"; do
  case "$arg" in
    --release-rocksdb) release=1 ;;
    *) args+=("$arg") ;;
  esac
done

scripts/install_deps.sh --compare
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DFERRISDB_BUILD_TESTS=OFF
            -DFERRISDB_BUILD_EXAMPLES=OFF -DFERRISDB_BUILD_TOOLS=OFF)
if [[ $release -eq 1 ]]; then
  bash scripts/build_rocksdb_release.sh
  root="${FERRISDB_ROCKSDB_RELEASE_DIR:-$HOME/.cache/ferrisdb/rocksdb-release}/install"
  cmake_args+=("-DFERRISDB_ROCKSDB_ROOT=$root")
fi
build_dir="${FERRISDB_COMPARE_BUILD_DIR:-build-compare-release}"
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" --target ferrisdb_compare -j2

out_dir=out/compare
mkdir -p "$out_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
compare="$build_dir/bench/compare/ferrisdb_compare"
"$compare" "${args[@]+"${args[@]}"}" --format=markdown \
  --csv_out="$out_dir/$stamp.csv" | tee "$out_dir/$stamp.md"
bash scripts/plot_compare.sh "$out_dir/$stamp.csv" "$out_dir/$stamp.svg" \
  "ferrisdb-compare $(printf '%s ' "${args[@]+"${args[@]}"}")($stamp)"
echo "compare: results in $out_dir/$stamp.{md,csv,svg}" >&2
