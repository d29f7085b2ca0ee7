#!/usr/bin/env bash
# The long form of the reliability harnesses (docs/reliability.md), for
# hours on a spare machine. Each stage prints its own tally; the script stops
# at the first failure, which prints how to reproduce it.
#
# Usage: scripts/reliability_long.sh [--kill-cycles=N] [--power-loss-states=N]
#                                    [--fuzz-seconds=S]
#   --kill-cycles   kill -9 cycles of tests/crash/crash_test.sh (default 20000)
#   --power-loss-states  crash states of ferrisdb_power_loss (default 1000000)
#   --fuzz-seconds  seconds per libFuzzer target (default 3600; 0 skips)
# Environment: FERRISDB_BUILD_DIR (default build-long).
set -euo pipefail
cd "$(dirname "$0")/.."

kill_cycles=20000
power_loss_states=1000000
fuzz_seconds=3600
for arg in "$@"; do
  case "$arg" in
    --kill-cycles=*) kill_cycles="${arg#*=}" ;;
    --power-loss-states=*) power_loss_states="${arg#*=}" ;;
    --fuzz-seconds=*) fuzz_seconds="${arg#*=}" ;;
    *) echo "reliability_long: unknown option $arg" >&2; exit 2 ;;
  esac
done

scripts/install_deps.sh
build_dir="${FERRISDB_BUILD_DIR:-build-long}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRISDB_WERROR=ON -DFERRISDB_LONG_TESTS=ON >/dev/null
cmake --build "$build_dir" -j2

echo "=== long: every crash state, power loss at every call, kill points ==="
FERRISDB_LONG_TESTS=1 ctest --test-dir "$build_dir" --output-on-failure \
  --timeout 14400 -R 'CrashState|CompactionCrash|PowerLoss|CrashErrorTest|IoErrorLoop|EveryKillPointLong'

echo "=== long: ${power_loss_states} power-loss states ==="
"$build_dir/tests/crash/ferrisdb_power_loss" --states="$power_loss_states" \
  --seed="$(date +%s)" | tail -n 4

echo "=== long: ${kill_cycles} kill -9 cycles ==="
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash tests/crash/crash_test.sh "$build_dir/tests/crash/ferrisdb_crash_child" \
  "$work" "$kill_cycles" "$(date +%s)" | tail -n 3

if [[ "$fuzz_seconds" -gt 0 ]]; then
  echo "=== long: ${fuzz_seconds} s per fuzz target ==="
  bash scripts/fuzz.sh --seconds="$fuzz_seconds"
fi
echo "reliability_long: all stages passed"
