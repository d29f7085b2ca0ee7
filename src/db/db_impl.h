// DBImpl: the implementation of DB, split by concern:
//   db_impl.cc          construction, reads (Get, iterators), snapshots
//   db_impl_open.cc     DB::Open, recovery from the write-ahead logs
//   db_impl_write.cc    the write path: group commit, memtable switch
//   destroy_db.cc       DestroyDB
//
// Who owns what:
//   - The write leader (the thread at the front of writers_) alone appends to
//     the log, inserts into the active memtable and switches memtables; it
//     drops mu_ while it does I/O, and every other writer waits in writers_.
//   - Readers take mu_ only to copy the current ReadView and sequence number,
//     then read without it.
//   - There are no background threads yet: full memtables wait in the read
//     view's immutable list (the SSTable issue adds the flush thread).
#ifndef FERRISDB_DB_DB_IMPL_H_
#define FERRISDB_DB_DB_IMPL_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "db/read_view.h"
#include "db/snapshot_list.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "wal/log_writer.h"

namespace ferrisdb {

class DBImpl final : public DB {
 public:
  // REQUIRES: options.env != nullptr.
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  absl::Status Put(const WriteOptions& options, std::string_view key,
                   std::string_view value) override;
  absl::Status Delete(const WriteOptions& options,
                      std::string_view key) override;
  absl::Status Write(const WriteOptions& options, WriteBatch* batch) override;
  absl::StatusOr<std::string> Get(const ReadOptions& options,
                                  std::string_view key) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;

  // Locks the directory, replays the logs and starts a new log. Called once,
  // by DB::Open, before the DB is shared.
  absl::Status Open();

  // Test hooks.
  SequenceNumber TEST_LastSequence() ABSL_LOCKS_EXCLUDED(mu_);
  size_t TEST_NumImmutableMemtables() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Writer;
  struct LogFile {
    uint64_t number;
    SequenceNumber first_sequence;
  };

  // --- db_impl_open.cc ---
  // Creates the directory if allowed and needed (durably).
  absl::Status PrepareDirectory();
  // The WAL files in the directory, by file number.
  absl::StatusOr<std::vector<LogFile>> ListLogs();
  // fsyncs an existing file.
  absl::Status SyncExistingFile(const std::string& path);
  // Replays one log into the memtables, advancing *last_sequence; sets
  // *records to the number of records it held.
  absl::Status ReplayLog(const LogFile& log, SequenceNumber* last_sequence,
                         MemTable** mem, std::vector<MemTable*>* imm,
                         uint64_t* records);
  // Creates, syncs and announces (directory sync) a new log file.
  absl::StatusOr<std::unique_ptr<LogWriter>> CreateLog(
      const LogFile& log);

  // --- db_impl_write.cc ---
  absl::Status MakeRoomForWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SwitchMemtableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Merges the batches of the writers at the front of writers_ (starting
  // with the leader) into one. Sets *last_writer to the last one merged and
  // *need_sync if any of them asked for sync.
  WriteBatch* BuildBatchGroupLocked(Writer** last_writer, bool* need_sync)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes a write error sticky: the log may hold a partial record, so no
  // further write may be appended after it.
  void SetWriteErrorLocked(const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- db_impl.cc ---
  // The current view and the sequence number a read at `options` sees.
  std::shared_ptr<const ReadView> GetReadView(const ReadOptions& options,
                                              SequenceNumber* sequence)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  const Options options_;
  Env* const env_;
  const std::string dbname_;

  // Held from Open until destruction; declared before the log and the
  // memtables so it is released after them.
  std::unique_ptr<FileLock> db_lock_;

  absl::Mutex mu_;
  // Protected by mu_.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(mu_);
  SequenceNumber last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_file_number_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<LogFile> live_logs_ ABSL_GUARDED_BY(mu_);  // oldest first
  SnapshotList snapshots_ ABSL_GUARDED_BY(mu_);
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);

  // Owned by the write leader (see above); read by the destructor once no
  // writer is left.
  std::unique_ptr<LogWriter> log_;
  WriteBatch group_batch_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_DB_IMPL_H_
