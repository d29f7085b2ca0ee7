// The flush thread: writes the oldest immutable memtable to a level-0 table,
// records it in the manifest, and retires the log that held it.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/shadowed_entries.h"
#include "table/table_builder.h"
#include "util/kill_point.h"
#include "util/status_macros.h"

namespace ferrisdb {

void DBImpl::FlushThreadMain() {
  absl::MutexLock lock(&mu_);
  while (true) {
    while (!shutting_down_ && (view_->imm().empty() || !write_error_.ok())) {
      background_cv_.Wait(&mu_);
    }
    if (shutting_down_) return;  // unflushed memtables stay in their logs
    absl::Status s = FlushOldestMemTableLocked();
    if (!s.ok()) {
      SetWriteErrorLocked(absl::Status(
          s.code(), absl::StrFormat("flush failed: %s", s.message())));
    }
    background_cv_.SignalAll();  // writers waiting for room, Flush() callers
  }
}

absl::Status DBImpl::FlushOldestMemTableLocked() {
  MemTable* const mem = view_->imm().back();  // oldest
  const uint64_t start_micros = env_->NowMicros();
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  pending_outputs_.insert(meta.number);
  mem->Ref();
  // Every entry of mem is at or below last_sequence_, so a snapshot or
  // read view taken later sees the newest entry of each key in it.
  const SequenceNumber smallest_snapshot = SmallestSnapshotLocked();
  absl::Status s;
  {
    mu_.Unlock();
    s = WriteLevel0Table(mem, smallest_snapshot, &meta);
    mu_.Lock();
  }

  if (s.ok()) {
    // Logs older than every memtable still in memory hold only data that is
    // now in tables.
    const std::vector<MemTable*>& imm = view_->imm();
    uint64_t min_log = view_->mem()->log_number();
    for (size_t i = 0; i + 1 < imm.size(); ++i) {
      min_log = std::min(min_log, imm[i]->log_number());
    }
    VersionEdit edit;
    if (meta.file_size > 0) edit.AddFile(0, meta);
    edit.SetLogNumber(min_log);
    // The manifest's last sequence marks what is in tables: everything up to
    // it, and nothing after it, so the next live log starts right after it.
    // (last_sequence_ may include unsynced writes a power loss can take.)
    edit.SetLastSequence(
        std::max(versions_->last_sequence(), mem->last_sequence()));
    // Holds mu_ across the manifest sync (one per flush): the version set
    // needs a single writer and nothing else may pick a file number meanwhile.
    s = versions_->LogAndApply(&edit);
    if (s.ok()) internal::KillPoint("flush.installed");
  }
  pending_outputs_.erase(meta.number);
  if (s.ok()) {
    std::vector<MemTable*> imm = view_->imm();
    imm.pop_back();
    InstallViewLocked(view_->mem(), std::move(imm));
    DeleteObsoleteFilesLocked();
    LevelWriteStats& flushes = stats_.levels[0];
    ++flushes.count;
    flushes.bytes_written += meta.file_size;
    const uint64_t micros = env_->NowMicros() - start_micros;
    flushes.micros += micros;
    RecordTick(Ticker::kFlushes);
    RecordTick(Ticker::kFlushBytesWritten, meta.file_size);
    RecordLatency(HistogramType::kFlushMicros, micros);
  }
  mem->Unref();
  return s;
}

absl::Status DBImpl::WriteLevel0Table(MemTable* mem,
                                      SequenceNumber smallest_snapshot,
                                      FileMetaData* meta) {
  const std::string path = TableFileName(dbname_, meta->number);
  const std::string name = path.substr(dbname_.size() + 1);
  std::unique_ptr<InternalIterator> iter = mem->NewIterator();
  iter->SeekToFirst();
  if (!iter->Valid()) {
    meta->file_size = 0;
    return iter->status();
  }
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewWritableFile(path));
  TableBuilder builder(TableBuildOptions::FromOptions(options_), file.get(),
                       name);
  meta->smallest.assign(iter->key());
  meta->smallest_sequence = std::numeric_limits<SequenceNumber>::max();
  meta->largest_sequence = 0;
  absl::Status s;
  ShadowedEntries shadowed(smallest_snapshot);
  for (; iter->Valid() && s.ok(); iter->Next()) {
    const SequenceNumber seq = ExtractSequence(iter->key());
    bool new_user_key = false;
    // The first entry of a key (meta->smallest's) is never hidden.
    if (shadowed.Hidden(ExtractUserKey(iter->key()), seq, &new_user_key)) {
      continue;
    }
    meta->smallest_sequence = std::min(meta->smallest_sequence, seq);
    meta->largest_sequence = std::max(meta->largest_sequence, seq);
    meta->largest.assign(iter->key());
    s = builder.Add(iter->key(), iter->value());
  }
  if (s.ok()) s = iter->status();
  if (s.ok()) {
    s = builder.Finish();
  } else {
    builder.Abandon();
  }
  // The table and its directory entry must be durable before the manifest
  // names it and the log holding the same data is deleted.
  if (s.ok()) {
    internal::KillPoint("table.sync.before");
    s = file->Sync();
  }
  if (s.ok()) internal::KillPoint("table.sync.after");
  if (s.ok()) s = file->Close();
  if (s.ok()) s = env_->SyncDir(dbname_);
  if (s.ok()) internal::KillPoint("table.syncdir.after");
  if (s.ok()) {
    meta->file_size = builder.FileSize();
    return s;
  }
  file.reset();
  env_->RemoveFile(path).IgnoreError();
  return absl::Status(
      s.code(), absl::StrFormat("writing table %s: %s", name, s.message()));
}

}  // namespace ferrisdb
