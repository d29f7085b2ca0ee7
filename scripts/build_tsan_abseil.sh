#!/usr/bin/env bash
# Builds Debian's abseil with ThreadSanitizer (clang), outside the repo, for
# scripts/tsan.sh.
#
# Why: Debian's libabsl is not instrumented, so TSan cannot see absl::Mutex
# lock/unlock and reports false data races on every field an absl::Mutex
# guards. Building the same abseil source with -fsanitize=thread makes the
# mutex visible and lets scripts/tsan.sh run with no suppressions.
#
# Usage: scripts/build_tsan_abseil.sh [--force] [--dir DIR]
#   --dir DIR  where the source, build tree and install go
#              (default ${FERRISDB_TSAN_ABSEIL_DIR:-$HOME/.cache/ferrisdb/abseil-tsan})
#   --force    rebuild even if DIR/install is already complete
#
# What it does:
#   1. apt-get installs dpkg-dev, cmake, clang and its sanitizer runtimes if
#      missing.
#   2. If apt has no deb-src entries, writes the deb-src twins of the
#      configured Debian deb entries to /etc/apt/sources.list.d/
#      ferrisdb-deb-src.sources (deb822) or ferrisdb-deb-src.list (one-line),
#      matching whichever format is configured, then apt-get update. Nothing is
#      written when deb-src is already enabled (e.g. by build_rocksdb_release.sh).
#   3. `apt-get source abseil=<version of libabsl-dev>` into DIR/src: Debian's
#      code and patches, so options.h (absl::string_view, absl::optional, ...
#      are absl's own types, not std's) matches the headers FerrisDB is
#      otherwise built against.
#   4. Backports one upstream abseil fix (see "TSan patch" below).
#   5. CMake RelWithDebInfo build with clang++ -fsanitize=thread, C++20 with
#      ABSL_PROPAGATE_CXX_STD=ON (same standard as FerrisDB), static PIC
#      libraries, no tests; nice -n 10, -j2.
#   6. Installs into DIR/install and writes a stamp file naming the version
#      and the patch; prints the CMAKE_PREFIX_PATH to use (last line).
# Idempotent: a complete install whose stamp matches is reused; an
# interrupted build resumes in DIR/build; a stamp from another version or
# patch set rebuilds.
#
# TSan patch: in abseil 20220623, Mutex::IncrementSynchSem wakes a waiter by
# posting on the waiter's ThreadIdentity, which the waiter handed over through
# the mutex word, inside the mutex code where TSan ignores synchronization. So
# TSan sees no happens-before between the waiter allocating its identity
# (LowLevelAlloc's mmap) and the waker's atomic fetch_add on it, and reports
# a data race in Waiter::Post on nearly every contended absl::Mutex. Upstream
# abseil fixed this (later releases) by ignoring reads and writes around the
# Post; the same three lines are applied here, so no suppression is needed.
#
# Needs root (or sudo) for apt-get; about 10 minutes of 2 cores.
set -euo pipefail

force=0
dir="${FERRISDB_TSAN_ABSEIL_DIR:-$HOME/.cache/ferrisdb/abseil-tsan}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) force=1 ;;
    --dir) dir="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_tsan_abseil: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "build_tsan_abseil: $*" >&2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
case "$dir/" in
  "$repo_root"/*) log "refusing to build inside the repository ($dir)"; exit 2 ;;
esac
install_dir="$dir/install"
# Written last: its presence means the install is complete.
stamp="$install_dir/ferrisdb-abseil-tsan.stamp"
patch_id="patches: mutex-post-ignore-accesses"
stamp_id() {
  echo "abseil $(dpkg-query -W -f='${Version}' libabsl-dev 2>/dev/null || true)," \
       "clang -fsanitize=thread, C++20, $patch_id"
}

if [[ -f "$stamp" && $force -eq 0 ]] && grep -qxF "$(stamp_id)" "$stamp"; then
  log "already built ($(cat "$stamp")); --force rebuilds"
  echo "$install_dir"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# --- 1. Build tools ---------------------------------------------------------
packages=(dpkg-dev patch cmake make clang libclang-rt-14-dev libabsl-dev)
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
shopt -s nullglob
apt_sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list
             /etc/apt/sources.list.d/*.sources)
shopt -u nullglob
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
if has_deb_src; then
  log "deb-src entries already configured; leaving apt sources alone"
else
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
    printf '# Added by FerrisDB scripts/build_tsan_abseil.sh for apt-get source.\n%s\n' \
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
    printf '# Added by FerrisDB scripts/build_tsan_abseil.sh for apt-get source.\n%s\n' \
      "$list_text" | "${sudo_cmd[@]}" tee "$target" >/dev/null
  fi
  apt_updated=0
fi

# --- 3. Debian's source, the version libabsl-dev has ------------------------
version="$(dpkg-query -W -f='${Version}' libabsl-dev 2>/dev/null || true)"
if [[ -z "$version" ]]; then
  log "cannot tell which abseil version is installed (dpkg-query libabsl-dev)"
  exit 1
fi
upstream_version="${version#*:}"
upstream_version="${upstream_version%-*}"
src_parent="$dir/src"
src_dir="$src_parent/abseil-$upstream_version"
if [[ $force -eq 1 || ! -f "$src_dir/CMakeLists.txt" ]]; then
  if [[ $apt_updated -eq 0 ]]; then
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  rm -rf "$src_parent"
  mkdir -p "$src_parent"
  log "apt-get source abseil=$version into $src_parent"
  (cd "$src_parent" && apt-get source -qq "abseil=$version")
fi
if [[ ! -f "$src_dir/CMakeLists.txt" ]]; then
  log "expected $src_dir/CMakeLists.txt after apt-get source"
  exit 1
fi

# --- 4. TSan patch (upstream abseil's fix, see the header) ------------------
mutex_cc="$src_dir/absl/synchronization/mutex.cc"
if ! grep -q 'ferrisdb: upstream TSan fix' "$mutex_cc"; then
  log "applying the upstream TSan fix to Mutex::IncrementSynchSem"
  (cd "$src_dir" && patch -p1 --forward --quiet) <<'PATCH'
--- a/absl/synchronization/mutex.cc
+++ b/absl/synchronization/mutex.cc
@@ -563,7 +563,12 @@
   if (mu) {
     ABSL_TSAN_MUTEX_PRE_DIVERT(mu, 0);
   }
+  // ferrisdb: upstream TSan fix. We miss synchronization around passing
+  // PerThreadSynch between threads since it happens inside of the Mutex
+  // code, so we need to ignore all accesses to the object.
+  ABSL_ANNOTATE_IGNORE_READS_AND_WRITES_BEGIN();
   PerThreadSem::Post(w->thread_identity());
+  ABSL_ANNOTATE_IGNORE_READS_AND_WRITES_END();
   if (mu) {
     ABSL_TSAN_MUTEX_POST_DIVERT(mu, 0);
   }
PATCH
fi

# --- 5. Configure and build -------------------------------------------------
build_dir="$dir/build"
if [[ $force -eq 1 ]]; then
  rm -rf "$build_dir" "$install_dir"
fi
log "configuring $src_dir (clang, -fsanitize=thread, RelWithDebInfo, C++20)"
cmake -S "$src_dir" -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_STANDARD=20 -DABSL_PROPAGATE_CXX_STD=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DBUILD_SHARED_LIBS=OFF \
  -DBUILD_TESTING=OFF -DABSL_BUILD_TESTING=OFF \
  -DABSL_ENABLE_INSTALL=ON \
  -DCMAKE_INSTALL_PREFIX="$install_dir" \
  -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
log "building (nice -n 10, -j2)"
nice -n 10 cmake --build "$build_dir" -j2
rm -f "$stamp"
cmake --install "$build_dir" >/dev/null

# --- 6. Done ----------------------------------------------------------------
{ stamp_id; echo "built $(date -u +%FT%TZ)"; } >"$stamp"
log "installed into $install_dir"
echo "$install_dir"
