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
//
// The workload: io_error_loop_workload.h; one run and its checks:
// io_error_loop_run.cc.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "io_error_loop_run.h"
#include "io_error_loop_workload.h"
#include "testutil/fault_injection_env.h"
#include "testutil/no_sync_env.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb::io_error_loop {
namespace {

using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::NoSyncEnv;

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
      const RunResult run = RunWithFault(steps, kind, persistent, n, &outcomes);
      if (!run.problems.empty()) {
        ++failed_runs;
        std::string text;
        for (const std::string& p : run.problems) text += "\n  " + p;
        ADD_FAILURE() << absl::StrFormat(
                             "seed %d, %s, %s failure, N = %d:", seed,
                             kind.name, persistent ? "persistent" : "single", n)
                      << text;
        if (failed_runs >= kMaxReportedRuns) return;
      }
      if (!run.injected) {
        calls = run.calls;
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
  FaultInjectionEnv env(NoSyncEnv());
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
}  // namespace ferrisdb::io_error_loop
