// DB: an embedded, persistent, ordered key-value store.
//
// Keys and values are arbitrary byte strings (embedded NULs included), keys
// ordered bytewise. Every write goes first to a write-ahead log and then to an
// in-memory table; DB::Open replays the log, so acknowledged writes survive a
// process crash (and, with WriteOptions::sync, a machine crash).
//
// Errors: a missing key is kNotFound; a damaged file is kDataLoss with the file
// name and offset in the message; bad arguments are kInvalidArgument; I/O
// failures carry the operating system's error text.
//
// Thread-safety: a DB is thread-safe; any number of threads may call its
// methods concurrently without external synchronization.
#ifndef FERRISDB_DB_H_
#define FERRISDB_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/cache.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"

namespace ferrisdb {

// A consistent, read-only view of the database at one moment. Obtained from
// DB::GetSnapshot and returned with DB::ReleaseSnapshot.
class Snapshot {
 public:
  // The sequence number of the last write visible through this snapshot.
  virtual uint64_t sequence_number() const = 0;

 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens (or, with Options::create_if_missing, creates) the database in the
  // directory `path`. Only one DB object, in one process, may have a directory
  // open at a time; a second Open fails with FailedPrecondition.
  static absl::StatusOr<std::unique_ptr<DB>> Open(const Options& options,
                                                  const std::string& path);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  // Closes the database: waits for background work and releases the
  // directory lock. Data acknowledged with sync=false has been handed to the
  // operating system. REQUIRES: no other thread is calling into this DB, and
  // every iterator of it has been destroyed (snapshots still held are
  // released).
  virtual ~DB();

  // Sets key to value.
  virtual absl::Status Put(const WriteOptions& options, std::string_view key,
                           std::string_view value) = 0;

  // Removes key, if present. Deleting a missing key is not an error.
  virtual absl::Status Delete(const WriteOptions& options,
                              std::string_view key) = 0;

  // Applies every update in batch atomically. batch may be nullptr or empty,
  // in which case Write only syncs the log if options.sync.
  //
  // A write that returns an error may still be applied after a reopen (the
  // log may have received it before the failing step); it is applied whole or
  // not at all. After an I/O error on the log the DB refuses further writes
  // until it is reopened.
  virtual absl::Status Write(const WriteOptions& options,
                             WriteBatch* batch) = 0;

  // The value stored for key, or NotFound.
  virtual absl::StatusOr<std::string> Get(const ReadOptions& options,
                                          std::string_view key) = 0;

  // An iterator over the whole database as of options.snapshot (or now). The
  // iterator starts unpositioned. REQUIRES: destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // Writes the active memtable, if it holds anything, to a table file and
  // waits until every memtable written so far is in a table (the logs that
  // held them are then deleted). An error is sticky: a flush that fails makes
  // the DB refuse writes with that error until Resume() or a reopen.
  virtual absl::Status Flush() = 0;

  // Puts a DB that refuses writes after an I/O error (of a write, a flush or
  // a compaction) back into service once the cause is gone: with writes held
  // back, it starts a new log, writes every memtable to a table and makes
  // the old logs obsolete, then restarts background work. A write that
  // failed is never applied afterwards, and no acknowledged write is lost.
  // OK at once if there is no error. If the fault persists, its error (the
  // DB stays read-only; call Resume again later). DataLoss (damage found in
  // a file) is not cleared: reopen the DB.
  virtual absl::Status Resume() = 0;

  // Compacts the user keys in [begin, end] (std::nullopt: unbounded on that
  // side): flushes the memtable, then merges the range down level by level
  // to the deepest level holding any of it, dropping overwritten versions
  // and deletions no snapshot needs. Waits until done. Use it after a bulk
  // delete to reclaim space, or to shape the tree before a read-only phase.
  virtual absl::Status CompactRange(std::optional<std::string_view> begin,
                                    std::optional<std::string_view> end) = 0;

  // Re-reads every block of every live table file from storage (bypassing
  // the block cache) and checks its checksum and contents. OK if all are
  // intact; otherwise DataLoss listing every damaged block found, each with
  // its file and offset (or the I/O error that stopped a read). Concurrent
  // reads and writes proceed; tables written meanwhile are not checked.
  virtual absl::Status VerifyChecksums() = 0;

  // The value of a property of the DB, or InvalidArgument for an unknown
  // name. Properties:
  //   "ferrisdb.num-files-at-level<N>"  number of tables at level N (0..6)
  //   "ferrisdb.stats"                  per-level files, sizes, scores and
  //                                     compaction I/O; write amplification
  //                                     and write-stall time; then every
  //                                     counter and histogram of
  //                                     Options::statistics, if set (text)
  //   "ferrisdb.sstables"               every table per level with its
  //                                     number, size and key range (text)
  //   "ferrisdb.approximate-memory-usage"  bytes held by the memtables
  virtual absl::StatusOr<std::string> GetProperty(std::string_view name) = 0;

  // A range of user keys, [start, limit).
  struct Range {
    std::string_view start;
    std::string_view limit;
  };
  // For each range, about how many bytes of table files its keys take
  // (within a data block per table; data still in memtables is not
  // counted). A range with limit <= start has size 0.
  virtual absl::StatusOr<std::vector<uint64_t>> GetApproximateSizes(
      std::span<const Range> ranges) = 0;

  // Counters of the block cache this DB reads through (shared with other
  // DBs if Options::block_cache was shared).
  virtual CacheStatistics GetBlockCacheStatistics() const = 0;

  // A snapshot of the current state. Release it with ReleaseSnapshot.
  virtual const Snapshot* GetSnapshot() = 0;
  // REQUIRES: snapshot came from this DB and was not released yet (nullptr
  // is ignored).
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;
};

// Removes the database in `path`: every file FerrisDB created there, then the
// directory if it is empty. Files it did not create are left in place.
// REQUIRES: the database is not open.
absl::Status DestroyDB(const std::string& path, const Options& options);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_H_
