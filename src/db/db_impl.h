// DBImpl: the implementation of DB, split by concern:
//   db_impl.cc          construction, reads (Get, iterators), snapshots
//   db_impl_open.cc     DB::Open, recovery from the manifest and the logs
//   db_impl_write.cc    the write path: group commit, memtable switch
//   db_impl_flush.cc    the flush thread: immutable memtable -> L0 table
//   db_impl_compaction.cc  the compaction thread, CompactRange
//   db_impl_properties.cc  GetProperty, GetApproximateSizes, VerifyChecksums
//   destroy_db.cc       DestroyDB
//
// Who owns what:
//   - The write leader (the thread at the front of writers_) alone appends to
//     the log, inserts into the active memtable and switches memtables; it
//     drops mu_ while it does I/O, and every other writer waits in writers_.
//   - The flush thread turns the oldest immutable memtable into a level-0
//     table (without mu_), then records it in the manifest and installs a new
//     read view (with mu_).
//   - The compaction thread picks a compaction (with mu_), merges its input
//     tables into new ones (without mu_), then records the result in the
//     manifest and installs a new read view (with mu_). It alone removes
//     tables from versions, so a compaction's inputs stay put while it runs;
//     flushes only add level-0 files, newer than anything it merges.
//   - Readers take no lock: they load the published ReadView, then the
//     published sequence number (copies of view_ and last_sequence_, stored
//     under mu_ after them), and read against that view.
#ifndef FERRISDB_DB_DB_IMPL_H_
#define FERRISDB_DB_DB_IMPL_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/internal_stats.h"
#include "db/read_view.h"
#include "db/snapshot_list.h"
#include "db/table_cache.h"
#include "ferrisdb/cache.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "ferrisdb/statistics.h"
#include "memtable/internal_key.h"
#include "util/published_ptr.h"
#include "version/compaction_picker.h"
#include "version/version_set.h"
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
  absl::Status Flush() override;
  absl::Status Resume() override;
  absl::Status CompactRange(std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) override;
  absl::StatusOr<std::string> GetProperty(std::string_view name) override;
  absl::Status VerifyChecksums() override;
  absl::StatusOr<std::vector<uint64_t>> GetApproximateSizes(
      std::span<const Range> ranges) override;
  CacheStatistics GetBlockCacheStatistics() const override;

  // Locks the directory, recovers the manifest, replays the logs, starts a
  // new log and the flush thread. Called once, by DB::Open, before the DB is
  // shared.
  absl::Status Open();

  // Test hooks.
  SequenceNumber TEST_LastSequence() ABSL_LOCKS_EXCLUDED(mu_);
  size_t TEST_NumImmutableMemtables() ABSL_LOCKS_EXCLUDED(mu_);
  size_t TEST_NumTables() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until no compaction is needed or running (or an error stopped
  // background work) and returns the background error.
  absl::Status TEST_WaitForCompactions() ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const Version> TEST_CurrentVersion() ABSL_LOCKS_EXCLUDED(mu_);
  // Runs hook once, inside the next read's GetReadView between its load of
  // the view and its load of the sequence. REQUIRES: no read in flight.
  void TEST_SetReadViewHook(std::function<void()> hook);

 private:
  struct Writer;
  struct ManualCompaction;
  struct LogFile {
    uint64_t number;
    SequenceNumber first_sequence;
  };

  // --- db_impl_open.cc ---
  // Creates the directory if allowed and needed (durably).
  absl::Status PrepareDirectory();
  // The WAL files in the directory, by file number.
  absl::StatusOr<std::vector<LogFile>> ListLogs();
  // With Options::paranoid_checks: every table the manifest names exists
  // with the size it records (DataLoss naming the table otherwise).
  absl::Status CheckLiveTables() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // fsyncs an existing file.
  absl::Status SyncExistingFile(const std::string& path);
  absl::Status RecoverLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replays one log into a new memtable (returned with one reference, or
  // nullptr if the log holds no write), advancing *last_sequence.
  absl::StatusOr<MemTable*> ReplayLog(const LogFile& log,
                                      SequenceNumber* last_sequence);
  // Creates, syncs and announces (directory sync) a new log file.
  absl::StatusOr<std::unique_ptr<LogWriter>> CreateLog(const LogFile& log);
  // Deletes files no version, log or manifest in use needs: logs older than
  // the manifest's log number, tables in no version still in use (and not
  // being written), old manifests and temporary files. Called only after
  // the manifest edit that dropped them is durable. Releases mu_ while it
  // unlinks. Sets obsolete_tables_held_ if tables the current version no
  // longer names were kept because an older version still held them.
  void DeleteObsoleteFilesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- db_impl_write.cc ---
  // The write path; with force_switch the leader also moves a non-empty
  // active memtable to the immutable list and sets *flush_target_log to the
  // log of the newest immutable memtable (0 if there is none): Flush waits
  // until the manifest's log number passes it.
  absl::Status WriteImpl(const WriteOptions& options, WriteBatch* batch,
                         bool force_switch, uint64_t* flush_target_log);
  // Waits or delays the leader while compaction lags (write stalls), and
  // switches to a new memtable when the active one is full.
  absl::Status MakeRoomForWriteLocked(bool force_switch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How long to delay a write group while level 0 or the pending
  // compaction bytes are past their soft limits (0: no delay).
  uint64_t WriteDelayMicrosLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True while writes must wait for compaction (a hard limit is reached).
  bool WritesMustStopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes the active memtable immutable and starts a new log for the next
  // one. The old log is synced and closed first, unless it is abandoned
  // (Resume: it may be broken by the error, and no write reaches the new log
  // before every memtable is in a table, so no hole can open).
  enum class OldLog { kSync, kAbandon };
  absl::Status SwitchMemtableLocked(OldLog old_log = OldLog::kSync)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Merges the batches of the writers at the front of writers_ (starting
  // with the leader) into one. Sets *last_writer to the last one merged and
  // *need_sync if any of them asked for sync.
  WriteBatch* BuildBatchGroupLocked(Writer** last_writer, bool* need_sync)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes a write or flush error sticky: the log may hold a partial record
  // or a memtable could not be saved, so no further write is accepted.
  void SetWriteErrorLocked(const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Resume() once it is at the front of writers_ (no write group in flight).
  absl::Status ResumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- db_impl_flush.cc ---
  void FlushThreadMain() ABSL_LOCKS_EXCLUDED(mu_);
  // Writes the oldest immutable memtable to a level-0 table and installs it.
  absl::Status FlushOldestMemTableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds, syncs and announces the table file for mem. meta->number set by
  // the caller; fills in the rest (file_size 0 if mem is empty). Leaves out
  // an entry whose key has a newer entry at or below smallest_snapshot
  // (every read still possible sees the newer one), as compaction does.
  absl::Status WriteLevel0Table(MemTable* mem, SequenceNumber smallest_snapshot,
                                FileMetaData* meta);

  // --- db_impl_compaction.cc ---
  void CompactionThreadMain() ABSL_LOCKS_EXCLUDED(mu_);
  // Reports the result to the CompactRange call waiting for
  // manual_compaction_. REQUIRES: manual_compaction_ != nullptr.
  void FinishManualCompactionLocked(absl::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs c (a trivial move or a merge) and installs its result.
  absl::Status RunCompactionLocked(Compaction* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The smallest sequence number a read may still use: compaction keeps
  // every version such a read needs.
  SequenceNumber SmallestSnapshotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- db_impl.cc ---
  // Get without the statistics.
  absl::StatusOr<std::string> GetImpl(const ReadOptions& options,
                                      std::string_view key)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The current view and the sequence number a read at `options` sees.
  std::shared_ptr<const ReadView> GetReadView(const ReadOptions& options,
                                              SequenceNumber* sequence)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Installs a view of the given memtables and the current version, and
  // publishes it to readers.
  void InstallViewLocked(MemTable* mem, std::vector<MemTable*> imm)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets last_sequence_ and publishes it to readers.
  // REQUIRES: every write up to `sequence` is in the memtables of view_.
  void SetLastSequenceLocked(SequenceNumber sequence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Record into options_.statistics, if the user gave one. Thread-safe.
  void RecordTick(Ticker ticker, uint64_t n = 1) const {
    if (statistics_ != nullptr) statistics_->RecordTick(ticker, n);
  }
  void RecordLatency(HistogramType type, uint64_t micros) const {
    if (statistics_ != nullptr) statistics_->RecordLatency(type, micros);
  }

  // Immutable after construction.
  const Options options_;
  Env* const env_;
  const std::string dbname_;
  const std::shared_ptr<Cache> block_cache_;
  const std::unique_ptr<TableCache> table_cache_;
  Statistics* const statistics_;  // options_.statistics; may be nullptr

  // Held from Open until destruction; declared before the log, the
  // memtables and the flush thread so it is released after them.
  std::unique_ptr<FileLock> db_lock_;

  mutable absl::Mutex mu_;
  // Signalled when a flush finishes, a flush is needed, or on shutdown.
  absl::CondVar background_cv_;
  // Protected by mu_.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<VersionSet> versions_ ABSL_GUARDED_BY(mu_);
  SequenceNumber last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  SnapshotList snapshots_ ABSL_GUARDED_BY(mu_);
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> pending_outputs_ ABSL_GUARDED_BY(mu_);  // being written
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<CompactionPicker> picker_ ABSL_GUARDED_BY(mu_);
  // Estimated for the current version (see CompactionPicker).
  uint64_t pending_compaction_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool compaction_running_ ABSL_GUARDED_BY(mu_) = false;
  // The last deletion pass kept tables that only an older version (an
  // iterator, or a read in flight with an older read view) still held: the
  // compaction thread retries while idle, and the destructor once more.
  bool obsolete_tables_held_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_obsolete_pass_ ABSL_GUARDED_BY(mu_);  // its start
  static constexpr absl::Duration kObsoleteTablesRetryInterval =
      absl::Milliseconds(100);
  ManualCompaction* manual_compaction_ ABSL_GUARDED_BY(mu_) = nullptr;
  InternalStats stats_ ABSL_GUARDED_BY(mu_);
  // What readers see, loaded without mu_ (GetReadView): view_ and
  // last_sequence_ as of their last store (both stored under mu_, release).
  // A reader loads the view first. Every flush and compaction whose output
  // the view holds started before that load, so it computed its smallest
  // snapshot (what it may drop or zero) from a sequence no later than the
  // one the reader loads next: the view keeps every version that sequence
  // can see. (The other order lets a compaction started after the sequence
  // was loaded drop a deletion the read still needs.) Writes the sequence
  // covers but the view does not (in a memtable switched in between) came
  // after everything the view holds: the read sees the state at the switch.
  std::atomic<SequenceNumber> published_sequence_{0};
  PublishedPtr<ReadView> published_view_;
  // Test only (TEST_SetReadViewHook): run once between the two loads.
  std::function<void()> read_view_test_hook_;
  // shutting_down_, readable without mu_ by a running compaction.
  std::atomic<bool> shutdown_requested_{false};

  // Owned by the write leader (see above); read by the destructor once no
  // writer is left.
  std::unique_ptr<LogWriter> log_;
  // Log size at which the leader next starts writeback of the log's data.
  static constexpr uint64_t kLogWritebackBytes = uint64_t{1} << 20;
  uint64_t log_writeback_at_ = kLogWritebackBytes;
  WriteBatch group_batch_;

  std::thread flush_thread_;
  std::thread compaction_thread_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_DB_IMPL_H_
