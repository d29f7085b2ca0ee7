#!/usr/bin/env bash
# Runs the tests that use more than one thread under ThreadSanitizer (clang),
# with no suppressions. Fails on any TSan report or failing test.
#
# Usage: scripts/tsan.sh [--build-dir DIR] [--abseil-dir DIR] [--timeout S]
#                        [--no-build] [TEST_TARGET...]
#   --build-dir DIR   build directory (default ${FERRISDB_TSAN_BUILD_DIR:-build-tsan})
#   --abseil-dir DIR  where scripts/build_tsan_abseil.sh builds abseil
#                     (default ${FERRISDB_TSAN_ABSEIL_DIR:-$HOME/.cache/ferrisdb/abseil-tsan})
#   --timeout S       per test binary, in seconds (default 900)
#   --no-build        run what DIR already holds
#   TEST_TARGET...    test executables to build and run (default: the list below)
#
# Why a TSan-built abseil: Debian's libabsl is not instrumented, so TSan would
# not see absl::Mutex and would report false races on everything it guards.
# scripts/build_tsan_abseil.sh builds Debian's abseil source with
# -fsanitize=thread once (cached outside the repo); this script points
# CMAKE_PREFIX_PATH at it and checks that no test links Debian's libabsl.
# Debian's googletest is static and uninstrumented: it is used by the main
# thread, and by workers only through EXPECT_*/ASSERT_*, which take gtest's
# pthread mutex (intercepted by TSan), so it causes no false reports.
#
# Which tests: every DB::Open starts the flush and compaction threads, so every
# test that opens a DB is concurrent, plus the components tested with several
# threads directly (skiplist, block cache, statistics, histogram, the
# fault-injection Env). resume_test is not listed yet: under TSan on a loaded
# machine ResumeTest.EachFaultIsStickyUntilResumeAfterItClears ("directory
# sync" case) failed once on timing, with no TSan report.
# Each binary runs with TSAN_OPTIONS=halt_on_error=1 (plus the caller's
# TSAN_OPTIONS), two at a time; logs go to DIR/tsan-logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

default_targets=(
  db_concurrency_test db_test compaction_test compaction_crash_test
  db_crash_test db_model_test db_iter_test verify_checksums_test
  io_error_loop_test db_open_recovery_test crash_state_test
  skiplist_test memtable_test cache_test statistics_test histogram_test
  fault_injection_env_test table_cache_test published_ptr_test
  read_view_test obsolete_files_test resume_test
)

build_dir="${FERRISDB_TSAN_BUILD_DIR:-build-tsan}"
abseil_dir="${FERRISDB_TSAN_ABSEIL_DIR:-$HOME/.cache/ferrisdb/abseil-tsan}"
timeout_s=900
build=1
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift ;;
    --abseil-dir) abseil_dir="$2"; shift ;;
    --timeout) timeout_s="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "tsan: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=("${default_targets[@]}")
fi

log() { echo "tsan: $*" >&2; }

if [[ $build -eq 1 ]]; then
  scripts/install_deps.sh --clang
  absl_prefix="$(scripts/build_tsan_abseil.sh --dir "$abseil_dir" | tail -n 1)"
  cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRISDB_WERROR=ON \
    -DFERRISDB_SANITIZE=thread -DCMAKE_PREFIX_PATH="$absl_prefix" \
    -DFERRISDB_BUILD_BENCHMARKS=OFF -DFERRISDB_BUILD_EXAMPLES=OFF \
    -DFERRISDB_BUILD_TOOLS=OFF -DFERRISDB_INSTALL=OFF >/dev/null
  absl_found="$(sed -n 's/^absl_DIR:PATH=//p' "$build_dir/CMakeCache.txt")"
  case "$absl_found" in
    "$absl_prefix"/*) ;;
    *) log "CMake found abseil at '$absl_found', not in $absl_prefix;" \
           "remove $build_dir/CMakeCache.txt and rerun"; exit 1 ;;
  esac
  nice -n 10 cmake --build "$build_dir" -j2 --target "${targets[@]}"
fi

# Find each binary and check it does not load Debian's (uninstrumented) abseil.
binaries=()
for t in "${targets[@]}"; do
  bin="$(find "$build_dir/tests" -type f -name "$t" -perm -u+x | head -n 1)"
  if [[ -z "$bin" ]]; then
    log "no binary for $t in $build_dir/tests"; exit 1
  fi
  if ldd "$bin" | grep -q 'libabsl'; then
    log "$bin links a shared libabsl (uninstrumented): $(ldd "$bin" | grep libabsl | head -n 1)"
    exit 1
  fi
  binaries+=("$bin")
done

log_dir="$build_dir/tsan-logs"
rm -rf "$log_dir"
mkdir -p "$log_dir"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export FERRISDB_TSAN_LOG_DIR="$log_dir" FERRISDB_TSAN_TIMEOUT="$timeout_s"
log "running ${#binaries[@]} test binaries (TSAN_OPTIONS=$TSAN_OPTIONS)"
# Two at a time; each line: <seconds> <exit code> <target>.
printf '%s\n' "${binaries[@]}" | xargs -P 2 -I{} bash -c '
  bin="$1"; name="$(basename "$bin")"; start=$SECONDS
  rc=0
  (cd "$(dirname "$bin")" && timeout "$FERRISDB_TSAN_TIMEOUT" "./$name" \
     --gtest_brief=1) >"$FERRISDB_TSAN_LOG_DIR/$name.log" 2>&1 || rc=$?
  echo "$((SECONDS - start)) $rc $name" >>"$FERRISDB_TSAN_LOG_DIR/results.txt"
  echo "tsan: $name exit $rc in $((SECONDS - start))s" >&2
' _ {}

failed=0
printf '%-28s %6s %5s %s\n' target seconds exit "tsan reports"
while read -r secs rc name; do
  reports="$(grep -c 'WARNING: ThreadSanitizer' "$log_dir/$name.log" || true)"
  printf '%-28s %6s %5s %s\n' "$name" "$secs" "$rc" "$reports"
  if [[ "$rc" -ne 0 || "$reports" -ne 0 ]]; then
    failed=1
  fi
done < <(sort -k3 "$log_dir/results.txt")
if [[ $failed -ne 0 ]]; then
  for f in "$log_dir"/*.log; do
    if grep -q 'WARNING: ThreadSanitizer' "$f"; then
      log "first report in $f:"
      sed -n '/WARNING: ThreadSanitizer/,/^SUMMARY: ThreadSanitizer/p' "$f" | head -n 80 >&2
    fi
  done
  log "FAILED (logs in $log_dir; exit 124 means the --timeout of ${timeout_s}s)"
  exit 1
fi
log "no ThreadSanitizer reports, all tests passed"
