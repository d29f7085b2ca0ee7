#!/usr/bin/env bash
# The kill -9 crash test driver.
#
#   crash_test.sh <child binary> <work dir> <iterations> <seed>
#
# Each iteration starts `<child> --mode=run` (seed + iteration) in the
# background, lets it write for a random 50-700 ms, kills it with SIGKILL and
# runs `<child> --mode=verify`, which must find every acknowledged write (and
# the write in flight whole or not at all). The same DB and oracle carry over
# from one iteration to the next. The delays are a function of <seed>, so a
# failing run is reproduced by re-running with the same arguments.
set -u

if [[ $# -ne 4 ]]; then
  echo "usage: $0 <child binary> <work dir> <iterations> <seed>" >&2
  exit 2
fi
child=$1
work=$2
iterations=$3
seed=$4

mkdir -p "$work" || exit 2
db="$work/db"
oracle="$work/oracle"
log="$work/child.log"
# Start from nothing: only what this script created there.
rm -rf "$db" "$oracle" "$oracle".t* "$oracle".tmp "$oracle".t*.tmp "$log"

RANDOM=$seed
passed=0
for ((i = 0; i < iterations; i++)); do
  run_seed=$((seed * 100000 + i))
  delay_ms=$((50 + RANDOM % 651))
  "$child" --mode=run --db="$db" --oracle="$oracle" --seed="$run_seed" \
    >"$log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rc=$?
  if [[ $rc -ne 137 ]]; then
    echo "iteration $i (seed $seed, run seed $run_seed): the child exited" \
         "with status $rc before it was killed:"
    cat "$log"
    echo "$passed passed, 1 failed"
    exit 1
  fi
  if ! out=$("$child" --mode=verify --db="$db" --oracle="$oracle" 2>&1); then
    echo "iteration $i (seed $seed, run seed $run_seed, killed after" \
         "${delay_ms} ms): verification failed:"
    echo "$out"
    echo "reproduce: $0 $child $work $iterations $seed"
    echo "$passed passed, 1 failed"
    exit 1
  fi
  passed=$((passed + 1))
  echo "iteration $i: killed after ${delay_ms} ms; $out"
done
echo "$passed passed, 0 failed"
