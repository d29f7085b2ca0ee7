// Options that control a FerrisDB database and its reads and writes.
//
// One struct per scope, every field with a documented default. Options are
// copied at DB::Open; changing a struct afterwards has no effect on the DB.
#ifndef FERRISDB_OPTIONS_H_
#define FERRISDB_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace ferrisdb {

class Cache;
class Env;
class Snapshot;

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

  // Tables kept open (file descriptor, index and filter) at once.
  int max_open_files = 1000;

  // Check more invariants while reading files (for example that sequence
  // numbers in the write-ahead log are contiguous across files) and turn
  // anything unexpected into an error instead of skipping it.
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
