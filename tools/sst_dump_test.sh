#!/usr/bin/env bash
# Builds a small database with ferrisdb_bench, checks that ferrisdb_sst_dump
# reads and verifies its tables, then that it reports a damaged table.
# Usage: sst_dump_test.sh <ferrisdb_bench> <ferrisdb_sst_dump>
set -euo pipefail
bench="$1"
dump="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bench" --num=20000 --benchmarks=fillrandom --db="$work/db" --keep_db \
  --write_buffer_size=262144 --progress=never --compression=zstd >/dev/null
tables=("$work"/db/*.sst)
[[ ${#tables[@]} -ge 2 ]] || { echo "expected several tables"; exit 1; }
out="$("$dump" --verify "${tables[@]}")"
grep -q "verified: OK" <<<"$out" || { echo "$out"; exit 1; }
grep -q "entries " <<<"$out" || { echo "$out"; exit 1; }

# Damage one byte in the middle of the first table's data blocks.
damaged="$work/damaged.sst"
cp "${tables[0]}" "$damaged"
printf '\xff\xff\xff\xff' | dd of="$damaged" bs=1 seek=2000 conv=notrunc status=none
if out="$("$dump" --verify "$damaged")"; then
  echo "damage not detected:"; echo "$out"; exit 1
fi
grep -q "DATA_LOSS" <<<"$out" || { echo "$out"; exit 1; }
echo "sst_dump test passed"
