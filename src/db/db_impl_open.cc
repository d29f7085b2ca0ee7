// DB::Open: take the directory lock, replay the write-ahead logs into
// memtables, and start a new log.
#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace ferrisdb {

using internal::WriteBatchInternal;

namespace {

// Prefixes a status message with what was being done, keeping its code.
absl::Status Annotate(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrFormat("%s: %s", context, s.message()));
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
  if (!options_.create_if_missing) {
    // Checked before locking so that a directory without a database is left
    // exactly as it was (no LOCK file).
    FERRISDB_ASSIGN_OR_RETURN(std::vector<LogFile> existing, ListLogs());
    if (existing.empty()) {
      return absl::InvalidArgumentError(
          context + ": no database here and create_if_missing is false");
    }
  }

  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      env_->LockFile(LockFileName(dbname_));
  if (!lock.ok()) {
    return Annotate(lock.status(),
                    context + ": cannot lock the database directory (is it "
                              "open in another process or DB object?)");
  }
  db_lock_ = *std::move(lock);

  // Listed again under the lock: this is the authoritative view.
  FERRISDB_ASSIGN_OR_RETURN(std::vector<LogFile> logs, ListLogs());
  if (logs.empty() && !options_.create_if_missing) {
    return absl::InvalidArgumentError(
        context + ": no database here and create_if_missing is false");
  }
  if (!logs.empty() && options_.error_if_exists) {
    return absl::AlreadyExistsError(
        context + ": a database exists here and error_if_exists is true");
  }
  const uint64_t max_number = logs.empty() ? 0 : logs.back().number;

  MemTable* mem = new MemTable();
  mem->Ref();
  std::vector<MemTable*> imm;  // newest first
  SequenceNumber last_sequence = 0;
  std::vector<LogFile> empty_logs;  // hold no write: safe to delete
  absl::Status s;
  for (size_t i = 0; i < logs.size() && s.ok(); ++i) {
    const LogFile& log = logs[i];
    const std::string name = WalFileBaseName(log.number, log.first_sequence);
    if (i == 0) {
      last_sequence = log.first_sequence - 1;
    } else if (log.first_sequence != last_sequence + 1 &&
               options_.paranoid_checks) {
      // File names carry the first sequence number: a gap means writes
      // between two logs are missing, an overlap that logs were mixed up.
      s = absl::DataLossError(absl::StrFormat(
          "%s: log %s starts at sequence %d but the logs before it end at "
          "sequence %d",
          context, name, log.first_sequence, last_sequence));
      break;
    } else {
      last_sequence = std::max(last_sequence, log.first_sequence - 1);
    }
    uint64_t records = 0;
    s = ReplayLog(log, &last_sequence, &mem, &imm, &records);
    if (s.ok() && records == 0) {
      empty_logs.push_back(log);
    } else if (s.ok()) {
      // What was replayed may still be only in the OS cache (the previous
      // process crashed before syncing). It must be durable before the new
      // log receives writes, or a power loss could keep a later synced
      // write and lose an earlier one.
      s = SyncExistingFile(dbname_ + "/" + name);
    }
  }
  if (s.ok()) {
    const LogFile new_log{max_number + 1, last_sequence + 1};
    absl::StatusOr<std::unique_ptr<LogWriter>> writer = CreateLog(new_log);
    if (writer.ok()) {
      absl::MutexLock l(&mu_);
      log_ = *std::move(writer);
      for (const LogFile& log : logs) {
        const bool empty =
            std::any_of(empty_logs.begin(), empty_logs.end(),
                        [&](const LogFile& e) { return e.number == log.number; });
        if (!empty) live_logs_.push_back(log);
      }
      live_logs_.push_back(new_log);
      next_file_number_ = new_log.number + 1;
      last_sequence_ = last_sequence;
      view_ = std::make_shared<const ReadView>(mem, imm);
    } else {
      s = Annotate(writer.status(), context + ": cannot create a new log");
    }
  }
  mem->Unref();
  for (MemTable* m : imm) m->Unref();
  if (s.ok()) {
    // Logs left empty by a crash or a failed Open hold nothing; removing
    // them is best effort (a leftover is harmless: it is empty again next
    // time).
    for (const LogFile& log : empty_logs) {
      env_->RemoveFile(WalFileName(dbname_, log.number, log.first_sequence))
          .IgnoreError();
    }
  }
  return s;
}

absl::Status DBImpl::SyncExistingFile(const std::string& path) {
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewAppendableFile(path));
  FERRISDB_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

absl::Status DBImpl::ReplayLog(const LogFile& log,
                               SequenceNumber* last_sequence, MemTable** mem,
                               std::vector<MemTable*>* imm,
                               uint64_t* records) {
  const std::string name = WalFileBaseName(log.number, log.first_sequence);
  const std::string path = dbname_ + "/" + name;
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      env_->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  LogReader reader(*std::move(file), name, log.number, LogFileKind::kWal);

  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  while (true) {
    absl::StatusOr<bool> more = reader.ReadRecord(&record, &scratch);
    if (!more.ok()) return more.status();
    if (!*more) break;
    absl::Status s = WriteBatchInternal::SetContents(&batch, record);
    if (!s.ok()) {
      return absl::DataLossError(
          absl::StrFormat("log %s: record at offset %d: %s", name,
                          reader.last_record_offset(), s.message()));
    }
    const SequenceNumber sequence = WriteBatchInternal::Sequence(batch);
    const uint32_t count = WriteBatchInternal::Count(batch);
    if (count == 0 || sequence + count - 1 > kMaxSequenceNumber) {
      return absl::DataLossError(absl::StrFormat(
          "log %s: record at offset %d holds %d entries from sequence %d, "
          "outside the valid range",
          name, reader.last_record_offset(), count, sequence));
    }
    if (sequence != *last_sequence + 1) {
      return absl::DataLossError(absl::StrFormat(
          "log %s: record at offset %d has sequence %d, expected %d", name,
          reader.last_record_offset(), sequence, *last_sequence + 1));
    }
    FERRISDB_RETURN_IF_ERROR(WriteBatchInternal::InsertInto(batch, *mem));
    ++*records;
    *last_sequence = sequence + count - 1;
    if ((*mem)->ApproximateMemoryUsage() >= options_.write_buffer_size) {
      imm->insert(imm->begin(), *mem);
      *mem = new MemTable();
      (*mem)->Ref();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogWriter>> DBImpl::CreateLog(
    const LogFile& log) {
  const std::string path = WalFileName(dbname_, log.number, log.first_sequence);
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewWritableFile(path));
  auto writer =
      std::make_unique<LogWriter>(std::move(file), log.number, LogFileKind::kWal);
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
