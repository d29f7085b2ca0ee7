// Engine: the few operations the comparison tool (ferrisdb_compare) needs from
// a key-value store, so that one driver runs the same workloads against
// FerrisDB, RocksDB and LevelDB. Each adapter (ferrisdb_engine.cc,
// rocksdb_engine.cc, leveldb_engine.cc) maps EngineSettings onto its engine's
// own options as closely as that engine allows and says in Describe() the
// effective value of each setting: what it set, what it left at the engine's
// default, and where the engine cannot follow a setting.
//
// Thread-safety: Put and Get are thread-safe while the engine is open (every
// engine's DB is, and the adapters keep no per-call state), so that
// readwhilewriting can read and write from two threads. Everything else
// REQUIRES external synchronization.
#ifndef FERRISDB_BENCH_COMPARE_ENGINE_H_
#define FERRISDB_BENCH_COMPARE_ENGINE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ferrisdb::bench {

// Settings applied identically to every engine. The compaction defaults are
// FerrisDB's (Options).
struct EngineSettings {
  size_t write_buffer_size = size_t{64} << 20;
  size_t block_size = 4096;
  int bloom_bits = 10;  // bits per key; 0: no filter
  size_t cache_bytes = size_t{64} << 20;
  bool zstd = false;  // block compression: zstd level 1, or none
  int max_open_files = 1000;

  // ---- Leveled compaction ----
  // Size at which compaction cuts its output tables.
  uint64_t target_file_size = uint64_t{64} << 20;
  // Target bytes of level 1; each deeper level aims at 10 times the one
  // above.
  uint64_t max_bytes_for_level_base = uint64_t{256} << 20;
  // Level-0 files that start a compaction into level 1.
  int level0_compaction_trigger = 4;
  // Background threads for flushes and compactions together, where the
  // engine lets them be set (FerrisDB: fixed 1 flush + 1 compaction thread;
  // LevelDB: fixed 1 thread for both).
  int background_jobs = 2;
};

// A forward iterator over the whole database. REQUIRES: destroyed before the
// Engine's Close.
class EngineIterator {
 public:
  virtual ~EngineIterator() = default;
  virtual void SeekToFirst() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid(). Views stay valid until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // "ferrisdb", "rocksdb" or "leveldb".
  virtual std::string name() const = 0;
  // The library version linked, e.g. "7.8.3".
  virtual std::string Version() const = 0;
  // One line per setting the adapter applied or left at the engine default.
  virtual std::string Describe() const = 0;
  // The block compression actually used ("none" or "zstd"); an engine
  // without zstd reports "none" when zstd was asked for.
  virtual std::string compression() const = 0;

  // Opens (creating if missing) the database in path. REQUIRES: not open.
  virtual absl::Status Open(const std::string& path) = 0;
  // The engine's own statistics text (FerrisDB: "ferrisdb.stats").
  // Unimplemented where the adapter does not offer one. REQUIRES: open.
  virtual absl::StatusOr<std::string> StatsText() {
    return absl::UnimplementedError(name() + ": no statistics text");
  }

  // Writes the memtable to tables where the engine has a call for it (LevelDB
  // has none; it writes the replayed log to a table when reopened).
  virtual absl::Status Flush() = 0;
  // Closes the database, waiting for background work. No-op if not open.
  virtual void Close() = 0;

  // WAL on, sync off.
  virtual absl::Status Put(std::string_view key, std::string_view value) = 0;
  // true and *value set if key is present, false if absent.
  virtual absl::StatusOr<bool> Get(std::string_view key,
                                   std::string* value) = 0;
  // Checksums of blocks read are verified on every engine.
  virtual std::unique_ptr<EngineIterator> NewIterator() = 0;
};

std::unique_ptr<Engine> NewFerrisdbEngine(const EngineSettings& settings);
std::unique_ptr<Engine> NewRocksdbEngine(const EngineSettings& settings);
std::unique_ptr<Engine> NewLeveldbEngine(const EngineSettings& settings);

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_COMPARE_ENGINE_H_
