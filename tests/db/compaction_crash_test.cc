// Crash and error tests of flush and compaction with the fault-injection Env.
//
// One deterministic workload (seeded writes with a tiny write buffer and tiny
// levels, so that it flushes often, compacts level 0 into level 1, compacts
// deeper levels, moves files trivially and runs CompactRange) is run once to
// record every Env call it makes, then run again for chosen call indices
// with the machine "stopping" right at that call: the call and every later
// one fail without effect, the DB is dropped, and a power loss (one of the
// UnsyncedDataMode forms, rotated) is applied. The reopened database must
// equal the model applied to a prefix of the writes that includes every
// write known durable (acknowledged with sync=true, or followed by a
// successful Flush/CompactRange), with batches whole and no deleted key
// back, by Get of every key and by full forward and backward scans. It must
// then keep working: more writes, a CompactRange, another power loss, and
// an exact check.
//
// The workload waits for background work after every step
// (TEST_WaitForCompactions), so its sequence of Env calls is nearly the
// same from run to run and a call index names the same step each time
// (only between the steps of a CompactRange may a compaction by score
// slip in or not). A crash point that shifts is still a valid crash point.
//
// FERRISDB_LONG_TESTS=1 crashes at every call index (and every matching
// call of the error tests) instead of a sample. Reproduce a failure with the
// printed call index; FERRISDB_TEST_SEED changes the workload.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "compaction_crash_workload.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/oracle.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::compaction_crash::AllKeys;
using ::ferrisdb::compaction_crash::LastSequence;
using ::ferrisdb::compaction_crash::MakeWorkload;
using ::ferrisdb::compaction_crash::RandomWrites;
using ::ferrisdb::compaction_crash::RunSteps;
using ::ferrisdb::compaction_crash::Step;
using ::ferrisdb::compaction_crash::WorkloadOptions;
using ::ferrisdb::testing::FaultContext;
using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::FaultOp;
using ::ferrisdb::testing::FaultOpName;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::Oracle;
using ::ferrisdb::testing::PowerLossOptions;
using ::ferrisdb::testing::UnsyncedDataMode;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// An oracle that also reads every key the workload may touch.
Oracle NewOracle() {
  Oracle oracle;
  for (std::string& key : AllKeys()) oracle.AddKey(std::move(key));
  return oracle;
}

// ---- Checking a recovered DB ----

// Every table the recovered version names is on disk.
void ExpectTablesExist(DB* db, const std::string& dbname,
                       const std::string& context) {
  std::shared_ptr<const Version> version =
      static_cast<DBImpl*>(db)->TEST_CurrentVersion();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : version->files(level)) {
      const std::string path = TableFileName(dbname, f->number);
      EXPECT_TRUE(Env::Default()->FileExists(path))
          << context << ": the manifest names " << path << " at level " << level
          << ", which is missing";
    }
  }
}

// Checks a recovered DB with the oracle (whose last sequence number must
// count the updates found: it ends on a write boundary) and that the tables
// it names exist. On success *recovered is what the oracle found.
void VerifyRecovered(DB* db, const std::string& dbname, const Oracle& oracle,
                     const std::string& context, Oracle::Recovered* recovered) {
  ExpectTablesExist(db, dbname, context);
  absl::StatusOr<Oracle::Recovered> r =
      oracle.Verify(db, {.last_sequence = LastSequence(db)});
  ASSERT_TRUE(r.ok()) << context << ": " << r.status().message();
  *recovered = *r;
}

// After a recovery the DB must keep working: a clean reopen, writes, a
// CompactRange, a final synced write, a power loss, and an exact check.
// oracle: resolved to the recovered state.
void CheckKeepsWorking(const std::string& path, Oracle oracle, uint32_t seed,
                       const std::string& context) {
  FaultInjectionEnv env;
  Options options = WorkloadOptions();
  options.env = &env;
  std::unique_ptr<DB> db;
  {
    auto opened = DB::Open(options, path);
    ASSERT_THAT(opened, IsOk()) << context << ": second open";
    db = *std::move(opened);
  }
  oracle.MarkDurable();  // a clean reopen keeps everything
  Oracle::Recovered recovered;
  VerifyRecovered(db.get(), path, oracle, context + " (clean reopen)",
                  &recovered);
  if (::testing::Test::HasFatalFailure()) return;
  std::mt19937 rng(seed);
  std::vector<Step> steps;
  RandomWrites(rng, 50, "after-", 30, &steps);
  Step compact;
  compact.kind = Step::Kind::kCompactRange;
  steps.push_back(compact);
  RandomWrites(rng, 30, "after2-", 30, &steps);
  steps.back().sync = true;
  FERRISDB_ASSERT_OK(RunSteps(db.get(), steps, &oracle)) << context;
  env.SetFilesystemActive(false);
  db.reset();
  FERRISDB_ASSERT_OK(env.SimulatePowerLoss({})) << context;
  env.SetFilesystemActive(true);
  env.ResetState();
  {
    auto opened = DB::Open(options, path);
    ASSERT_THAT(opened, IsOk()) << context << ": third open";
    db = *std::move(opened);
  }
  // The last write was synced: the oracle demands every write.
  VerifyRecovered(db.get(), path, oracle,
                  context +
                      " (after recovery, writes, CompactRange and "
                      "another power loss)",
                  &recovered);
}

// ---- Recording the calls of a workload ----

struct RecordedCall {
  uint64_t number;
  FaultOp op;
  std::string path;
  std::thread::id thread;
};

// The crash points of interest: the calls that change what survives.
bool IsInterestingCall(FaultOp op, std::string_view path) {
  switch (op) {
    case FaultOp::kSync:
    case FaultOp::kSyncDir:
    case FaultOp::kRenameFile:
    case FaultOp::kRemoveFile:
    case FaultOp::kNewWritableFile:
      return true;
    case FaultOp::kAppend:
      return path.find("MANIFEST-") != std::string_view::npos;
    default:
      return false;
  }
}

struct PowerLossMode {
  UnsyncedDataMode mode;
  uint64_t alignment;
  const char* name;
};

constexpr PowerLossMode kModes[] = {
    {UnsyncedDataMode::kDrop, 1, "drop"},
    {UnsyncedDataMode::kKeepPrefix, 1, "tear-byte"},
    {UnsyncedDataMode::kZeroFill, 1, "zero-fill"},
    {UnsyncedDataMode::kKeepPrefix, 512, "tear-512"},
    {UnsyncedDataMode::kGarbageFill, 1, "garbage-fill"},
};

class CompactionCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = ::ferrisdb::testing::TestSeed(20261124);
    steps_ = MakeWorkload(seed_);
  }

  // Runs the workload without faults, recording every call.
  void RecordCalls() {
    ::ferrisdb::testing::TestDir dir;
    FaultInjectionEnv env;
    auto stats = std::make_shared<Statistics>();
    Options options = WorkloadOptions();
    options.env = &env;
    options.statistics = stats;
    std::mutex mu;  // the predicate runs under the env's mutex; this is ours
    env.FailWhen(
        [&](const FaultContext& c) {
          std::lock_guard<std::mutex> lock(mu);
          calls_.push_back({c.call_number, c.op, std::string(c.path),
                            std::this_thread::get_id()});
          return false;
        },
        absl::InternalError("never"), /*persistent=*/true);
    auto db = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(db, IsOk());
    Oracle oracle = NewOracle();
    FERRISDB_ASSERT_OK(RunSteps(db->get(), steps_, &oracle));
    total_calls_ = env.call_count();
    db->reset();
    env.ClearFaults();
    // The workload must reach every part of compaction it is meant to.
    EXPECT_GT(stats->GetTicker(Ticker::kFlushes), 10u);
    EXPECT_GT(stats->GetTicker(Ticker::kCompactions), 10u);
    EXPECT_GT(stats->GetTicker(Ticker::kTrivialMoves), 0u);
    stats_text_ = stats->ToString();
  }

  // Crashes a fresh run of the workload where arm() says, applies a power
  // loss, recovers, verifies, and checks the DB keeps working.
  void CrashAndRecover(const std::function<void(FaultInjectionEnv&)>& arm,
                       const PowerLossMode& mode, const std::string& where) {
    const std::string context = absl::StrFormat(
        "seed %d, crash %s, power loss %s", seed_, where, mode.name);
    ::ferrisdb::testing::TestDir dir;
    const std::string path = dir.Sub("db");
    Oracle oracle = NewOracle();
    {
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      arm(env);
      auto db = DB::Open(options, path);
      if (db.ok()) {
        RunSteps(db->get(), steps_, &oracle).IgnoreError();
      }
      env.SetFilesystemActive(false);
      db = absl::InternalError("dropped");  // closes the DB, if any
      env.ClearFaults();
      PowerLossOptions loss;
      loss.unsynced_data = mode.mode;
      loss.keep_prefix_alignment = mode.alignment;
      loss.seed = seed_ + static_cast<uint32_t>(oracle.writes().size());
      FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
      env.SetFilesystemActive(true);
    }
    {
      // The directory as the machine finds it after the reboot.
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << context << ": reopen after the crash";
      Oracle::Recovered recovered;
      VerifyRecovered(db->get(), path, oracle, context, &recovered);
      if (HasFatalFailure()) return;
      oracle.Resolve(recovered);
    }
    CheckKeepsWorking(path, std::move(oracle), seed_ + 7, context);
  }

  uint32_t seed_ = 0;
  std::vector<Step> steps_;
  std::vector<RecordedCall> calls_;
  uint64_t total_calls_ = 0;
  std::string stats_text_;
};

// Crash right at (before) or right after each interesting call: syncs,
// directory syncs, renames, removals, table/log/manifest creation, and
// appends to the manifest. A sample of them by default, all of them with
// FERRISDB_LONG_TESTS.
TEST_F(CompactionCrashTest, PowerLossAtEachSyncRenameRemoveAndManifestWrite) {
  RecordCalls();
  if (HasFatalFailure()) return;
  std::vector<RecordedCall> interesting;
  for (const RecordedCall& c : calls_) {
    if (IsInterestingCall(c.op, c.path)) interesting.push_back(c);
  }
  ASSERT_GT(interesting.size(), 100u);
  const size_t budget =
      ::ferrisdb::testing::LongTestsEnabled() ? interesting.size() : 20;
  const size_t stride = std::max<size_t>(1, interesting.size() / budget);
  int runs = 0;
  for (size_t i = 0; i < interesting.size(); i += stride) {
    // i-th interesting call; by kind and ordinal so the crash point follows
    // the call even if the calls before it were to shift.
    const RecordedCall& target = interesting[i];
    for (const bool after : {false, true}) {
      const uint64_t n = target.number + (after ? 1 : 0);
      const std::string where =
          absl::StrFormat("%s call %d (%s %s)", after ? "after" : "at",
                          target.number, FaultOpName(target.op),
                          target.path.substr(target.path.rfind('/') + 1));
      CrashAndRecover(
          [n](FaultInjectionEnv& env) {
            env.FailCall(n, absl::UnavailableError("power cut"),
                         /*persistent=*/true);
          },
          kModes[(i + (after ? 1 : 0)) % std::size(kModes)], where);
      if (HasFatalFailure()) return;
      ++runs;
    }
  }
  EXPECT_GT(runs, 0);
}

// The same with a crash at every call index, reads included. Long: only
// with FERRISDB_LONG_TESTS; otherwise a dozen evenly spaced indices.
TEST_F(CompactionCrashTest, PowerLossAtEveryCallIndex) {
  RecordCalls();
  if (HasFatalFailure()) return;
  const uint64_t stride =
      ::ferrisdb::testing::LongTestsEnabled() ? 1 : total_calls_ / 12 + 1;
  for (uint64_t n = 1; n <= total_calls_ + 1; n += stride) {
    CrashAndRecover(
        [n](FaultInjectionEnv& env) {
          env.FailCall(n, absl::UnavailableError("power cut"),
                       /*persistent=*/true);
        },
        kModes[(n / stride) % std::size(kModes)],
        absl::StrFormat("at call %d of %d", n, total_calls_));
    if (HasFatalFailure()) return;
  }
}

// A second power loss while the DB recovers from the first: during Open or
// during the flushes and compactions of the replayed logs that follow it.
// What an Open that succeeded showed had been made durable by it, so the
// third Open must show exactly that again; after an Open that failed, any
// state allowed after the first crash is.
TEST_F(CompactionCrashTest, PowerLossDuringRecovery) {
  RecordCalls();
  if (HasFatalFailure()) return;
  std::vector<uint64_t> first_crashes;
  for (const RecordedCall& c : calls_) {
    // Crash right after a write hit the log: there is a log to replay.
    if (c.op == FaultOp::kAppend && EndsWith(c.path, ".log") &&
        c.number > total_calls_ / 4) {
      first_crashes.push_back(c.number + 1);
    }
  }
  ASSERT_GT(first_crashes.size(), 3u);
  const size_t first_count = ::ferrisdb::testing::LongTestsEnabled() ? 12 : 3;
  for (size_t f = 0; f < first_count; ++f) {
    const uint64_t n =
        first_crashes[(f + 1) * first_crashes.size() / (first_count + 1)];
    ::ferrisdb::testing::TestDir dir;
    const std::string crashed = dir.Sub("crashed");
    const std::string path = dir.Sub("db");
    Oracle oracle = NewOracle();
    {
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      env.FailCall(n, absl::UnavailableError("power cut"), true);
      auto db = DB::Open(options, crashed);
      ASSERT_THAT(db, IsOk());
      RunSteps(db->get(), steps_, &oracle).IgnoreError();
      env.SetFilesystemActive(false);
      db->reset();
      env.ClearFaults();
      PowerLossOptions loss;
      loss.unsynced_data = kModes[f % std::size(kModes)].mode;
      loss.keep_prefix_alignment = kModes[f % std::size(kModes)].alignment;
      loss.seed = seed_ + static_cast<uint32_t>(f);
      FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss));
    }
    // How many calls a whole recovery makes.
    uint64_t recovery_calls = 0;
    {
      std::filesystem::copy(crashed, path);
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << "first crash at call " << n;
      FERRISDB_ASSERT_OK(
          static_cast<DBImpl*>(db->get())->TEST_WaitForCompactions());
      recovery_calls = env.call_count();
      db->reset();
      std::filesystem::remove_all(path);
    }
    const uint64_t stride =
        ::ferrisdb::testing::LongTestsEnabled() ? 1 : recovery_calls / 8 + 1;
    for (uint64_t m = 1; m <= recovery_calls; m += stride) {
      const PowerLossMode& mode = kModes[(f + m) % std::size(kModes)];
      const std::string context = absl::StrFormat(
          "seed %d, first crash at call %d, second at recovery call %d of "
          "%d, power loss %s",
          seed_, n, m, recovery_calls, mode.name);
      std::filesystem::remove_all(path);
      std::filesystem::copy(crashed, path);
      // After a second open that succeeded: the state it showed, which it
      // must have made durable.
      std::optional<Oracle> seen;
      {
        FaultInjectionEnv env;
        Options options = WorkloadOptions();
        options.env = &env;
        env.FailWhen(
            [m](const FaultContext& c) {
              return c.call_number >= m &&
                     ::ferrisdb::testing::IsMutatingOp(c.op);
            },
            absl::UnavailableError("power cut"), /*persistent=*/true);
        auto db = DB::Open(options, path);
        if (db.ok()) {
          Oracle::Recovered recovered;
          VerifyRecovered(db->get(), path, oracle, context + " (second open)",
                          &recovered);
          if (HasFatalFailure()) return;
          seen = oracle;
          seen->Resolve(recovered);
          seen->MarkDurable();
          static_cast<DBImpl*>(db->get())
              ->TEST_WaitForCompactions()
              .IgnoreError();
        }
        env.SetFilesystemActive(false);
        db = absl::InternalError("dropped");
        env.ClearFaults();
        PowerLossOptions loss;
        loss.unsynced_data = mode.mode;
        loss.keep_prefix_alignment = mode.alignment;
        loss.seed = seed_ + static_cast<uint32_t>(m);
        FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
      }
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << context << ": third open";
      Oracle::Recovered recovered;
      VerifyRecovered(
          db->get(), path, seen.has_value() ? *seen : oracle,
          context + (seen.has_value() ? " (third open, after a second open "
                                        "that succeeded: exactly its state)"
                                      : " (third open)"),
          &recovered);
      if (HasFatalFailure()) return;
    }
  }
}

// ---- Error injection during compaction (no power loss) ----

// Fails once the k-th call of kind `op` made by the compaction thread: the
// thread that is neither the test's thread nor the flush thread (the first
// background thread to create a table, since the first table of a new DB
// is always a flush's).
class CompactionCallFault {
 public:
  CompactionCallFault(FaultOp op, int k)
      : op_(op), k_(k), main_(std::this_thread::get_id()) {}

  bool operator()(const FaultContext& c) {
    std::lock_guard<std::mutex> lock(state_->mu);
    const std::thread::id self = std::this_thread::get_id();
    if (self == main_) return false;
    if (!state_->flush_thread.has_value()) {
      if (c.op == FaultOp::kNewWritableFile && EndsWith(c.path, ".sst")) {
        state_->flush_thread = self;
      }
      return false;
    }
    if (self == *state_->flush_thread || c.op != op_) return false;
    return ++state_->seen == k_;
  }

 private:
  struct State {
    std::mutex mu;
    std::optional<std::thread::id> flush_thread;
    int seen = 0;
  };
  const FaultOp op_;
  const int k_;
  const std::thread::id main_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

TEST_F(CompactionCrashTest, FailedCompactionCallIsStickyAndLosesNothing) {
  RecordCalls();
  if (HasFatalFailure()) return;
  // Identify the compaction thread's calls in the recording the same way.
  const std::thread::id main = std::this_thread::get_id();
  std::optional<std::thread::id> flush_thread;
  std::map<FaultOp, int> compaction_calls;
  for (const RecordedCall& c : calls_) {
    if (c.thread == main) continue;
    if (!flush_thread.has_value()) {
      if (c.op == FaultOp::kNewWritableFile && EndsWith(c.path, ".sst")) {
        flush_thread = c.thread;
      }
      continue;
    }
    if (c.thread != *flush_thread) ++compaction_calls[c.op];
  }
  const FaultOp kinds[] = {FaultOp::kSync, FaultOp::kSyncDir,
                           FaultOp::kNewWritableFile, FaultOp::kRenameFile};
  int injected_runs = 0;
  int not_reached = 0;
  for (const FaultOp op : kinds) {
    const int total = compaction_calls[op];
    if (total == 0) {
      // Renames happen only when a new manifest is started, which the
      // compaction thread does only after an earlier manifest failure.
      std::printf("no compaction-thread %s call in the workload\n",
                  std::string(FaultOpName(op)).c_str());
      continue;
    }
    const int samples =
        ::ferrisdb::testing::LongTestsEnabled() ? total : std::min(total, 3);
    for (int s = 0; s < samples; ++s) {
      const int k =
          samples == total ? s + 1 : 1 + s * (total - 1) / (samples - 1);
      std::string context =
          absl::StrFormat("seed %d, failing compaction %s call %d of %d", seed_,
                          FaultOpName(op), k, total);
      ::ferrisdb::testing::TestDir dir;
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      env.FailWhen(CompactionCallFault(op, k),
                   absl::InternalError("injected EIO"), /*persistent=*/false);
      auto db = DB::Open(options, dir.Sub("db"));
      ASSERT_THAT(db, IsOk()) << context;
      Oracle oracle = NewOracle();
      const absl::Status run = RunSteps(db->get(), steps_, &oracle);
      if (env.injected_failure_count() == 0) {
        // Between the steps of a CompactRange the compaction thread may or
        // may not squeeze in a compaction by score, so its calls can differ
        // a little from the recording's.
        std::printf("%s: not reached in this run\n", context.c_str());
        ++not_reached;
        continue;
      }
      ++injected_runs;
      // The error stopped the workload and is sticky.
      EXPECT_FALSE(run.ok()) << context;
      EXPECT_NE(std::string(run.message()).find("injected EIO"),
                std::string::npos)
          << context << ": " << run;
      auto* impl = static_cast<DBImpl*>(db->get());
      EXPECT_FALSE(impl->TEST_WaitForCompactions().ok()) << context;
      EXPECT_FALSE((*db)->Put({}, "k000", "after-error").ok()) << context;
      EXPECT_FALSE((*db)->CompactRange(std::nullopt, std::nullopt).ok())
          << context;
      EXPECT_FALSE((*db)->Flush().ok()) << context;
      // Reads still work and see every acknowledged write, and no failed
      // one.
      {
        Oracle now = oracle;
        now.MarkDurable();
        absl::StatusOr<Oracle::Recovered> live =
            now.Verify(db->get(), {.max_undetermined_applied = 0,
                                   .last_sequence = LastSequence(db->get())});
        EXPECT_TRUE(live.ok())
            << context << ": before reopening: " << live.status().message();
      }
      db->reset();
      env.ClearFaults();

      // Then either a process restart, after which every acknowledged
      // write is there, or a power loss, after which the durable ones are.
      // Either way every table the manifest names exists.
      const bool power_loss = (injected_runs % 2) == 0;
      if (power_loss) {
        const PowerLossMode& mode =
            kModes[(injected_runs / 2) % std::size(kModes)];
        PowerLossOptions loss;
        loss.unsynced_data = mode.mode;
        loss.keep_prefix_alignment = mode.alignment;
        loss.seed = seed_ + static_cast<uint32_t>(injected_runs);
        FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
        env.ResetState();
        context += std::string(", then power loss ") + mode.name;
      } else {
        oracle.MarkDurable();  // a process restart keeps every write
        context += ", then a process restart";
      }
      {
        auto reopened = DB::Open(options, dir.Sub("db"));
        ASSERT_THAT(reopened, IsOk()) << context << ": reopen";
        Oracle::Recovered recovered;
        VerifyRecovered(reopened->get(), dir.Sub("db"), oracle, context,
                        &recovered);
        if (HasFatalFailure()) return;
        oracle.Resolve(recovered);
      }
      CheckKeepsWorking(dir.Sub("db"), std::move(oracle), seed_ + 11, context);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GE(injected_runs, 6);
  EXPECT_LE(not_reached, injected_runs / 2 + 1);
}

}  // namespace
}  // namespace ferrisdb
