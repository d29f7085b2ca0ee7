// Options that control a FerrisDB database and its reads and writes.
//
// One struct per scope, every field with a documented default. Options are
// copied at DB::Open; changing a struct afterwards has no effect on the DB.
#ifndef FERRISDB_OPTIONS_H_
#define FERRISDB_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ferrisdb {

class Cache;
class Env;
class Snapshot;
class Statistics;

// How SSTable blocks are compressed. The values are stored on disk (the block
// trailer of docs/format/sstable.md): never renumber.
enum class CompressionType : uint8_t {
  kNone = 0,
  kZstd = 1,
};

// Largest key, in bytes, that Put/Delete accept. Longer keys are rejected with
// absl::InvalidArgumentError.
inline constexpr size_t kMaxKeySize = size_t{64} << 10;  // 64 KiB
// Largest value, in bytes, that Put accepts.
inline constexpr size_t kMaxValueSize = size_t{256} << 20;  // 256 MiB
// Largest encoded WriteBatch that Write accepts.
inline constexpr size_t kMaxBatchSize = size_t{1} << 30;  // 1 GiB

// Options for opening a database.
struct Options {
  // Create the database if the directory holds none.
  bool create_if_missing = true;

  // Fail DB::Open with AlreadyExists if the directory already holds a database.
  bool error_if_exists = false;

  // Bytes of user data (keys, values and per-entry overhead) the active
  // memtable holds before it becomes immutable and a new write-ahead log file
  // is started. Smaller values mean faster recovery and smaller memory use;
  // larger values mean fewer, larger flushes.
  size_t write_buffer_size = size_t{64} << 20;

  // Where all file I/O goes. nullptr means Env::Default() (POSIX). The Env
  // must outlive every DB opened with it.
  Env* env = nullptr;

  // ---- SSTables ----

  // Approximate bytes of user data per data block, before compression.
  size_t block_size = 4096;

  // Keys between restart points of a block (prefix compression restarts at
  // each; lookups binary-search the restarts). At least 1.
  int block_restart_interval = 16;

  // Bloom filter bits per key; 0 disables filters. 10 gives about 1% false
  // positives.
  int bloom_bits_per_key = 10;

  // Block compression. A block is stored uncompressed when compression saves
  // less than 1/8 of its size.
  CompressionType compression = CompressionType::kZstd;
  // zstd level (1 fastest ... 19 smallest; negative levels are faster still).
  int compression_level = 1;

  // Cache of uncompressed blocks, shareable between DBs (see cache.h).
  // nullptr: the DB makes its own of block_cache_capacity bytes.
  std::shared_ptr<Cache> block_cache;
  size_t block_cache_capacity = size_t{64} << 20;

  // Hold each table's index and filter blocks in the block cache (charged
  // against its capacity, evictable, re-read on a miss) instead of pinning
  // them with the open table. Saves memory with many open tables; costs a
  // cache lookup per read.
  bool cache_index_and_filter_blocks = false;

  // Tables kept open (file descriptor, index and filter) at once. The first
  // max_open_files / 2 tables read stay open until compaction removes them,
  // found by reads without a lock; the others share the remaining slots,
  // least recently used closed first. Must be >= 1.
  int max_open_files = 1000;

  // Read tables through read-only memory mappings (see
  // Env::NewMappedRandomAccessFile): an uncompressed data block is then used
  // in place, with no system call, no copy and no block cache entry, and its
  // checksum is verified the first time an open table serves it (not on
  // every read). The mapped pages are the operating system's page cache and
  // count in the process's resident size while mapped. Compressed blocks
  // still go through the block cache. The cost: a table file truncated or
  // failing on the device while open raises SIGBUS instead of an error.
  // Envs other than the default may ignore this.
  bool use_mmap_reads = true;

  // ---- Leveled compaction ----
  //
  // Level 0 holds flushed memtables (files may overlap). Levels 1..6 each
  // hold non-overlapping files; level L aims at max_bytes_for_level_base *
  // max_bytes_for_level_multiplier^(L-1) bytes. A background thread compacts
  // the level that most exceeds its aim into the next one.

  // Number of level-0 files that starts a compaction into level 1.
  int level0_file_num_compaction_trigger = 4;
  // Number of level-0 files from which each write is delayed, more the
  // closer level 0 gets to level0_stop_writes_trigger.
  int level0_slowdown_writes_trigger = 20;
  // Number of level-0 files at which writes wait for compaction.
  int level0_stop_writes_trigger = 36;

  // Target size of level 1 in bytes, and the growth factor of each level.
  uint64_t max_bytes_for_level_base = uint64_t{256} << 20;
  double max_bytes_for_level_multiplier = 10;

  // Size at which a compaction starts a new output table. A table is also
  // ended early when it would overlap more than 10 tables' worth of bytes in
  // the level below its own (so its own later compaction stays small).
  uint64_t target_file_size = uint64_t{64} << 20;

  // Estimated bytes compaction must rewrite to bring every level back to its
  // target: writes are delayed above the soft limit and wait above the hard
  // one (0 disables the limit).
  uint64_t soft_pending_compaction_bytes_limit = uint64_t{64} << 30;
  uint64_t hard_pending_compaction_bytes_limit = uint64_t{256} << 30;

  // Compaction keeps every version of the data needed to read the database
  // as of any sequence number >= history_horizon; older versions that no
  // snapshot needs are discarded. The default keeps no history beyond the
  // snapshots (a read "as of now" is all that is preserved).
  uint64_t history_horizon = UINT64_MAX;

  // Where the DB records counters and latency histograms (see
  // statistics.h); may be shared by several DBs. nullptr: record nothing.
  std::shared_ptr<Statistics> statistics;

  // Size at which the MANIFEST (the log of table-set changes) is replaced by
  // a new one that starts with a snapshot of the current state, so the file
  // a restart replays stays short. The old one is deleted once CURRENT
  // durably names the new one.
  uint64_t max_manifest_file_size = uint64_t{64} << 20;

  // Check more invariants while opening and reading files, and turn anything
  // unexpected into an error instead of skipping it: sequence numbers in the
  // write-ahead log must be contiguous across files, and DB::Open checks
  // that every table the manifest names exists with the recorded size
  // (DataLoss naming the table; one stat per table). Block checksums are
  // verified either way (see ReadOptions::verify_checksums and
  // DB::VerifyChecksums).
  bool paranoid_checks = true;
};

// Options for one read (Get, NewIterator).
struct ReadOptions {
  // Read the state as of this snapshot. nullptr means the latest state at the
  // moment the read starts. The snapshot must come from the same DB and must
  // not have been released.
  const Snapshot* snapshot = nullptr;

  // Verify the checksum of every block read from a file.
  bool verify_checksums = true;

  // Put blocks read by this operation into the block cache. Turn off for
  // bulk scans that should not evict the working set.
  bool fill_cache = true;

  // Iterators only (Get ignores them): the range of user keys an iterator
  // shows, [iterate_lower_bound, iterate_upper_bound) in bytewise order.
  // The lower bound is inclusive, the upper bound exclusive; std::nullopt
  // means unbounded on that side. Every operation honours them: SeekToFirst
  // goes to the first key >= the lower bound, SeekToLast to the last key
  // below the upper bound, Seek to a target below the lower bound goes to the
  // lower bound, SeekForPrev to a target at or above the upper bound goes to
  // the last key below it, and Next/Prev become invalid (with an OK status)
  // when they reach a bound. A forward scan stops at the first key >= the
  // upper bound instead of reading on, so bounding a scan saves I/O.
  // The iterator keeps its own copies. An empty range (lower >= upper) shows
  // no key.
  std::optional<std::string> iterate_lower_bound;
  std::optional<std::string> iterate_upper_bound;
};

// Options for one write (Put, Delete, Write).
struct WriteOptions {
  // Sync the write-ahead log to stable storage (fdatasync) before the write is
  // acknowledged. With sync=false a crash of the machine (not of the process)
  // may lose the most recent writes, but never part of a batch.
  bool sync = false;
};

}  // namespace ferrisdb

#endif  // FERRISDB_OPTIONS_H_
