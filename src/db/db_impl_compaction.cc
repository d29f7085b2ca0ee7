// The compaction thread: picks compactions by score (or runs the ones
// CompactRange asks for), runs them without the DB mutex, and installs their
// results in the manifest. Also the write-stall policy that keeps writers
// from outrunning it.
#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "db/compaction_job.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "util/kill_point.h"
#include "util/status_macros.h"

namespace ferrisdb {

// A CompactRange step waiting for the compaction thread.
struct DBImpl::ManualCompaction {
  int level = 0;
  std::optional<std::string> begin;  // user keys; nullopt: unbounded
  std::optional<std::string> end;
  bool done = false;  // protected by mu_
  absl::Status status;
};

void DBImpl::CompactionThreadMain() {
  absl::MutexLock lock(&mu_);
  while (true) {
    ManualCompaction* const manual = manual_compaction_;
    if (shutting_down_) {
      if (manual != nullptr) {
        FinishManualCompactionLocked(
            absl::AbortedError("CompactRange: the DB is closing"));
      }
      return;
    }
    if (!write_error_.ok()) {
      // The DB is read-only until reopened: no compaction either.
      if (manual != nullptr) FinishManualCompactionLocked(write_error_);
      background_cv_.Wait(&mu_);
      continue;
    }
    std::unique_ptr<Compaction> c;
    if (manual != nullptr) {
      c = picker_->PickRangeCompaction(
          versions_->current(), manual->level,
          manual->begin ? std::optional<std::string_view>(*manual->begin)
                        : std::nullopt,
          manual->end ? std::optional<std::string_view>(*manual->end)
                      : std::nullopt);
      if (c == nullptr) {
        FinishManualCompactionLocked(absl::OkStatus());
        continue;
      }
    } else {
      c = picker_->PickCompaction(versions_->current());
      if (c == nullptr) {
        if (obsolete_tables_held_) {
          // A reader held the old tables when they became obsolete; readers
          // let go within microseconds (a Get) or when the user releases an
          // iterator, so look again shortly rather than at the next flush.
          // Other wake-ups (writers signal often) do not bring the pass
          // forward: it lists the directory under mu_.
          const absl::Time retry_at =
              last_obsolete_pass_ + kObsoleteTablesRetryInterval;
          if (absl::Now() < retry_at) {
            background_cv_.WaitWithDeadline(&mu_, retry_at);
          } else if (!shutting_down_ && write_error_.ok()) {
            DeleteObsoleteFilesLocked();
          }
        } else {
          background_cv_.Wait(&mu_);
        }
        continue;
      }
    }
    compaction_running_ = true;
    absl::Status s = RunCompactionLocked(c.get());
    if (!s.ok() && !(absl::IsAborted(s) && shutting_down_)) {
      SetWriteErrorLocked(absl::Status(
          s.code(), absl::StrFormat("compaction of level %d failed: %s",
                                    c->level(), s.message())));
    }
    c.reset();  // unpins the input version before its files are deleted
    if (s.ok()) DeleteObsoleteFilesLocked();
    compaction_running_ = false;  // after the deletions (tests wait for them)
    if (manual != nullptr) FinishManualCompactionLocked(s);
    background_cv_.SignalAll();  // stalled writers, CompactRange callers
  }
}

void DBImpl::FinishManualCompactionLocked(absl::Status status) {
  manual_compaction_->status = std::move(status);
  manual_compaction_->done = true;
  manual_compaction_ = nullptr;
  background_cv_.SignalAll();
}

SequenceNumber DBImpl::SmallestSnapshotLocked() {
  SequenceNumber smallest = last_sequence_;
  if (!snapshots_.empty()) smallest = std::min(smallest, snapshots_.oldest());
  return std::min<SequenceNumber>(smallest, options_.history_horizon);
}

absl::Status DBImpl::RunCompactionLocked(Compaction* c) {
  const uint64_t start_micros = env_->NowMicros();
  LevelWriteStats& level_stats = stats_.levels[c->output_level()];
  VersionEdit edit;
  if (!c->is_manual() && c->IsTrivialMove()) {
    // Nothing to merge: the file changes level in the manifest only.
    const FileMetaData& f = *c->inputs(0).front();
    edit.DeleteFile(c->level(), f.number);
    edit.AddFile(c->output_level(), f);
    FERRISDB_RETURN_IF_ERROR(versions_->LogAndApply(&edit));
    InstallViewLocked(view_->mem(), view_->imm());
    ++level_stats.trivial_moves;
    RecordTick(Ticker::kTrivialMoves);
    return absl::OkStatus();
  }

  CompactionJobContext context;
  context.env = env_;
  context.dbname = dbname_;
  context.table_options = TableBuildOptions::FromOptions(options_);
  context.table_cache = table_cache_.get();
  context.smallest_snapshot = SmallestSnapshotLocked();
  context.new_file_number = [this] {
    absl::MutexLock lock(&mu_);
    const uint64_t number = versions_->NewFileNumber();
    pending_outputs_.insert(number);
    return number;
  };
  context.shutting_down = &shutdown_requested_;
  CompactionJob job(c, std::move(context));
  absl::Status s;
  {
    mu_.Unlock();
    s = job.Run();
    mu_.Lock();
  }
  if (s.ok()) {
    job.AddToEdit(&edit);
    // Holds mu_ across the manifest sync, as a flush does.
    s = versions_->LogAndApply(&edit);
    if (s.ok()) internal::KillPoint("compaction.installed");
    // On failure the edit may be durable: the outputs stay in
    // pending_outputs_, never deleted by this DB object (a reopen decides).
    if (!s.ok()) return s;
  }
  for (const FileMetaData& f : job.outputs()) pending_outputs_.erase(f.number);
  if (!s.ok()) return s;  // the job removed its outputs
  InstallViewLocked(view_->mem(), view_->imm());
  ++level_stats.count;
  level_stats.bytes_read += job.bytes_read();
  level_stats.bytes_written += job.bytes_written();
  const uint64_t micros = env_->NowMicros() - start_micros;
  level_stats.micros += micros;
  RecordTick(Ticker::kCompactions);
  RecordTick(Ticker::kCompactionBytesRead, job.bytes_read());
  RecordTick(Ticker::kCompactionBytesWritten, job.bytes_written());
  RecordLatency(HistogramType::kCompactionMicros, micros);
  return absl::OkStatus();
}

absl::Status DBImpl::CompactRange(std::optional<std::string_view> begin,
                                  std::optional<std::string_view> end) {
  FERRISDB_RETURN_IF_ERROR(Flush());
  int max_level = 1;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<const Version> version = versions_->current();
    for (int level = 1; level < kNumLevels; ++level) {
      if (!version->GetOverlappingFiles(level, begin, end).empty()) {
        max_level = level;
      }
    }
  }
  // Push the range down one level at a time, to the deepest level holding
  // any of it (where deletions can then be dropped).
  for (int level = 0; level < max_level; ++level) {
    ManualCompaction manual;
    manual.level = level;
    if (begin) manual.begin.emplace(*begin);
    if (end) manual.end.emplace(*end);
    absl::MutexLock lock(&mu_);
    // One manual compaction at a time.
    while (manual_compaction_ != nullptr && !shutting_down_) {
      background_cv_.Wait(&mu_);
    }
    if (shutting_down_) {
      return absl::AbortedError("CompactRange: the DB is closing");
    }
    manual_compaction_ = &manual;
    background_cv_.SignalAll();
    while (!manual.done) background_cv_.Wait(&mu_);
    FERRISDB_RETURN_IF_ERROR(manual.status);
  }
  return absl::OkStatus();
}

absl::Status DBImpl::TEST_WaitForCompactions() {
  absl::MutexLock lock(&mu_);
  while (write_error_.ok() &&
         (compaction_running_ || manual_compaction_ != nullptr ||
          !view_->imm().empty() ||
          picker_->NeedsCompaction(*versions_->current()))) {
    background_cv_.Wait(&mu_);
  }
  return write_error_;
}

}  // namespace ferrisdb
