// DB::Open: take the directory lock, replay the write-ahead logs into
// memtables, and start a new log.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "util/kill_point.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace ferrisdb {

using internal::WriteBatchInternal;

namespace {

// Prefixes a status message with what was being done, keeping its code.
absl::Status Annotate(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(),
                      absl::StrFormat("%s: %s", context, s.message()));
}

}  // namespace

absl::Status DBImpl::PrepareDirectory() {
  const std::string context = "DB::Open " + dbname_;
  if (env_->IsDirectory(dbname_)) return absl::OkStatus();
  if (env_->FileExists(dbname_)) {
    return absl::InvalidArgumentError(
        context + ": the path exists and is not a directory");
  }
  if (!options_.create_if_missing) {
    return absl::InvalidArgumentError(
        context + ": no database here and create_if_missing is false");
  }
  absl::Status s = env_->CreateDirIfMissing(dbname_);
  if (absl::IsFailedPrecondition(s)) {
    return absl::InvalidArgumentError(
        context + ": the path exists and is not a directory");
  }
  FERRISDB_RETURN_IF_ERROR(Annotate(s, context));
  // The new directory's entry in its parent must be durable too, or a power
  // loss could take the whole database, synced writes included.
  const size_t slash = dbname_.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "."
                             : slash == 0               ? "/"
                                          : dbname_.substr(0, slash);
  return Annotate(env_->SyncDir(parent), context);
}

absl::StatusOr<std::vector<DBImpl::LogFile>> DBImpl::ListLogs() {
  const std::string context = "DB::Open " + dbname_;
  absl::StatusOr<std::vector<std::string>> children =
      env_->GetChildren(dbname_);
  if (!children.ok()) return Annotate(children.status(), context);
  // Only names FerrisDB writes are considered; anything else in the
  // directory is left alone.
  std::vector<LogFile> logs;
  for (const std::string& name : *children) {
    std::optional<ParsedFileName> parsed = ParseFileName(name);
    if (!parsed.has_value() || parsed->type != FileType::kWal) continue;
    if (parsed->first_sequence == 0 ||
        parsed->first_sequence > kMaxSequenceNumber) {
      return absl::DataLossError(absl::StrFormat(
          "%s: log %s names a first sequence number out of range", context,
          name));
    }
    logs.push_back({parsed->number, parsed->first_sequence});
  }
  std::sort(logs.begin(), logs.end(), [](const LogFile& a, const LogFile& b) {
    return a.number < b.number;
  });
  return logs;
}

absl::Status DBImpl::Open() {
  const std::string context = "DB::Open " + dbname_;
  FERRISDB_RETURN_IF_ERROR(PrepareDirectory());
  if (!options_.create_if_missing &&
      !env_->FileExists(CurrentFileName(dbname_))) {
    // Checked before locking so that a directory without a database is left
    // exactly as it was (no LOCK file).
    return absl::InvalidArgumentError(
        context + ": no database here and create_if_missing is false");
  }
  absl::MutexLock lock(&mu_);
  absl::Status s = RecoverLocked();
  if (!s.ok()) return Annotate(s, context);
  flush_thread_ = std::thread([this] { FlushThreadMain(); });
  compaction_thread_ = std::thread([this] { CompactionThreadMain(); });
  return absl::OkStatus();
}

absl::Status DBImpl::RecoverLocked() {
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      env_->LockFile(LockFileName(dbname_));
  if (!lock.ok()) {
    return Annotate(lock.status(),
                    "cannot lock the database directory (is it open in "
                    "another process or DB object?)");
  }
  db_lock_ = *std::move(lock);

  FERRISDB_ASSIGN_OR_RETURN(std::vector<LogFile> logs, ListLogs());
  if (!versions_->DatabaseExists()) {
    if (!options_.create_if_missing) {
      return absl::InvalidArgumentError(
          "no database here and create_if_missing is false");
    }
    if (!logs.empty()) {
      return absl::DataLossError(absl::StrFormat(
          "CURRENT is missing but log files (%s, ...) are present",
          WalFileBaseName(logs[0].number, logs[0].first_sequence)));
    }
  } else {
    if (options_.error_if_exists) {
      return absl::AlreadyExistsError(
          "a database exists here and error_if_exists is true");
    }
    FERRISDB_RETURN_IF_ERROR(versions_->Recover());
    if (options_.paranoid_checks) {
      FERRISDB_RETURN_IF_ERROR(CheckLiveTables());
    }
  }
  for (const LogFile& log : logs) versions_->MarkFileNumberUsed(log.number);

  // Replay the logs that may hold data not yet in tables, one memtable each.
  std::vector<MemTable*> imm;  // newest first, one reference each
  std::vector<LogFile> empty_logs;
  // Everything up to the manifest's last sequence is in tables; the first
  // live log continues right after it.
  SequenceNumber last_sequence = versions_->last_sequence();
  SequenceNumber replayed_end = last_sequence;
  absl::Status s;
  for (const LogFile& log : logs) {
    if (log.number < versions_->log_number()) continue;  // already in tables
    const std::string name = WalFileBaseName(log.number, log.first_sequence);
    SequenceNumber end = log.first_sequence - 1;
    absl::StatusOr<MemTable*> mem = ReplayLog(log, &end);
    if (!mem.ok()) {
      s = mem.status();
      break;
    }
    if (*mem == nullptr) {
      // An empty log (left by a crash or a failed log creation) holds no
      // write, so it cannot open a gap: it is skipped, not checked.
      empty_logs.push_back(log);
      continue;
    }
    if (log.first_sequence != replayed_end + 1 && options_.paranoid_checks) {
      // File names carry the first sequence number: a gap means writes
      // between two logs are missing, an overlap that logs were mixed up.
      (*mem)->Unref();
      s = absl::DataLossError(absl::StrFormat(
          "log %s starts at sequence %d but the data before it ends at "
          "sequence %d",
          name, log.first_sequence, replayed_end));
      break;
    }
    replayed_end = end;
    last_sequence = std::max(last_sequence, end);
    imm.insert(imm.begin(), *mem);
    // What was replayed may still be only in the OS cache (the previous
    // process crashed before syncing). It must be durable before the new
    // log receives writes, or a power loss could keep a later synced write
    // and lose an earlier one.
    s = SyncExistingFile(dbname_ + "/" + name);
    if (!s.ok()) break;
  }

  MemTable* mem = nullptr;
  std::unique_ptr<LogWriter> writer;
  const LogFile new_log{versions_->NewFileNumber(), last_sequence + 1};
  if (s.ok()) {
    // A new manifest records the state first: the oldest log still needed
    // is the oldest replayed one that held data, or the new log, which does
    // not exist yet (a crash before it is created leaves a database whose
    // logs are all accounted for). Its last sequence stays that of the
    // tables.
    VersionEdit edit;
    edit.SetLogNumber(imm.empty() ? new_log.number : imm.back()->log_number());
    s = versions_->LogAndApply(&edit);
  }
  if (s.ok()) {
    absl::StatusOr<std::unique_ptr<LogWriter>> created = CreateLog(new_log);
    if (created.ok()) {
      writer = *std::move(created);
      mem = new MemTable();
      mem->set_log_number(new_log.number);
      mem->Ref();
    } else {
      s = Annotate(created.status(), "cannot create a new log");
    }
  }
  if (s.ok()) {
    log_ = std::move(writer);
    InstallViewLocked(mem, imm);
    SetLastSequenceLocked(last_sequence);
    DeleteObsoleteFilesLocked();
    // Logs left empty by a crash or a failed Open hold nothing; removing
    // them is best effort (a leftover is harmless: it is empty again next
    // time).
    for (const LogFile& log : empty_logs) {
      env_->RemoveFile(WalFileName(dbname_, log.number, log.first_sequence))
          .IgnoreError();
    }
  }
  if (!s.ok() && writer != nullptr) {
    // A failed Open leaves no new files behind (the log holds nothing).
    writer.reset();
    env_->RemoveFile(
            WalFileName(dbname_, new_log.number, new_log.first_sequence))
        .IgnoreError();
  }
  if (mem != nullptr) mem->Unref();
  for (MemTable* m : imm) m->Unref();
  return s;
}

void DBImpl::DeleteObsoleteFilesLocked() {
  // Before anything can fail: a failing pass must not be retried at once.
  last_obsolete_pass_ = absl::Now();
  absl::StatusOr<std::vector<std::string>> children =
      env_->GetChildren(dbname_);
  if (!children.ok()) return;  // best effort: a later pass retries
  // Tables of every version still in use: readers and a running
  // compaction may hold versions older than the current one.
  std::set<uint64_t> live_tables = pending_outputs_;
  std::vector<std::string> doomed;
  versions_->AddLiveFiles(&live_tables);
  // Tables only an older version holds: deleted by a later pass.
  {
    std::set<uint64_t> needed_now = pending_outputs_;
    const std::shared_ptr<const Version> current = versions_->current();
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& f : current->files(level)) needed_now.insert(f->number);
    }
    obsolete_tables_held_ = live_tables.size() > needed_now.size();
  }
  for (const std::string& name : *children) {
    std::optional<ParsedFileName> parsed = ParseFileName(name);
    if (!parsed.has_value()) continue;
    bool obsolete = false;
    switch (parsed->type) {
      case FileType::kWal:
        obsolete = parsed->number < versions_->log_number();
        break;
      case FileType::kTable:
        obsolete = live_tables.count(parsed->number) == 0;
        if (obsolete) table_cache_->Evict(parsed->number);
        break;
      case FileType::kManifest:
        // Only once a new manifest is in use (and CURRENT durably names it).
        obsolete = versions_->manifest_number() != 0 &&
                   parsed->number != versions_->manifest_number();
        break;
      case FileType::kTemp:
        obsolete = true;  // CURRENT is only written under mu_
        break;
      case FileType::kLock:
      case FileType::kCurrent:
        break;
    }
    if (obsolete) doomed.push_back(dbname_ + "/" + name);
  }
  if (doomed.empty()) return;
  // Unlinking (large files especially) can take a while: let writers and
  // readers go on. No name listed can come back into use: file numbers are
  // never reused, and CURRENT's temporary file is only written under mu_.
  mu_.Unlock();
  for (const std::string& path : doomed) {
    if (env_->RemoveFile(path).ok())
      internal::KillPoint("obsolete.unlink.after");
  }
  mu_.Lock();
}

absl::Status DBImpl::CheckLiveTables() {
  const std::shared_ptr<const Version> version = versions_->current();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : version->files(level)) {
      const std::string path = TableFileName(dbname_, f->number);
      const std::string name = path.substr(dbname_.size() + 1);
      absl::StatusOr<uint64_t> size = env_->GetFileSize(path);
      if (absl::IsNotFound(size.status())) {
        return absl::DataLossError(absl::StrFormat(
            "table %s (level %d), named by the manifest, is missing", name,
            level));
      }
      if (!size.ok()) return size.status();
      if (*size != f->file_size) {
        return absl::DataLossError(absl::StrFormat(
            "table %s (level %d) has %d bytes; the manifest says %d", name,
            level, *size, f->file_size));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DBImpl::SyncExistingFile(const std::string& path) {
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewAppendableFile(path));
  FERRISDB_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

absl::StatusOr<MemTable*> DBImpl::ReplayLog(const LogFile& log,
                                            SequenceNumber* last_sequence) {
  const std::string name = WalFileBaseName(log.number, log.first_sequence);
  const std::string path = dbname_ + "/" + name;
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      env_->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  LogReader reader(*std::move(file), name, log.number, LogFileKind::kWal);

  MemTable* mem = nullptr;
  auto fail = [&mem](absl::Status s) -> absl::StatusOr<MemTable*> {
    if (mem != nullptr) mem->Unref();
    return s;
  };
  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  while (true) {
    absl::StatusOr<bool> more = reader.ReadRecord(&record, &scratch);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    absl::Status s = WriteBatchInternal::SetContents(&batch, record);
    if (!s.ok()) {
      return fail(absl::DataLossError(
          absl::StrFormat("log %s: record at offset %d: %s", name,
                          reader.last_record_offset(), s.message())));
    }
    const SequenceNumber sequence = WriteBatchInternal::Sequence(batch);
    const uint32_t count = WriteBatchInternal::Count(batch);
    if (count == 0 || sequence + count - 1 > kMaxSequenceNumber) {
      return fail(absl::DataLossError(absl::StrFormat(
          "log %s: record at offset %d holds %d entries from sequence %d, "
          "outside the valid range",
          name, reader.last_record_offset(), count, sequence)));
    }
    if (sequence != *last_sequence + 1) {
      return fail(absl::DataLossError(absl::StrFormat(
          "log %s: record at offset %d has sequence %d, expected %d", name,
          reader.last_record_offset(), sequence, *last_sequence + 1)));
    }
    if (mem == nullptr) {
      mem = new MemTable();
      mem->set_log_number(log.number);
      mem->Ref();
    }
    absl::Status inserted = WriteBatchInternal::InsertInto(batch, mem);
    if (!inserted.ok()) return fail(inserted);
    *last_sequence = sequence + count - 1;
  }
  return mem;
}

absl::StatusOr<std::unique_ptr<LogWriter>> DBImpl::CreateLog(
    const LogFile& log) {
  const std::string path = WalFileName(dbname_, log.number, log.first_sequence);
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewWritableFile(path));
  auto writer = std::make_unique<LogWriter>(std::move(file), log.number,
                                            LogFileKind::kWal);
  absl::Status s = writer->WriteHeader();
  if (s.ok()) s = writer->Sync();
  // The file must survive a power loss before any write in it is
  // acknowledged.
  if (s.ok()) s = env_->SyncDir(dbname_);
  if (!s.ok()) {
    // Best effort: a leftover holds no write and is removed by the next Open.
    writer.reset();
    env_->RemoveFile(path).IgnoreError();
    return s;
  }
  return writer;
}

}  // namespace ferrisdb
