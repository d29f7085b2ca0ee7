#include "io_error_loop_run.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
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
using ::ferrisdb::testing::Oracle;

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
    for (int k = 0; k < kNumKeys; ++k) oracle_.AddKey(Key(k));
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
          op = ResolveRecovered(absl::StrFormat("open at step %d", index),
                                /*fault_cleared=*/false);
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
        op = step.kind == Step::Kind::kFlush ? oracle_.Flush(db_.get())
                                             : oracle_.CompactRange(db_.get());
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

  // Writes one batch through the oracle.
  absl::Status Write(const std::vector<Update>& updates, bool sync) {
    return oracle_.Write(db_.get(), {.sync = sync}, updates);
  }

  SequenceNumber LastSequence() {
    return static_cast<DBImpl*>(db_.get())->TEST_LastSequence();
  }

  // The oracle's check of the open DB. Every acknowledged write must be
  // there (the Env drops nothing), with a last sequence number that counts
  // exactly the updates found. A live DB never applies a failed write; an
  // Open may replay one (its record reached the log before the error), and
  // until a check without read errors after it has settled which, so may
  // the live DB.
  absl::StatusOr<Oracle::Recovered> Check(bool after_open,
                                          bool allow_read_errors) {
    oracle_.MarkDurable();
    const bool replay_possible = after_open || unsettled_open_;
    return oracle_.Verify(
        db_.get(), {.allow_read_errors = allow_read_errors,
                    .max_undetermined_applied = replay_possible ? 1u : 0u,
                    .last_sequence = LastSequence()});
  }

  // After an Open: the oracle's check, then (if every read succeeded) its
  // verdict on the failed writes made final. Returns the first read error
  // (reads may fail while the fault lasts).
  absl::Status ResolveRecovered(const std::string& when, bool fault_cleared) {
    absl::StatusOr<Oracle::Recovered> r =
        Check(/*after_open=*/true, /*allow_read_errors=*/!fault_cleared);
    if (!r.ok()) {
      Problem(absl::StrFormat("%s: %s", when, r.status().message()));
      return absl::OkStatus();
    }
    if (!r->first_read_error.ok()) {
      unsettled_open_ = true;
      return r->first_read_error;
    }
    if (!r->undetermined_applied.empty()) failed_write_kept_ = true;
    oracle_.Resolve(*r);
    unsettled_open_ = false;
    return absl::OkStatus();
  }

  // Reads during the sequence: acknowledged data or an error, nothing else.
  // Returns the first error.
  absl::Status CheckReads(int index) {
    absl::StatusOr<Oracle::Recovered> r =
        Check(/*after_open=*/false, /*allow_read_errors=*/true);
    if (!r.ok()) {
      Problem(absl::StrFormat("read step %d: %s", index, r.status().message()));
      return absl::OkStatus();
    }
    return r->first_read_error;
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
    // With the fault cleared a read error is a Problem, not a return value.
    ResolveRecovered("reopen after the fault cleared", /*fault_cleared=*/true)
        .IgnoreError();
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
    absl::Status s = oracle_.Flush(db_.get());
    if (s.ok()) s = oracle_.CompactRange(db_.get());
    if (s.ok()) s = static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions();
    if (!s.ok()) Problem("Flush/CompactRange after reopening: " + s.ToString());
    absl::StatusOr<Oracle::Recovered> r =
        Check(/*after_open=*/false, /*allow_read_errors=*/false);
    if (!r.ok())
      Problem("after more writes: " + std::string(r.status().message()));
    db_.reset();
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

  // Every write of the run, its outcome, and what recovery made of it.
  Oracle oracle_;
  // An Open whose check had read errors left the failed writes undecided.
  bool unsettled_open_ = false;
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
