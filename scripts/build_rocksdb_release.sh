#!/usr/bin/env bash
# Builds a release RocksDB (NDEBUG, -O3) for bench/compare, outside the repo.
#
# Why: Debian's librocksdb-dev 7.8.3 is compiled without -DNDEBUG, so its
# assertions and test sync points are live and it runs 1.25-1.65x slower than
# a release build. "FerrisDB is faster than RocksDB" needs this build instead.
# Optional: nothing else in the project needs it.
#
# Usage: scripts/build_rocksdb_release.sh [--force] [--sse42] [--dir DIR]
#   --dir DIR  where the source, build tree and install go
#              (default ${FERRISDB_ROCKSDB_RELEASE_DIR:-$HOME/.cache/ferrisdb/rocksdb-release})
#   --force    rebuild even if DIR/install is already complete
#   --sse42    FORCE_SSE42=ON: hardware CRC32C for RocksDB's WAL (see below);
#              the result then needs an x86-64-v2 CPU. Use its own --dir.
#
# What it does:
#   1. apt-get installs dpkg-dev, cmake, g++ and libzstd-dev if missing.
#   2. If apt has no deb-src entries, writes the deb-src twins of the
#      configured Debian deb entries to /etc/apt/sources.list.d/
#      ferrisdb-deb-src.sources (deb822) or ferrisdb-deb-src.list (one-line),
#      matching whichever format is configured, then apt-get update.
#   3. `apt-get source rocksdb=<version of librocksdb-dev>` into DIR/src, so the
#      code is Debian's 7.8.3 with Debian's patches, the same as the package.
#   4. CMake Release build (-O3 -DNDEBUG), static library only, zstd as the
#      only compression library, no tests/tools/benchmarks/gflags/liburing,
#      PORTABLE=ON like Debian's package (see below), nice -n 19, -j2.
#   5. Installs headers and lib/librocksdb.a into DIR/install and prints the
#      cmake command that points FerrisDB at it (FERRISDB_ROCKSDB_ROOT).
#
# Flags against Debian's (debian/rules of rocksdb 7.8.3-2): Debian configures
# CMake with CMAKE_BUILD_TYPE=None and dpkg-buildflags (-O2, no -DNDEBUG),
# PORTABLE=ON. Here: Release with -O3 -DNDEBUG, the same flags CMake gives
# FerrisDB's own Release build, and PORTABLE=ON like Debian, i.e. baseline
# x86-64, no -march=native: a package must run on any amd64 CPU, and FerrisDB
# does not use -march=native either, so the comparison stays about the code and
# NDEBUG, not about instruction sets. One cost of PORTABLE to know about:
# without FORCE_SSE42, RocksDB 7.8.3 computes CRC32C in software (it only
# defines HAVE_SSE42 when PORTABLE is off or FORCE_SSE42 is on), and its WAL
# records carry CRC32C. Table blocks use XXH3 (the 7.8 default), like
# FerrisDB's. --sse42 removes that cost for a second opinion.
#
# Idempotent: a complete install (stamp file with the same settings) is
# reused; an interrupted build resumes in DIR/build.
# Needs root (or sudo) for apt-get; about 40 minutes of 2 cores.
set -euo pipefail

force=0
sse42=OFF
dir="${FERRISDB_ROCKSDB_RELEASE_DIR:-$HOME/.cache/ferrisdb/rocksdb-release}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) force=1 ;;
    --sse42) sse42=ON ;;
    --dir) dir="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_rocksdb_release: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "build_rocksdb_release: $*" >&2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
case "$dir/" in
  "$repo_root"/*) log "refusing to build inside the repository ($dir)"; exit 2 ;;
esac
install_dir="$dir/install"
# Written last: its presence means the install is complete.
stamp="$install_dir/ferrisdb-rocksdb-release.stamp"

print_configure_command() {
  cat <<EOF

RocksDB release build: $install_dir
Configure FerrisDB against it with:

  cmake -S $repo_root -B $repo_root/build-release-rocksdb \\
        -DCMAKE_BUILD_TYPE=Release -DFERRISDB_ROCKSDB_ROOT=$install_dir
  cmake --build $repo_root/build-release-rocksdb --target ferrisdb_compare -j2
EOF
}

# What the stamp says; the version is added once apt tells it (step 3).
settings="Release -O3 -DNDEBUG, PORTABLE=ON, FORCE_SSE42=$sse42, zstd, static"
if [[ -f "$stamp" && $force -eq 0 ]] && grep -qF "$settings" "$stamp"; then
  log "already built ($(cat "$stamp")); --force rebuilds"
  print_configure_command
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# --- 1. Build tools ---------------------------------------------------------
packages=(dpkg-dev cmake g++ make libzstd-dev)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
apt_updated=0
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  apt_updated=1
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- 2. deb-src entries -----------------------------------------------------
apt_sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list
             /etc/apt/sources.list.d/*.sources)
has_deb_src() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]|^Types:.*\bdeb-src\b' \
    "${apt_sources[@]}"
}
# Prints the deb822 stanzas of the given .sources files that list Debian's own
# archives as `Types: deb`, with Types rewritten to deb-src. Third-party
# repositories (nodesource, ...) often publish no sources, so they are skipped.
deb822_src_stanzas() {
  awk '
    function flush() {
      if (stanza != "" && is_deb && is_debian) printf "%s\n", stanza
      stanza = ""; is_deb = 0; is_debian = 0
    }
    /^[[:space:]]*$/ { flush(); next }
    /^Types:/ {
      if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) is_deb = 1
      stanza = stanza "Types: deb-src\n"; next
    }
    /^URIs:/ { if ($0 ~ /debian/) is_debian = 1 }
    /^Enabled:[[:space:]]*no/ { is_deb = 0 }
    { stanza = stanza $0 "\n" }
    END { flush() }
  ' "$@"
}
if ! has_deb_src; then
  shopt -s nullglob
  deb822_files=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  deb822_text=""
  if [[ ${#deb822_files[@]} -gt 0 ]]; then
    deb822_text="$(deb822_src_stanzas "${deb822_files[@]}")"
  fi
  if [[ -n "$deb822_text" ]]; then
    target=/etc/apt/sources.list.d/ferrisdb-deb-src.sources
    log "no deb-src entries: writing $target (deb822, like the configured sources)"
    printf '# Added by FerrisDB scripts/build_rocksdb_release.sh for apt-get source.\n%s\n' \
      "$deb822_text" | "${sudo_cmd[@]}" tee "$target" >/dev/null
  else
    shopt -s nullglob
    list_files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
    shopt -u nullglob
    list_text=""
    if [[ ${#list_files[@]} -gt 0 ]]; then
      list_text="$(grep -hE '^[[:space:]]*deb[[:space:]].*debian' "${list_files[@]}" |
                   sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' || true)"
    fi
    if [[ -z "$list_text" ]]; then
      log "no Debian apt source found to derive deb-src entries from;" \
          "add a deb-src line for Debian 12 (bookworm) and rerun"
      exit 1
    fi
    target=/etc/apt/sources.list.d/ferrisdb-deb-src.list
    log "no deb-src entries: writing $target (one-line format, like sources.list)"
    printf '# Added by FerrisDB scripts/build_rocksdb_release.sh for apt-get source.\n%s\n' \
      "$list_text" | "${sudo_cmd[@]}" tee "$target" >/dev/null
  fi
  apt_updated=0
fi

# --- 3. Debian's source, the version librocksdb-dev has ---------------------
version="$(dpkg-query -W -f='${Version}' librocksdb-dev 2>/dev/null || true)"
if [[ -z "$version" ]]; then
  version="$(apt-cache policy librocksdb-dev | awk '/Candidate:/ { print $2 }')"
fi
if [[ -z "$version" || "$version" == "(none)" ]]; then
  log "cannot tell which rocksdb version Debian ships (apt-cache policy librocksdb-dev)"
  exit 1
fi
upstream_version="${version#*:}"
upstream_version="${upstream_version%-*}"
src_parent="$dir/src"
src_dir="$src_parent/rocksdb-$upstream_version"
if [[ $force -eq 1 || ! -f "$src_dir/CMakeLists.txt" ]]; then
  if [[ $apt_updated -eq 0 ]]; then
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  rm -rf "$src_parent"
  mkdir -p "$src_parent"
  log "apt-get source rocksdb=$version into $src_parent"
  (cd "$src_parent" && apt-get source -qq "rocksdb=$version")
fi
if [[ ! -f "$src_dir/CMakeLists.txt" ]]; then
  log "expected $src_dir/CMakeLists.txt after apt-get source"
  exit 1
fi

# --- 4. Configure and build -------------------------------------------------
build_dir="$dir/build"
if [[ $force -eq 1 ]]; then
  rm -rf "$build_dir" "$install_dir"
fi
log "configuring $src_dir ($settings)"
cmake -S "$src_dir" -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELEASE="-O3 -DNDEBUG" \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DCMAKE_INSTALL_PREFIX="$install_dir" \
  -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DPORTABLE=ON -DFORCE_SSE42="$sse42" \
  -DFAIL_ON_WARNINGS=OFF \
  -DUSE_RTTI=ON \
  -DROCKSDB_BUILD_SHARED=OFF \
  -DWITH_TESTS=OFF -DWITH_ALL_TESTS=OFF -DWITH_BENCHMARK_TOOLS=OFF \
  -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF -DWITH_TRACE_TOOLS=OFF \
  -DWITH_EXAMPLES=OFF -DWITH_GFLAGS=OFF \
  -DWITH_ZSTD=ON -DWITH_SNAPPY=OFF -DWITH_LZ4=OFF -DWITH_ZLIB=OFF \
  -DWITH_BZ2=OFF -DWITH_LIBURING=OFF -DWITH_JEMALLOC=OFF -DWITH_NUMA=OFF \
  -DWITH_TBB=OFF

# The point of this build: refuse to install one whose flags lost NDEBUG.
if ! grep -q -- '-DNDEBUG' "$build_dir/compile_commands.json"; then
  log "compile commands lack -DNDEBUG; not a release build"
  exit 1
fi

start=$(date +%s)
log "building (nice -n 19, -j2); started $(date -u +%H:%M:%SZ)"
nice -n 19 cmake --build "$build_dir" -j2
log "build took $(( ($(date +%s) - start) / 60 )) min"

# --- 5. Install -------------------------------------------------------------
rm -rf "$install_dir"
cmake --install "$build_dir"
if [[ ! -f "$install_dir/lib/librocksdb.a" || ! -f "$install_dir/include/rocksdb/db.h" ]]; then
  log "install is missing lib/librocksdb.a or include/rocksdb/db.h"
  exit 1
fi
echo "Debian source rocksdb $version, $settings" >"$stamp"
log "installed into $install_dir"
print_configure_command
