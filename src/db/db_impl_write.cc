// The write path: validation, group commit through the write-ahead log, and
// the switch to a new memtable and log when the active memtable is full.
#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "util/kill_point.h"
#include "util/status_macros.h"

namespace ferrisdb {

using internal::WriteBatchInternal;

namespace {

// A group never grows past this many bytes, so one slow large write does not
// hold up small ones for long.
constexpr size_t kMaxGroupBytes = size_t{1} << 20;
// A small leader only takes a little company, so its own latency stays low.
constexpr size_t kSmallWriteBytes = size_t{128} << 10;

}  // namespace

// A thread waiting in writers_ to have its batch written.
struct DBImpl::Writer {
  Writer(WriteBatch* b, bool s, bool f) : batch(b), sync(s), force_switch(f) {}

  WriteBatch* const batch;  // nullptr: only sync (if sync) or nothing
  const bool sync;
  // Flush: must lead its own group, so it never joins another leader's.
  const bool force_switch;
  bool done = false;    // protected by mu_
  absl::Status status;  // protected by mu_; valid once done
  absl::CondVar cv;
};

absl::Status DBImpl::Put(const WriteOptions& options, std::string_view key,
                         std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

absl::Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

absl::Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  if (batch != nullptr) {
    FERRISDB_RETURN_IF_ERROR(WriteBatchInternal::ValidateForWrite(*batch));
    if (batch->Count() == 0) batch = nullptr;
  }
  if (batch == nullptr && !options.sync) return absl::OkStatus();
  const uint64_t start = statistics_ != nullptr ? env_->NowMicros() : 0;
  absl::Status s = WriteImpl(options, batch, /*force_switch=*/false,
                             /*flush_target_log=*/nullptr);
  if (statistics_ != nullptr) {
    RecordLatency(HistogramType::kWriteMicros, env_->NowMicros() - start);
  }
  return s;
}

absl::Status DBImpl::Flush() {
  uint64_t target_log = 0;
  FERRISDB_RETURN_IF_ERROR(WriteImpl(WriteOptions(), nullptr,
                                     /*force_switch=*/true, &target_log));
  if (target_log == 0) return absl::OkStatus();  // nothing in memory
  // Done when the manifest no longer needs the log of the newest memtable
  // that existed when Flush was called: that memtable and every older one
  // are in tables. Later switches (writes keep coming) do not delay this.
  absl::MutexLock lock(&mu_);
  while (versions_->log_number() <= target_log && write_error_.ok()) {
    background_cv_.Wait(&mu_);
  }
  return write_error_;
}

absl::Status DBImpl::Resume() {
  // Queued like a write, as a group of its own (force_switch stops a leader
  // from merging it): at the front no write group is in flight, and later
  // writers wait until the old logs are obsolete.
  Writer self(nullptr, /*sync=*/false, /*force_switch=*/true);
  absl::MutexLock lock(&mu_);
  writers_.push_back(&self);
  while (&self != writers_.front()) self.cv.Wait(&mu_);
  const absl::Status s = ResumeLocked();
  writers_.pop_front();
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return s;
}

absl::Status DBImpl::ResumeLocked() {
  if (write_error_.ok()) return absl::OkStatus();
  if (absl::IsDataLoss(write_error_)) return write_error_;
  write_error_ = absl::OkStatus();
  // A failed write group may have left its record (whole or in part) in the
  // current log, and its sequence numbers are handed out again: that log
  // and every older one must be obsolete before any new write. So: a new
  // log (even for an empty memtable), then every memtable into a table.
  absl::Status s = SwitchMemtableLocked(OldLog::kAbandon);
  if (!s.ok()) {
    SetWriteErrorLocked(s);
    return write_error_;
  }
  background_cv_.SignalAll();  // the flush and compaction threads go on
  const uint64_t retired_log = view_->imm().front()->log_number();
  while (versions_->log_number() <= retired_log && write_error_.ok()) {
    background_cv_.Wait(&mu_);
  }
  return write_error_;
}

absl::Status DBImpl::WriteImpl(const WriteOptions& options, WriteBatch* batch,
                               bool force_switch, uint64_t* flush_target_log) {
  Writer self(batch, options.sync, force_switch);
  absl::MutexLock lock(&mu_);
  writers_.push_back(&self);
  while (!self.done && &self != writers_.front()) self.cv.Wait(&mu_);
  if (self.done) return self.status;  // a leader wrote our batch

  // This thread is the leader.
  absl::Status status = write_error_;
  if (status.ok() && batch != nullptr &&
      last_sequence_ + batch->Count() > kMaxSequenceNumber) {
    // Not reachable in practice (2^56 writes), but never wrap around.
    status = absl::ResourceExhaustedError(
        absl::StrFormat("DB %s: sequence numbers exhausted", dbname_));
  }
  Writer* last_writer = &self;
  if (status.ok()) status = MakeRoomForWriteLocked(force_switch);
  if (status.ok() && force_switch) {
    // After the switch the newest immutable memtable is the one Flush must
    // wait for (none: everything is already in tables).
    *flush_target_log =
        view_->imm().empty() ? 0 : view_->imm().front()->log_number();
  }
  if (status.ok()) {
    bool need_sync = false;
    WriteBatch* group = BuildBatchGroupLocked(&last_writer, &need_sync);
    const SequenceNumber first_sequence = last_sequence_ + 1;
    const uint32_t count =
        group == nullptr ? 0 : WriteBatchInternal::Count(*group);
    MemTable* mem = view_->mem();
    const uint64_t log_size_before = log_->file_size();
    {
      // Other writers queue behind us and readers proceed while we do I/O;
      // nothing else touches log_ or inserts into mem.
      mu_.Unlock();
      if (count > 0) {
        WriteBatchInternal::SetSequence(group, first_sequence);
        internal::KillPoint("wal.append.before");
        status = log_->AddRecord(WriteBatchInternal::Contents(*group));
        // Hand the record to the OS so a process crash cannot lose it.
        if (status.ok()) status = log_->Flush();
        if (status.ok()) internal::KillPoint("wal.append.after");
        if (status.ok() && !need_sync &&
            log_->file_size() >= log_writeback_at_) {
          // Keep the log's dirty data small, so the sync at the memtable
          // switch (and any sync=true write) does not stall on a backlog.
          status = log_->StartWriteback();
          log_writeback_at_ = log_->file_size() + kLogWritebackBytes;
        }
      }
      if (status.ok() && need_sync) {
        internal::KillPoint("wal.sync.before");
        status = log_->Sync();
        if (status.ok()) internal::KillPoint("wal.sync.after");
      }
      if (status.ok() && count > 0) {
        status = WriteBatchInternal::InsertInto(*group, mem);
      }
      mu_.Lock();
    }
    if (status.ok()) {
      // Publish: reads from now on see the whole group, never part of it.
      SetLastSequenceLocked(first_sequence + count - 1);
      if (count > 0) {
        const uint64_t user_bytes = WriteBatchInternal::ByteSize(*group);
        const uint64_t wal_bytes = log_->file_size() - log_size_before;
        stats_.user_bytes += user_bytes;
        stats_.wal_bytes += wal_bytes;
        RecordTick(Ticker::kBytesWritten, user_bytes);
        RecordTick(Ticker::kKeysWritten, count);
        RecordTick(Ticker::kWalBytes, wal_bytes);
      }
      if (need_sync) RecordTick(Ticker::kWalSyncs);
    } else {
      SetWriteErrorLocked(status);
    }
    if (group == &group_batch_) group_batch_.Clear();
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &self) {
      ready->status = status;
      ready->done = true;
      ready->cv.Signal();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return status;
}

WriteBatch* DBImpl::BuildBatchGroupLocked(Writer** last_writer,
                                          bool* need_sync) {
  Writer* const leader = writers_.front();
  WriteBatch* result = leader->batch;
  *need_sync = leader->sync;
  *last_writer = leader;

  size_t size = result == nullptr ? 0 : WriteBatchInternal::ByteSize(*result);
  const size_t max_size =
      size <= kSmallWriteBytes ? size + kSmallWriteBytes : kMaxGroupBytes;

  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->force_switch) break;
    if (w->batch != nullptr) {
      const size_t batch_size = WriteBatchInternal::ByteSize(*w->batch);
      if (size + batch_size > max_size) break;
      size += batch_size;
      if (result == nullptr) {
        result = w->batch;
      } else {
        if (result != &group_batch_) {
          // Copy the first batch so callers' batches are left as they were.
          group_batch_ = *result;
          result = &group_batch_;
        }
        WriteBatchInternal::Append(&group_batch_, *w->batch);
      }
    }
    *need_sync = *need_sync || w->sync;
    *last_writer = w;
  }
  return result;
}

absl::Status DBImpl::MakeRoomForWriteLocked(bool force_switch) {
  bool delayed = force_switch;  // a Flush is never slowed down
  bool stopped = false;
  while (true) {
    if (!write_error_.ok()) return write_error_;
    if (!delayed) {
      // Once per write group: slow the writers down gradually while
      // compaction falls behind, so they rarely reach the hard stop.
      delayed = true;
      const uint64_t delay = WriteDelayMicrosLocked();
      if (delay > 0) {
        mu_.Unlock();
        absl::SleepFor(absl::Microseconds(delay));
        mu_.Lock();
        stats_.stall_micros += delay;
        ++stats_.slowdowns;
        RecordTick(Ticker::kWriteSlowdowns);
        RecordTick(Ticker::kWriteStallMicros, delay);
        RecordLatency(HistogramType::kWriteStallMicros, delay);
        continue;
      }
    }
    const MemTable* mem = view_->mem();
    const bool full =
        mem->ApproximateMemoryUsage() >= options_.write_buffer_size;
    if (force_switch ? mem->num_entries() == 0 : !full) {
      return absl::OkStatus();
    }
    if (!view_->imm().empty() || WritesMustStopLocked()) {
      // The previous memtable is still being written, or level 0 or the
      // compaction debt is at its hard limit: wait for background work.
      if (!stopped) {
        ++stats_.stops;
        RecordTick(Ticker::kWriteStops);
      }
      stopped = true;
      const uint64_t start = env_->NowMicros();
      background_cv_.Wait(&mu_);
      const uint64_t waited = env_->NowMicros() - start;
      stats_.stall_micros += waited;
      RecordTick(Ticker::kWriteStallMicros, waited);
      RecordLatency(HistogramType::kWriteStallMicros, waited);
      continue;
    }
    FERRISDB_RETURN_IF_ERROR(SwitchMemtableLocked());
    background_cv_.SignalAll();  // wake the flush thread
    return absl::OkStatus();
  }
}

uint64_t DBImpl::WriteDelayMicrosLocked() {
  // The delay grows linearly from kMinDelayMicros at a soft limit to
  // kMaxDelayMicros near the hard one.
  constexpr double kMinDelayMicros = 100;
  constexpr double kMaxDelayMicros = 1000;
  double pressure = -1;  // < 0: below every soft limit
  const int level0 = static_cast<int>(view_->version().files(0).size());
  const int slowdown = options_.level0_slowdown_writes_trigger;
  const int stop = options_.level0_stop_writes_trigger;
  if (level0 >= slowdown) {
    pressure = static_cast<double>(level0 - slowdown) /
               static_cast<double>(std::max(1, stop - slowdown));
  }
  const uint64_t soft = options_.soft_pending_compaction_bytes_limit;
  const uint64_t hard = options_.hard_pending_compaction_bytes_limit;
  if (soft > 0 && pending_compaction_bytes_ >= soft) {
    const double debt =
        hard > soft ? static_cast<double>(pending_compaction_bytes_ - soft) /
                          static_cast<double>(hard - soft)
                    : 0;
    pressure = std::max(pressure, debt);
  }
  if (pressure < 0) return 0;
  pressure = std::min(pressure, 1.0);
  return static_cast<uint64_t>(kMinDelayMicros +
                               (kMaxDelayMicros - kMinDelayMicros) * pressure);
}

bool DBImpl::WritesMustStopLocked() {
  const uint64_t hard = options_.hard_pending_compaction_bytes_limit;
  return static_cast<int>(view_->version().files(0).size()) >=
             options_.level0_stop_writes_trigger ||
         (hard > 0 && pending_compaction_bytes_ >= hard);
}

absl::Status DBImpl::SwitchMemtableLocked(OldLog old_log) {
  const LogFile new_log{versions_->NewFileNumber(), last_sequence_ + 1};
  absl::StatusOr<std::unique_ptr<LogWriter>> writer;
  absl::Status old_log_status;
  {
    // Only the write leader switches, and it holds no lock while doing I/O.
    mu_.Unlock();
    // The new log first: if it cannot be created the old one stays in use
    // and the next write tries again.
    writer = CreateLog(new_log);
    if (writer.ok()) internal::KillPoint("wal.create.after");
    if (writer.ok() && old_log == OldLog::kSync) {
      // The old log must be durable before any write lands in the new one:
      // otherwise a power loss could keep a later write and drop an earlier
      // one, a hole in the history.
      old_log_status = log_->Sync();
      if (old_log_status.ok()) internal::KillPoint("wal.switch.old_synced");
      if (old_log_status.ok()) old_log_status = log_->Close();
    }
    mu_.Lock();
  }
  if (!writer.ok()) return writer.status();
  if (!old_log_status.ok()) {
    // Writes already acknowledged may not be durable: stop here. The new
    // log holds nothing and is removed by the next Open.
    SetWriteErrorLocked(old_log_status);
    return old_log_status;
  }
  log_ = *std::move(writer);
  log_writeback_at_ = kLogWritebackBytes;

  std::vector<MemTable*> imm;
  imm.reserve(view_->imm().size() + 1);
  imm.push_back(view_->mem());
  imm.insert(imm.end(), view_->imm().begin(), view_->imm().end());
  auto* mem = new MemTable();
  mem->set_log_number(new_log.number);
  InstallViewLocked(mem, std::move(imm));
  return absl::OkStatus();
}

void DBImpl::SetWriteErrorLocked(const absl::Status& error) {
  if (!write_error_.ok()) return;
  write_error_ = absl::Status(
      error.code(),
      absl::StrFormat("DB %s no longer accepts writes after an I/O error "
                      "(DB::Resume() or reopen it): %s",
                      dbname_, error.message()));
}

}  // namespace ferrisdb
