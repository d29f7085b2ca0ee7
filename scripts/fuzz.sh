#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (address + undefined
# sanitizers, asserts on) and runs each of them on a scratch copy of its seed
# corpus plus its regression inputs. Fails if any target crashes, leaks,
# times out or violates a property; the input that did it is kept under
# <build dir>/fuzz-artifacts/<target>/ (see tests/fuzz/README.md for what to
# do with it).
#
#   scripts/fuzz.sh [--seconds=N | --runs=N] [--targets=a,b] [--parallel=P]
#                   [--build-dir=DIR] [--seed=N] [--merge]
#
#   --seconds=N    run each target for N seconds (default 60)
#   --runs=N       run each target for N inputs instead
#   --targets=a,b  only these targets (default: all six)
#   --parallel=P   run P targets at a time (default 1)
#   --build-dir=D  build directory (default build-fuzz)
#   --seed=N       libFuzzer's random seed (default 0: a new one each run);
#                  with a fixed seed a run explores the same inputs again
#   --merge        afterwards, add the inputs that found new coverage to
#                  tests/fuzz/corpus/<target> (review and commit them)
#
# CI (bounded):  scripts/fuzz.sh --seconds=60 --parallel=2 --seed=1
#   (a fixed seed: CI replays an exploration that passed here, so a red CI
#   run is reproducible and never a new finding by luck; the long form below
#   explores new ground with fresh seeds)
# Long form:     scripts/fuzz.sh --seconds=3600     (an hour per target)
#                scripts/fuzz.sh --runs=10000000    (10M inputs per target)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
runs=""
targets="wal_reader_fuzz write_batch_fuzz block_iter_fuzz table_reader_fuzz version_edit_fuzz db_differential_fuzz"
parallel=1
build_dir=build-fuzz
merge=0
seed=0
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds="${arg#*=}"; runs="" ;;
    --runs=*) runs="${arg#*=}" ;;
    --targets=*) targets="${arg#*=}"; targets="${targets//,/ }" ;;
    --parallel=*) parallel="${arg#*=}" ;;
    --build-dir=*) build_dir="${arg#*=}" ;;
    --seed=*) seed="${arg#*=}" ;;
    --merge) merge=1 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

# Longest input per target: big enough for the largest seed (a WAL record
# crossing two block boundaries is 66 KB), small enough to keep runs fast.
max_len() {
  case "$1" in
    wal_reader_fuzz) echo 80000 ;;
    table_reader_fuzz) echo 16384 ;;
    block_iter_fuzz) echo 8192 ;;
    write_batch_fuzz) echo 4096 ;;
    version_edit_fuzz) echo 1024 ;;
    db_differential_fuzz) echo 512 ;;
    *) echo 4096 ;;
  esac
}

echo "== building fuzzers in $build_dir"
build_start=$SECONDS
# -O1 -g without NDEBUG: the library's asserts check REQUIRES clauses too.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  -DFERRISDB_BUILD_FUZZERS=ON -DFERRISDB_SANITIZE=address,undefined \
  -DFERRISDB_BUILD_TESTS=OFF -DFERRISDB_BUILD_BENCHMARKS=OFF \
  -DFERRISDB_BUILD_EXAMPLES=OFF -DFERRISDB_BUILD_TOOLS=OFF \
  -DFERRISDB_INSTALL=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$build_dir" -j2 --target $targets
echo "== build took $((SECONDS - build_start)) s"

work="$(mktemp -d "${TMPDIR:-/tmp}/ferrisdb-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
artifacts="$build_dir/fuzz-artifacts"

run_target() {
  local t="$1" scratch="$work/$1/corpus" log="$work/$1/log"
  mkdir -p "$scratch" "$artifacts/$t"
  cp tests/fuzz/corpus/"$t"/* "$scratch"/ 2>/dev/null || true
  find tests/fuzz/regressions/"$t" -maxdepth 1 -type f ! -name '*.*' \
    -exec cp {} "$scratch"/ \; 2>/dev/null || true
  local limit=(-max_total_time="$seconds")
  [[ -n "$runs" ]] && limit=(-runs="$runs")
  local rc=0
  "$build_dir/tests/fuzz/$t" "${limit[@]}" -max_len="$(max_len "$t")" \
    -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 -seed="$seed" \
    -artifact_prefix="$artifacts/$t/" "$scratch" >"$log" 2>&1 || rc=$?
  local execs rate
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  if [[ $rc -eq 0 ]]; then
    printf '%-22s ok      %10s execs %8s exec/s\n' "$t" "${execs:-?}" "${rate:-?}" \
      >"$work/$t/summary"
  else
    printf '%-22s FAILED  %10s execs %8s exec/s (exit %d)\n' "$t" \
      "${execs:-?}" "${rate:-?}" "$rc" >"$work/$t/summary"
    cp "$log" "$artifacts/$t/last.log"
    echo "---- $t failed; log in $artifacts/$t/last.log; tail:" >&2
    tail -n 40 "$log" >&2
  fi
  if [[ $merge -eq 1 && $rc -eq 0 ]]; then
    "$build_dir/tests/fuzz/$t" -merge=1 -max_len="$(max_len "$t")" \
      tests/fuzz/corpus/"$t" "$scratch" >>"$log" 2>&1
  fi
  return $rc
}

echo "== running: ${runs:+$runs inputs}${runs:-$seconds s} per target, $parallel at a time"
failed=0
running=0
for t in $targets; do
  run_target "$t" &
  running=$((running + 1))
  if [[ $running -ge $parallel ]]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [[ $running -gt 0 ]]; do
  wait -n || failed=1
  running=$((running - 1))
done

echo "== results"
for t in $targets; do cat "$work/$t/summary"; done
if [[ $failed -ne 0 ]]; then
  echo "fuzz.sh: a target failed; reproduce with $build_dir/tests/fuzz/<target> <input>" >&2
  exit 1
fi
