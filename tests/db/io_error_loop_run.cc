#include "io_error_loop_run.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "testutil/fault_injection_env.h"
#include "testutil/no_sync_env.h"
#include "testutil/test_dir.h"

namespace ferrisdb::io_error_loop {
namespace {

using ::ferrisdb::testing::FaultContext;
using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::FaultOp;
using ::ferrisdb::testing::FaultOpName;
using ::ferrisdb::testing::NoSyncEnv;
using Model = std::map<std::string, std::string>;

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
    FaultInjectionEnv env(NoSyncEnv());
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
    options_ = LoopOptions(NoSyncEnv());
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

}  // namespace

RunResult RunWithFault(const std::vector<Step>& steps, const ErrorKind& kind,
                       bool persistent, uint64_t n, LoopOutcomes* outcomes) {
  LoopRun run(steps, kind, persistent, n);
  run.Run();
  run.AddTo(outcomes);
  return {run.injected(), run.calls(), run.problems()};
}

}  // namespace ferrisdb::io_error_loop
