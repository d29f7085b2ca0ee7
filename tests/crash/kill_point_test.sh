#!/usr/bin/env bash
# The white-box crash test driver: for every kill point the library names
# (util/kill_point.h), <repeats> times, runs `<child> --mode=run` with
# --kill_point so that the process SIGKILLs itself at that exact step of a
# write, flush, compaction or manifest update, then runs `<child>
# --mode=verify`, which must find every acknowledged write and nothing else.
#
#   kill_point_test.sh <child binary> <work dir> <repeats> <seed>
#
# The pass count N of each run (die the N-th time the point is passed) is a
# function of <seed>, so a failure is reproduced by the same arguments. A
# point the child does not reach within 10 s is reported and the child is
# killed from outside (that run still verifies a crash state); the test
# fails if any point is never reached.
set -u

if [[ $# -ne 4 ]]; then
  echo "usage: $0 <child binary> <work dir> <repeats> <seed>" >&2
  exit 2
fi
child=$1
work=$2
repeats=$3
seed=$4

mkdir -p "$work" || exit 2
db="$work/db"
oracle="$work/oracle"
log="$work/child.log"
rm -rf "$db" "$oracle" "$oracle".t* "$log"

points=$("$child" --list_kill_points) || exit 2
RANDOM=$seed
runs=0
never_reached=()
for point in $points; do
  reached=0
  for ((r = 0; r < repeats; r++)); do
    run_seed=$((seed * 100000 + runs))
    kill_after=$((1 + RANDOM % 8))
    # A new manifest (and CURRENT) is written once per Open: the first pass.
    case $point in current.* | manifest.new.*) kill_after=1 ;; esac
    "$child" --mode=run --db="$db" --oracle="$oracle" --seed="$run_seed" \
      --kill_point="$point" --kill_after="$kill_after" >"$log" 2>&1 &
    pid=$!
    for ((t = 0; t < 1000; t++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.01
    done
    how="at the kill point"
    if kill -0 "$pid" 2>/dev/null; then
      how="from outside (point not reached in 10 s)"
      kill -9 "$pid" 2>/dev/null
    else
      reached=1
    fi
    { wait "$pid"; } 2>/dev/null  # no "Killed" line from the shell
    rc=$?
    if [[ $rc -ne 137 ]]; then
      echo "$point (pass $kill_after, run seed $run_seed): the child exited" \
           "with status $rc instead of being killed:"
      cat "$log"
      exit 1
    fi
    if ! out=$("$child" --mode=verify --db="$db" --oracle="$oracle" 2>&1); then
      echo "$point (pass $kill_after, run seed $run_seed), killed $how:" \
           "verification failed:"
      echo "$out"
      echo "reproduce: $0 $child $work $repeats $seed"
      exit 1
    fi
    runs=$((runs + 1))
    echo "$point pass $kill_after: killed $how; $out"
  done
  [[ $reached -eq 1 ]] || never_reached+=("$point")
done
if [[ ${#never_reached[@]} -gt 0 ]]; then
  echo "never reached: ${never_reached[*]}"
  exit 1
fi
echo "$runs runs over every kill point, 0 failed"
