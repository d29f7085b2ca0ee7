// I/O error loops, in the manner of SQLite's: one fixed sequence of
// operations (a fresh DB::Open, puts, deletes and batches, some synced, with
// a tiny write buffer and tiny levels so that memtables are flushed and
// levels compacted, an explicit Flush, reads, a CompactRange, a close, a
// reopen, more writes and a final close) is run once for every N = 1, 2, ...
// with the N-th Env call failing, until a run reaches no failure. Each N is
// run twice: with a single failure (a transient error) and with every later
// call failing too (the fault persists). Error kinds:
//   eio          every call kind; the status posix_env makes of EIO
//                (kInternal, see src/env/io_error.cc);
//   enospc       every call kind; the status of ENOSPC (kResourceExhausted);
//   short_write  the N-th Append (and, persisting, every later Append: a
//                full disk) writes half its data, then fails with ENOSPC.
//
// What each run checks:
//   - Every injected failure is reported: the operation during which it
//     happened fails with the injected error, or the DB turns read-only
//     with it (a failed background flush or compaction): the next write,
//     Flush and CompactRange then fail. Only best-effort clean-up (unlinking
//     obsolete files and listing the directory to find them) and the close
//     (a destructor cannot report) may swallow an error; the reopen checks
//     those did no harm.
//   - Reads during the sequence return the acknowledged data or an error,
//     never other data.
//   - After the fault clears, the DB reopens (without fault injection). Being a
//     process restart (no power loss), every acknowledged write is there; a
//     write that failed is there whole or not at all (DB::Write's contract)
//     and only if it was the last one to reach the log; no deleted key comes
//     back; every value is one that was written. Get of every key and full
//     forward and backward scans agree with the model, VerifyChecksums is
//     OK, and the DB takes more writes, a Flush and a CompactRange.
//
// FERRISDB_LONG_TESTS=1 runs a workload four times larger. FERRISDB_TEST_SEED
// changes the workload. A failure names the kind, the mode and N, which
// reproduce it.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "env/io_error.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FaultContext;
using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::FaultOp;
using ::ferrisdb::testing::FaultOpName;
using Model = std::map<std::string, std::string>;

// Every injected status carries this text, so a reported error can be
// traced to the fault.
constexpr char kMarker[] = "injected I/O fault";

constexpr int kNumKeys = 60;

std::string Key(int i) { return absl::StrFormat("k%03d", i); }

// ---- A base Env without syncs ----

// The real Env, except that Sync and SyncDir only hand data to the OS. Every
// check here is against a process restart, for which syncs make no
// difference (the fault-injection Env still counts and fails them), and an
// fsync per call made a run of the sequence take ~120 ms instead of a few.
class NoSyncWritableFile final : public WritableFile {
 public:
  explicit NoSyncWritableFile(std::unique_ptr<WritableFile> base)
      : base_(std::move(base)) {}
  absl::Status Append(std::string_view data) override {
    return base_->Append(data);
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override { return base_->Flush(); }
  absl::Status StartWriteback() override { return base_->Flush(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  const std::unique_ptr<WritableFile> base_;
};

class NoSyncEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return Wrap(base_->NewWritableFile(path));
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return Wrap(base_->NewAppendableFile(path));
  }
  bool FileExists(const std::string& path) override {
    return base_->FileExists(path);
  }
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  absl::Status RemoveFile(const std::string& path) override {
    return base_->RemoveFile(path);
  }
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  absl::Status CreateDirIfMissing(const std::string& dir) override {
    return base_->CreateDirIfMissing(dir);
  }
  absl::Status RemoveDir(const std::string& dir) override {
    return base_->RemoveDir(dir);
  }
  bool IsDirectory(const std::string& path) override {
    return base_->IsDirectory(path);
  }
  absl::Status SyncDir(const std::string& /*dir*/) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    return base_->LockFile(path);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }

 private:
  static absl::StatusOr<std::unique_ptr<WritableFile>> Wrap(
      absl::StatusOr<std::unique_ptr<WritableFile>> file) {
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(
        new NoSyncWritableFile(*std::move(file)));
  }

  Env* const base_ = Env::Default();
};

NoSyncEnv* NoSync() {
  static NoSyncEnv* const env = new NoSyncEnv();
  return env;
}

// ---- The operation sequence ----

struct Update {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
};

struct Step {
  enum class Kind { kOpen, kWrite, kFlush, kCompactRange, kRead, kClose };
  Kind kind = Kind::kWrite;
  std::vector<Update> updates;  // kWrite
  bool sync = false;            // kWrite
};

const char* StepName(Step::Kind kind) {
  switch (kind) {
    case Step::Kind::kOpen:
      return "open";
    case Step::Kind::kWrite:
      return "write";
    case Step::Kind::kFlush:
      return "flush";
    case Step::Kind::kCompactRange:
      return "compact-range";
    case Step::Kind::kRead:
      return "read";
    case Step::Kind::kClose:
      return "close";
  }
  return "?";
}

// Tiny buffers and levels: a few dozen writes flush several memtables, and
// two level-0 files already start a compaction.
Options LoopOptions(Env* env) {
  Options options;
  options.env = env;
  options.write_buffer_size = 4 << 10;
  options.target_file_size = 4 << 10;
  options.level0_file_num_compaction_trigger = 2;
  options.max_bytes_for_level_base = 16 << 10;
  options.compression = CompressionType::kNone;
  options.block_size = 1024;
  return options;
}

void AddWrites(std::mt19937& rng, int n, const char* tag, int delete_pct,
               std::vector<Step>* steps) {
  for (int i = 0; i < n; ++i) {
    Step s;
    // One in five is a batch of 2..4 updates.
    const int updates = rng() % 5 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
    for (int u = 0; u < updates; ++u) {
      std::string key = Key(static_cast<int>(rng() % kNumKeys));
      if (static_cast<int>(rng() % 100) < delete_pct) {
        s.updates.push_back({std::move(key), std::nullopt});
      } else {
        // Unique values, so a value seen after recovery names its write.
        s.updates.push_back(
            {std::move(key),
             absl::StrFormat("%s%d.%d-%s", tag, i, u,
                             std::string(70 + rng() % 60, 'a' + rng() % 26))});
      }
    }
    s.sync = rng() % 8 == 0;
    steps->push_back(std::move(s));
  }
}

std::vector<Step> MakeSequence(uint32_t seed, int scale) {
  std::mt19937 rng(seed);
  std::vector<Step> steps;
  auto add = [&steps](Step::Kind kind) {
    Step s;
    s.kind = kind;
    steps.push_back(std::move(s));
  };
  add(Step::Kind::kOpen);  // of a fresh DB
  AddWrites(rng, 45 * scale, "a", 15, &steps);
  add(Step::Kind::kFlush);
  AddWrites(rng, 20 * scale, "b", 35, &steps);
  add(Step::Kind::kRead);
  add(Step::Kind::kCompactRange);
  AddWrites(rng, 8 * scale, "c", 25, &steps);
  add(Step::Kind::kClose);
  add(Step::Kind::kOpen);
  AddWrites(rng, 10 * scale, "d", 25, &steps);
  steps.back().sync = true;
  add(Step::Kind::kRead);
  add(Step::Kind::kClose);
  return steps;
}

// ---- Error kinds ----

struct ErrorKind {
  const char* name;
  int err;  // the errno whose status the failed calls return
  // Fail the N-th Append (not the N-th call), after it wrote half its data.
  bool short_write;
};

absl::Status InjectedError(const ErrorKind& kind) {
  return internal::IOError("injected", "I/O fault", kind.err);
}

// Whether the DB may swallow the failure of this call: clean-up that is
// retried later or harmless if left undone.
bool MayBeIgnored(FaultOp op) {
  return op == FaultOp::kRemoveFile || op == FaultOp::kGetChildren;
}

// The injected failures of one run, in order. Thread-safe.
class InjectionLog {
 public:
  struct Call {
    FaultOp op;
    std::string path;
    uint64_t call_number;
    int step;
  };

  void Record(const FaultContext& c) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({c.op, std::string(c.path), c.call_number,
                      step_.load(std::memory_order_relaxed)});
  }
  void SetStep(int step) { step_.store(step, std::memory_order_relaxed); }
  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  // Relaxed: written by the test thread between steps, read by background
  // threads whose work the test waits for (the wait orders them).
  std::atomic<int> step_{-1};
};

std::string Describe(const InjectionLog::Call& c) {
  const size_t slash = c.path.rfind('/');
  return absl::StrFormat(
      "%s %s (call %d, step %d)", FaultOpName(c.op),
      slash == std::string::npos ? c.path : c.path.substr(slash + 1),
      c.call_number, c.step);
}

// ---- One run of the sequence ----

// How the runs of a loop went, for the summary line.
struct LoopOutcomes {
  int op_errors = 0;          // runs where an operation failed with it
  int background_errors = 0;  // runs where the DB then refused writes
  int ignored_cleanup = 0;    // runs where only best-effort clean-up failed
  int failed_write_kept = 0;  // runs where a failed write was replayed
};

// Runs the sequence with call n failing (and, if persistent, every later
// one), then reopens with the fault cleared and checks everything.
class LoopRun {
 public:
  LoopRun(const std::vector<Step>& steps, const ErrorKind& kind,
          bool persistent, uint64_t n)
      : steps_(steps), kind_(kind), persistent_(persistent), n_(n) {}

  void Run() {
    ::ferrisdb::testing::TestDir dir;
    path_ = dir.Sub("db");
    RunSequence();
    if (!injected_) return;
    VerifyAfterReopen();
  }

  bool injected() const { return injected_; }
  void AddTo(LoopOutcomes* outcomes) const {
    outcomes->op_errors += saw_op_error_ ? 1 : 0;
    outcomes->background_errors += saw_background_error_ ? 1 : 0;
    outcomes->ignored_cleanup +=
        injected_ && !saw_op_error_ && !saw_background_error_ ? 1 : 0;
    outcomes->failed_write_kept += failed_write_kept_ ? 1 : 0;
  }
  const std::vector<std::string>& problems() const { return problems_; }
  // Calls the sequence made (meaningful when nothing was injected).
  uint64_t calls() const { return calls_; }

 private:
  void Problem(std::string message) { problems_.push_back(std::move(message)); }

  void RunSequence() {
    FaultInjectionEnv env(NoSync());
    env.SetShortWriteOnFault(kind_.short_write);
    auto appends = std::make_shared<uint64_t>(0);
    env.FailWhen(
        [this, appends](const FaultContext& c) {
          uint64_t index = c.call_number;
          if (kind_.short_write) {
            if (c.op != FaultOp::kAppend) return false;
            index = ++*appends;
          }
          const bool hit = persistent_ ? index >= n_ : index == n_;
          if (hit) log_.Record(c);
          return hit;
        },
        InjectedError(kind_), persistent_);
    options_ = LoopOptions(&env);
    for (size_t i = 0; i < steps_.size(); ++i) {
      RunStep(static_cast<int>(i), steps_[i]);
    }
    db_.reset();  // the sequence ends with a close; this is a no-op then
    calls_ = env.call_count();
    injected_ = env.injected_failure_count() > 0;
  }

  void RunStep(int index, const Step& step) {
    log_.SetStep(index);
    const size_t injected_before = log_.calls().size();
    absl::Status op = absl::OkStatus();
    bool ran = true;
    switch (step.kind) {
      case Step::Kind::kOpen: {
        if (db_ != nullptr) {
          ran = false;
          break;
        }
        auto db = DB::Open(options_, path_);
        op = db.status();
        if (db.ok()) {
          db_ = *std::move(db);
          ResolveRecovered(absl::StrFormat("open at step %d", index));
        }
        break;
      }
      case Step::Kind::kWrite:
        if (db_ == nullptr) {
          ran = false;
          break;
        }
        op = Write(step.updates, step.sync);
        break;
      case Step::Kind::kFlush:
      case Step::Kind::kCompactRange:
        if (db_ == nullptr) {
          ran = false;
          break;
        }
        op = step.kind == Step::Kind::kFlush
                 ? db_->Flush()
                 : db_->CompactRange(std::nullopt, std::nullopt);
        if (op.ok()) durable_sequence_ = acked_sequence_;
        break;
      case Step::Kind::kRead:
        if (db_ == nullptr) {
          ran = false;
          break;
        }
        op = CheckReads(index);
        break;
      case Step::Kind::kClose:
        db_.reset();
        break;
    }
    if (!ran) return;
    const std::string where =
        absl::StrFormat("step %d (%s)", index, StepName(step.kind));

    // Let background work finish, so that a failure it meets belongs to
    // this step (and the calls of a run are the same from N to N).
    absl::Status background = absl::OkStatus();
    if (db_ != nullptr) {
      background = static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions();
    }

    const std::vector<InjectionLog::Call> calls = log_.calls();
    if (!op.ok()) {
      saw_op_error_ = true;
      CheckReportedError(where, op);
    }
    if (step.kind != Step::Kind::kClose && op.ok() && background.ok()) {
      for (size_t i = injected_before; i < calls.size(); ++i) {
        if (MayBeIgnored(calls[i].op)) continue;
        Problem(absl::StrFormat(
            "%s: injected failure of %s was swallowed: the step succeeded "
            "and the DB still accepts writes",
            where, Describe(calls[i])));
        break;
      }
    }
    if (!background.ok()) {
      saw_background_error_ = true;
      CheckReportedError(where + " background work", background);
      // A background error is sticky: writes must be refused.
      const absl::Status probe = Write({{"probe", "after-error"}}, false);
      if (probe.ok()) {
        Problem(absl::StrFormat(
            "%s: background error (%s) but the next write was accepted", where,
            background.ToString()));
      }
      if (db_->Flush().ok()) {
        Problem(absl::StrFormat(
            "%s: background error (%s) but the next Flush succeeded", where,
            background.ToString()));
      }
      if (db_->CompactRange(std::nullopt, std::nullopt).ok()) {
        Problem(absl::StrFormat(
            "%s: background error (%s) but the next CompactRange succeeded",
            where, background.ToString()));
      }
    }
  }

  // A failed operation must fail because of the fault, with its error.
  void CheckReportedError(const std::string& where, const absl::Status& s) {
    if (log_.calls().empty()) {
      Problem(absl::StrFormat("%s failed before any injected failure: %s",
                              where, s.ToString()));
      return;
    }
    const absl::Status injected = InjectedError(kind_);
    if (std::string(s.message()).find(kMarker) == std::string::npos ||
        s.code() != injected.code()) {
      Problem(absl::StrFormat(
          "%s failed with %s, not with the injected error (%s)", where,
          s.ToString(), absl::StatusCodeToString(injected.code())));
    }
  }

  // Writes one batch, recording the outcome for the oracle.
  absl::Status Write(const std::vector<Update>& updates, bool sync) {
    WriteBatch batch;
    for (const Update& u : updates) {
      if (u.value.has_value()) {
        batch.Put(u.key, *u.value);
        written_values_.insert(*u.value);
      } else {
        batch.Delete(u.key);
      }
    }
    WriteOptions wo;
    wo.sync = sync;
    const absl::Status s = db_->Write(wo, &batch);
    if (s.ok()) {
      ApplyTo(updates, &model_);
      acked_sequence_ = LastSequence();
      if (acked_sequence_ != expected_next_ + updates.size() - 1) {
        Problem(absl::StrFormat(
            "acknowledged write of %d updates ends at sequence %d, expected "
            "%d",
            updates.size(), acked_sequence_,
            expected_next_ + updates.size() - 1));
      }
      expected_next_ = acked_sequence_ + 1;
      if (sync) durable_sequence_ = acked_sequence_;
    } else {
      failed_since_recovery_.push_back(updates);
    }
    return s;
  }

  static void ApplyTo(const std::vector<Update>& updates, Model* model) {
    for (const Update& u : updates) {
      if (u.value.has_value()) {
        (*model)[u.key] = *u.value;
      } else {
        model->erase(u.key);
      }
    }
  }

  SequenceNumber LastSequence() {
    return static_cast<DBImpl*>(db_.get())->TEST_LastSequence();
  }

  // After an Open: the recovered sequence must include every acknowledged
  // write; beyond it there may be one failed write (it reached the log
  // before its error), whole.
  void ResolveRecovered(const std::string& when) {
    const SequenceNumber recovered = LastSequence();
    if (recovered < durable_sequence_) {
      Problem(absl::StrFormat(
          "%s: recovered sequence %d, but writes up to %d were acknowledged "
          "and made durable (synced, flushed or compacted)",
          when, recovered, durable_sequence_));
    } else if (recovered < acked_sequence_) {
      Problem(absl::StrFormat(
          "%s: recovered sequence %d, but writes up to %d were acknowledged "
          "(a process restart must keep them)",
          when, recovered, acked_sequence_));
    } else if (recovered > acked_sequence_) {
      const SequenceNumber extra = recovered - acked_sequence_;
      // Only the first failed write to reach the log can be there: the
      // failure that let it in stopped every later write. (A failed write
      // of the same size before it that never reached the log would be
      // picked wrongly, and the comparison would then fail: a false alarm,
      // never a missed bug. No path of the engine produces that order.)
      bool found = false;
      for (const std::vector<Update>& w : failed_since_recovery_) {
        if (w.size() == extra) {
          ApplyTo(w, &model_);
          found = true;
          failed_write_kept_ = true;
          break;
        }
      }
      if (!found) {
        Problem(absl::StrFormat(
            "%s: recovered sequence %d is %d past the last acknowledged "
            "write, and no failed write has that many updates (part of a "
            "batch, or an unknown write?)",
            when, recovered, extra));
      }
    }
    acked_sequence_ = std::max(acked_sequence_, recovered);
    durable_sequence_ = acked_sequence_;  // what Open replayed it synced
    expected_next_ = recovered + 1;
    failed_since_recovery_.clear();
  }

  // Reads during the sequence: acknowledged data or an error, nothing else.
  // Returns the first error.
  absl::Status CheckReads(int index) {
    absl::Status first_error = absl::OkStatus();
    for (int k = 0; k < kNumKeys; k += 3) {
      const std::string key = Key(k);
      absl::StatusOr<std::string> got = db_->Get({}, key);
      auto want = model_.find(key);
      if (got.ok() || absl::IsNotFound(got.status())) {
        const std::string got_text = got.ok() ? *got : "<absent>";
        const std::string want_text =
            want == model_.end() ? "<absent>" : want->second;
        if (got_text != want_text) {
          Problem(absl::StrFormat("read step %d: Get(%s) = %s, want %s", index,
                                  key, got_text.substr(0, 16),
                                  want_text.substr(0, 16)));
        }
      } else if (first_error.ok()) {
        first_error = got.status();
      }
    }
    Model scanned;
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      scanned.emplace(std::string(it->key()), std::string(it->value()));
    }
    if (!it->status().ok()) {
      if (first_error.ok()) first_error = it->status();
    } else if (scanned != model_) {
      Problem(absl::StrFormat(
          "read step %d: a scan that reported no error shows %d keys, the "
          "acknowledged writes %d (or other values)",
          index, scanned.size(), model_.size()));
    }
    return first_error;
  }

  // The fault is gone: a restart must find every acknowledged write, intact
  // files, and a DB that works.
  void VerifyAfterReopen() {
    options_ = LoopOptions(NoSync());
    auto opened = DB::Open(options_, path_);
    if (!opened.ok()) {
      Problem("reopen after the fault cleared failed: " +
              opened.status().ToString());
      return;
    }
    db_ = *std::move(opened);
    ResolveRecovered("reopen after the fault cleared");
    const std::string diff = CompareWithModel();
    if (!diff.empty()) Problem("after reopening: " + diff);
    const absl::Status checksums = db_->VerifyChecksums();
    if (!checksums.ok()) {
      Problem("VerifyChecksums after reopening: " + checksums.ToString());
    }
    // And it keeps working.
    for (int i = 0; i < 20; ++i) {
      const absl::Status s =
          Write({{Key(i * 3), absl::StrFormat("after-%d", i)}}, i == 19);
      if (!s.ok()) {
        Problem("write after reopening: " + s.ToString());
        break;
      }
    }
    absl::Status s = db_->Flush();
    if (s.ok()) s = db_->CompactRange(std::nullopt, std::nullopt);
    if (s.ok()) s = static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions();
    if (!s.ok()) Problem("Flush/CompactRange after reopening: " + s.ToString());
    const std::string diff_after = CompareWithModel();
    if (!diff_after.empty()) Problem("after more writes: " + diff_after);
    db_.reset();
  }

  // Get of every key, forward and backward scans, against model_. Returns
  // the first difference ("" if none).
  std::string CompareWithModel() {
    std::vector<std::pair<std::string, std::string>> forward, backward;
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    if (!it->status().ok()) return "forward scan: " + it->status().ToString();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    if (!it->status().ok()) return "backward scan: " + it->status().ToString();
    it.reset();
    std::reverse(backward.begin(), backward.end());
    if (forward != backward) {
      return absl::StrFormat(
          "forward scan (%d keys) and backward scan (%d) "
          "differ",
          forward.size(), backward.size());
    }
    for (size_t i = 1; i < forward.size(); ++i) {
      if (forward[i - 1].first >= forward[i].first) {
        return "scan out of order at " + forward[i].first;
      }
    }
    for (const auto& [key, value] : forward) {
      if (!model_.contains(key)) {
        return absl::StrFormat(
            "scan shows %s, which is deleted or was never "
            "written (value %s)",
            key, value.substr(0, 16));
      }
    }
    std::vector<std::string> keys;
    for (int k = 0; k < kNumKeys; ++k) keys.push_back(Key(k));
    keys.push_back("probe");
    for (const std::string& key : keys) {
      absl::StatusOr<std::string> got = db_->Get({}, key);
      auto want = model_.find(key);
      const auto in_scan =
          std::find_if(forward.begin(), forward.end(),
                       [&key](const auto& kv) { return kv.first == key; });
      if (want == model_.end()) {
        if (!absl::IsNotFound(got.status())) {
          return absl::StrFormat(
              "Get(%s) of a deleted or never-written key: %s", key,
              got.ok() ? "found " + got->substr(0, 16)
                       : got.status().ToString());
        }
        continue;
      }
      if (!got.ok()) {
        return absl::StrFormat("Get(%s) of an acknowledged key: %s", key,
                               got.status().ToString());
      }
      if (*got != want->second) {
        return absl::StrFormat("Get(%s) = %s..., want %s... (%s)", key,
                               got->substr(0, 16), want->second.substr(0, 16),
                               written_values_.contains(*got)
                                   ? "an older value"
                                   : "a value never written");
      }
      if (in_scan == forward.end() || in_scan->second != *got) {
        return absl::StrFormat("Get(%s) and the scan disagree", key);
      }
    }
    if (forward.size() != model_.size()) {
      return absl::StrFormat("scan shows %d keys, the model %d", forward.size(),
                             model_.size());
    }
    return "";
  }

  const std::vector<Step>& steps_;
  const ErrorKind& kind_;
  const bool persistent_;
  const uint64_t n_;

  std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
  InjectionLog log_;
  bool injected_ = false;
  bool saw_op_error_ = false;
  bool saw_background_error_ = false;
  bool failed_write_kept_ = false;
  uint64_t calls_ = 0;
  std::vector<std::string> problems_;

  // The oracle: the state of the acknowledged writes (and of a failed one
  // a reopen showed applied).
  Model model_;
  SequenceNumber acked_sequence_ = 0;
  // Acknowledged with sync, or followed by a successful Flush/CompactRange
  // (or replayed by an Open, which syncs what it replays).
  SequenceNumber durable_sequence_ = 0;
  SequenceNumber expected_next_ = 1;
  // Writes that failed since the last Open; one of them may reappear.
  std::vector<std::vector<Update>> failed_since_recovery_;
  std::set<std::string> written_values_;
};

// ---- The loop ----

// The loop creates and removes a few thousand small DBs. On ext4 the
// renames and truncates among their calls force writeback, which made the
// loop four times slower than on tmpfs; a process restart needs no disk.
// So, unless TMPDIR says where test directories go, they go to /dev/shm
// while this object lives (if it is there).
class TmpfsTestDirs {
 public:
  TmpfsTestDirs() {
    const char* tmp = std::getenv("TMPDIR");
    if ((tmp == nullptr || *tmp == '\0') &&
        Env::Default()->IsDirectory("/dev/shm") &&
        access("/dev/shm", W_OK | X_OK) == 0) {
      set_ = setenv("TMPDIR", "/dev/shm", /*overwrite=*/1) == 0;
    }
  }
  ~TmpfsTestDirs() {
    if (set_) unsetenv("TMPDIR");
  }
  TmpfsTestDirs(const TmpfsTestDirs&) = delete;
  TmpfsTestDirs& operator=(const TmpfsTestDirs&) = delete;

 private:
  bool set_ = false;
};

void PrintTo(const ErrorKind& kind, std::ostream* os) { *os << kind.name; }

class IoErrorLoopTest : public ::testing::TestWithParam<ErrorKind> {};

TEST_P(IoErrorLoopTest, EveryFailureIsReportedAndNothingAcknowledgedIsLost) {
  const ErrorKind& kind = GetParam();
  const TmpfsTestDirs tmpfs;
  const uint32_t seed = ::ferrisdb::testing::TestSeed(20261124);
  const std::vector<Step> steps =
      MakeSequence(seed, ::ferrisdb::testing::LongTestsEnabled() ? 4 : 1);
  constexpr int kMaxReportedRuns = 8;
  int failed_runs = 0;
  for (const bool persistent : {false, true}) {
    uint64_t n = 1;
    uint64_t calls = 0;
    LoopOutcomes outcomes;
    for (;; ++n) {
      LoopRun run(steps, kind, persistent, n);
      run.Run();
      run.AddTo(&outcomes);
      if (!run.problems().empty()) {
        ++failed_runs;
        std::string text;
        for (const std::string& p : run.problems()) text += "\n  " + p;
        ADD_FAILURE() << absl::StrFormat(
                             "seed %d, %s, %s failure, N = %d:", seed,
                             kind.name, persistent ? "persistent" : "single", n)
                      << text;
        if (failed_runs >= kMaxReportedRuns) return;
      }
      if (!run.injected()) {
        calls = run.calls();
        break;
      }
      ASSERT_LT(n, 100000u) << "the sequence never completes";
    }
    absl::PrintF(
        "%s, %s failure: N = 1..%d exercised (the sequence makes %d Env "
        "calls%s); runs where an operation failed with the error: %d, where "
        "the DB then refused writes (sticky error): %d, where only "
        "best-effort clean-up failed: %d, where a failed write was there "
        "after reopening: %d\n",
        kind.name, persistent ? "persistent" : "single", n - 1, calls,
        kind.short_write ? ", N counts appends" : "", outcomes.op_errors,
        outcomes.background_errors, outcomes.ignored_cleanup,
        outcomes.failed_write_kept);
    std::fflush(stdout);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, IoErrorLoopTest,
    ::testing::Values(ErrorKind{"eio", EIO, false},
                      ErrorKind{"enospc", ENOSPC, false},
                      ErrorKind{"short_write", ENOSPC, true}),
    [](const ::testing::TestParamInfo<ErrorKind>& param_info) {
      return std::string(param_info.param.name);
    });

// The workload reaches what the loop is meant to exercise.
TEST(IoErrorLoopWorkloadTest, FlushesAndCompacts) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env(NoSync());
  Options options = LoopOptions(&env);
  auto stats = std::make_shared<Statistics>();
  options.statistics = stats;
  const std::vector<Step> steps =
      MakeSequence(::ferrisdb::testing::TestSeed(20261124), 1);
  std::unique_ptr<DB> db;
  for (const Step& step : steps) {
    switch (step.kind) {
      case Step::Kind::kOpen: {
        auto opened = DB::Open(options, dir.Sub("db"));
        ASSERT_THAT(opened, ::ferrisdb::testing::IsOk());
        db = *std::move(opened);
        break;
      }
      case Step::Kind::kWrite: {
        WriteBatch batch;
        for (const Update& u : step.updates) {
          if (u.value.has_value()) {
            batch.Put(u.key, *u.value);
          } else {
            batch.Delete(u.key);
          }
        }
        WriteOptions wo;
        wo.sync = step.sync;
        FERRISDB_ASSERT_OK(db->Write(wo, &batch));
        break;
      }
      case Step::Kind::kFlush:
        FERRISDB_ASSERT_OK(db->Flush());
        break;
      case Step::Kind::kCompactRange:
        FERRISDB_ASSERT_OK(db->CompactRange(std::nullopt, std::nullopt));
        break;
      case Step::Kind::kRead:
        break;
      case Step::Kind::kClose:
        db.reset();
        break;
    }
    if (db != nullptr) {
      FERRISDB_ASSERT_OK(
          static_cast<DBImpl*>(db.get())->TEST_WaitForCompactions());
    }
  }
  EXPECT_GE(stats->GetTicker(Ticker::kFlushes), 3u);
  EXPECT_GE(stats->GetTicker(Ticker::kCompactions), 2u);
  absl::PrintF("workload: %d Env calls, %d flushes, %d compactions\n",
               env.call_count(), stats->GetTicker(Ticker::kFlushes),
               stats->GetTicker(Ticker::kCompactions));
}

}  // namespace
}  // namespace ferrisdb
