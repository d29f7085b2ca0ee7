#!/usr/bin/env bash
# Line coverage of the durability code: builds FerrisDB with gcc --coverage
# (Debug, -O0, so that lines map to code), runs the test suite with ctest and
# summarises line coverage per area and per file with gcovr.
#
# Usage: scripts/coverage.sh [--threshold N] [--build-dir DIR] [--no-build]
#                            [--report-only] [--exclude-label REGEX] [--html]
#   --threshold N          fail if an area is below N% of lines (default 90)
#   --build-dir DIR        build directory (default
#                          ${FERRISDB_COVERAGE_BUILD_DIR:-build-coverage})
#   --no-build             use the build as it is (no configure, no build);
#                          still clears the counters and runs the tests
#   --report-only          only summarise the .gcda counters already there
#   --exclude-label REGEX  ctest labels not run (default 'install': the
#                          install test builds a consumer, it runs no
#                          FerrisDB code)
#   --html                 also write DIR/coverage/index.html (per-line view)
#
# Areas (each must reach the threshold):
#   wal        src/wal/
#   table      src/table/
#   version    src/version/
#   recovery   src/db/db_impl_open.cc (DB::Open: manifest and WAL replay)
# src/db as a whole is printed too, for information.
#
# Prints a table per area and per file (lowest coverage first) and writes
# DIR/coverage/summary.json (gcovr --json-summary) for tooling.
# Installs gcovr with apt-get if missing (needs root or sudo then).
set -euo pipefail
cd "$(dirname "$0")/.."

threshold=90
build_dir="${FERRISDB_COVERAGE_BUILD_DIR:-build-coverage}"
build=1
run_tests=1
exclude_label="install"
html=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threshold) threshold="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --no-build) build=0 ;;
    --report-only) build=0; run_tests=0 ;;
    --exclude-label) exclude_label="$2"; shift ;;
    --html) html=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "coverage: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "coverage: $*" >&2; }

scripts/install_deps.sh
if ! command -v gcovr >/dev/null; then
  log "installing gcovr"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gcovr
fi

if [[ $build -eq 1 ]]; then
  # gcc: the .gcno/.gcda format must match the gcov that gcovr runs.
  # -fprofile-update=atomic: every DB runs flush and compaction threads, and
  # racing counter updates otherwise corrupt the counts (gcov then prints
  # negative branch counts that gcovr cannot parse).
  cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER=g++ \
    -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="--coverage -fprofile-update=atomic" \
    -DCMAKE_EXE_LINKER_FLAGS="--coverage" -DFERRISDB_WERROR=ON \
    -DFERRISDB_BUILD_BENCHMARKS=OFF -DFERRISDB_BUILD_EXAMPLES=OFF >/dev/null
  nice -n 10 cmake --build "$build_dir" -j2
fi
ctest_rc=0
if [[ $run_tests -eq 1 ]]; then
  # Counters from an earlier run would add up with this one.
  find "$build_dir" -name '*.gcda' -delete
  ctest_args=(--test-dir "$build_dir" -j2 --output-on-failure --timeout 900)
  if [[ -n "$exclude_label" ]]; then
    ctest_args+=(--label-exclude "$exclude_label")
  fi
  # Report coverage even if a test fails; fail at the end.
  nice -n 10 ctest "${ctest_args[@]}" || ctest_rc=$?
fi

out_dir="$build_dir/coverage"
mkdir -p "$out_dir"
# One gcovr run writes every report. No -j: gcovr 5.2's parallel gcov runs
# share a working directory, collide on the .gcov files of common headers
# (db_impl.h##<hash>.gcov) and then hang. Its warnings (e.g. about CMake's
# compiler-id objects) go to a log.
gcovr_outputs=(--json-summary "$out_dir/summary.json" --json-summary-pretty
               --txt "$out_dir/missing-lines.txt")
if [[ $html -eq 1 ]]; then
  gcovr_outputs+=(--html-details "$out_dir/index.html")
fi
# The build directory is also the only search path: other build trees in
# the checkout (older coverage builds) hold counters of other versions of
# the same sources, which gcovr would merge and trip over.
if ! gcovr --root . --object-directory "$build_dir" --filter 'src/' \
     --exclude-unreachable-branches --gcov-ignore-parse-errors \
     "${gcovr_outputs[@]}" "$build_dir" >/dev/null 2>"$out_dir/gcovr.log"; then
  log "gcovr failed; see $out_dir/gcovr.log"
  exit 1
fi
log "uncovered line numbers per file: $out_dir/missing-lines.txt"
if [[ $html -eq 1 ]]; then
  log "per-line view: $out_dir/index.html"
fi

cov_rc=0
python3 - "$out_dir/summary.json" "$threshold" <<'EOF' || cov_rc=$?
import json, sys

summary = json.load(open(sys.argv[1]))
threshold = float(sys.argv[2])
files = {f["filename"]: (f["line_covered"], f["line_total"]) for f in summary["files"]}

def pct(covered, total):
    return 100.0 * covered / total if total else 100.0

# (name, path prefix or exact file, enforced)
areas = [
    ("wal", "src/wal/", True),
    ("table", "src/table/", True),
    ("version", "src/version/", True),
    ("recovery", "src/db/db_impl_open.cc", True),
    ("db (all)", "src/db/", False),
]

print(f"{'area':<10} {'lines':>7} {'covered':>8} {'line %':>7}  status (threshold {threshold:g}%)")
failed = []
for name, prefix, enforced in areas:
    members = [f for f in files if f == prefix or (prefix.endswith("/") and f.startswith(prefix))]
    covered = sum(files[f][0] for f in members)
    total = sum(files[f][1] for f in members)
    p = pct(covered, total)
    status = "info"
    if enforced:
        status = "ok" if p >= threshold else "BELOW"
        if p < threshold:
            failed.append(name)
    print(f"{name:<10} {total:>7} {covered:>8} {p:>6.1f}%  {status}")

print()
print(f"{'file':<40} {'lines':>6} {'missed':>7} {'line %':>7}")
rows = [(pct(*files[f]), f) for f in files
        if f.startswith(("src/wal/", "src/table/", "src/version/", "src/db/"))
        and files[f][1] > 0]
for p, f in sorted(rows):
    covered, total = files[f]
    print(f"{f:<40} {total:>6} {total - covered:>7} {p:>6.1f}%")

if failed:
    print(f"\ncoverage: below {threshold:g}%: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)
EOF
if [[ $ctest_rc -ne 0 ]]; then
  log "some tests failed (ctest exit $ctest_rc)"
  exit "$ctest_rc"
fi
exit "$cov_rc"
