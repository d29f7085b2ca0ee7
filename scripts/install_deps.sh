#!/usr/bin/env bash
# Installs the Debian 12 packages FerrisDB builds and tests with, if missing.
# Usage: scripts/install_deps.sh [--clang] [--compare]
#   --clang    also install clang 14 and its sanitizer runtimes (CI).
#   --compare  also install RocksDB and LevelDB for bench/compare, and
#              gnuplot for scripts/plot_compare.sh.
# Runs apt-get only when something is missing; needs root (or sudo) then.
set -euo pipefail

packages=(build-essential cmake pkg-config g++ libabsl-dev libgtest-dev
          libgmock-dev libbenchmark-dev libzstd-dev libxxhash-dev)
for arg in "$@"; do
  case "$arg" in
    --clang) packages+=(clang libclang-rt-14-dev) ;;
    --compare) packages+=(librocksdb-dev libleveldb-dev gnuplot-nox) ;;
    *) echo "install_deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install_deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
