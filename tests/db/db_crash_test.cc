// Crash tests with the fault-injection Env: random writes (single and batch,
// synced and not), then a simulated power loss in one of several forms, then
// recovery. After every recovery the database must equal the effect of a
// prefix of the acknowledged writes, in sequence order, that includes every
// write acknowledged with sync=true (and every write before it): no synced
// write lost, no hole, no batch visible in part, no deleted key back, and a
// last sequence number that counts exactly the updates found. The shared
// oracle (testutil/oracle.h) checks all of it.
// Reproduce a failure with FERRISDB_TEST_SEED=<seed>.
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/oracle.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::Oracle;
using ::ferrisdb::testing::PowerLossOptions;
using ::ferrisdb::testing::UnsyncedDataMode;

struct CrashCase {
  UnsyncedDataMode mode;
  uint64_t alignment;
  const char* name;
};

// Readable test names in ctest output.
void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.name; }

class CrashTest : public ::testing::TestWithParam<CrashCase> {
 protected:
  void SetUp() override {
    seed_ = ::ferrisdb::testing::TestSeed(20261124);
    rng_.seed(seed_);
    options_.env = &env_;
    options_.write_buffer_size = 8 << 10;  // many log switches
    for (int k = 0; k < kKeys; ++k) oracle_.AddKey(Key(k));
  }

  static constexpr int kKeys = 150;
  static std::string Key(int k) { return absl::StrFormat("k%03d", k); }

  void OpenOrDie() {
    auto db = DB::Open(options_, dir_.Sub("db"));
    ASSERT_THAT(db, IsOk()) << Context();
    db_ = *std::move(db);
  }

  std::string Context() const {
    return absl::StrFormat("seed %d mode %s round %d", seed_, GetParam().name,
                           round_);
  }

  SequenceNumber LastSequence() {
    return static_cast<DBImpl*>(db_.get())->TEST_LastSequence();
  }

  // Applies random writes through the oracle.
  void WriteRandomly(int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<Oracle::Update> updates;
      const int count = rng_() % 4 == 0 ? 1 + rng_() % 8 : 1;
      for (int u = 0; u < count; ++u) {
        std::string key = Key(rng_() % kKeys);
        if (rng_() % 4 == 0) {
          updates.push_back({std::move(key), std::nullopt});
        } else {
          updates.push_back(
              {std::move(key),
               absl::StrFormat("r%d-w%d-%s", round_, i,
                               std::string(rng_() % 300, 'a' + rng_() % 26))});
        }
      }
      const bool sync = rng_() % 10 == 0;
      ASSERT_THAT(oracle_.Write(db_.get(), {.sync = sync}, updates), IsOk())
          << Context();
    }
  }

  // Crashes the machine: stop the file system, drop the DB, lose or damage
  // what was not synced, reboot.
  void Crash() {
    PowerLossOptions loss;
    loss.unsynced_data = GetParam().mode;
    loss.keep_prefix_alignment = GetParam().alignment;
    loss.seed = seed_ + round_;
    env_.SetFilesystemActive(false);
    db_.reset();
    ASSERT_THAT(env_.SimulatePowerLoss(loss), IsOk()) << Context();
    env_.SetFilesystemActive(true);
    env_.ResetState();
  }

  // Checks the recovered DB with the oracle (its last sequence number must
  // count the updates found) and forgets what the crash lost.
  void VerifyRecovered() {
    absl::StatusOr<Oracle::Recovered> r =
        oracle_.Verify(db_.get(), {.last_sequence = LastSequence()});
    ASSERT_TRUE(r.ok()) << Context() << ": " << r.status().message();
    oracle_.Resolve(*r);
  }

  uint32_t seed_ = 0;
  int round_ = 0;
  std::mt19937 rng_;
  ::ferrisdb::testing::TestDir dir_;
  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;

  Oracle oracle_;  // every write since the DB was created
};

TEST_P(CrashTest, RecoveryKeepsSyncedWritesAndAConsistentPrefix) {
  OpenOrDie();
  for (round_ = 0; round_ < 12; ++round_) {
    WriteRandomly(50 + rng_() % 150);
    if (HasFatalFailure()) return;
    Crash();
    if (HasFatalFailure()) return;
    OpenOrDie();
    if (HasFatalFailure()) return;
    VerifyRecovered();
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(
    PowerLoss, CrashTest,
    ::testing::Values(
        CrashCase{UnsyncedDataMode::kDrop, 1, "drop"},
        CrashCase{UnsyncedDataMode::kKeepPrefix, 1, "tear-byte"},
        CrashCase{UnsyncedDataMode::kKeepPrefix, 512, "tear-512"},
        CrashCase{UnsyncedDataMode::kKeepPrefix, 4096, "tear-4096"},
        CrashCase{UnsyncedDataMode::kZeroFill, 1, "zero-fill"},
        CrashCase{UnsyncedDataMode::kGarbageFill, 1, "garbage-fill"}),
    [](const ::testing::TestParamInfo<CrashCase>& param_info) {
      std::string name = param_info.param.name;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

// A failed log sync makes the DB refuse writes; after reopening, the
// acknowledged writes are there and the failed one is either wholly there or
// wholly absent.
TEST(CrashErrorTest, FailedSyncIsStickyAndRecoverable) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  auto db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  Oracle oracle;
  ASSERT_THAT(oracle.Put(db->get(), {}, "a", "1"), IsOk());
  env.FailWhen(
      [](const ::ferrisdb::testing::FaultContext& c) {
        return c.op == ::ferrisdb::testing::FaultOp::kSync;
      },
      absl::InternalError("injected EIO"), /*persistent=*/false);
  EXPECT_FALSE(
      oracle.Write(db->get(), {.sync = true}, {{"b", "2"}, {"c", "3"}}).ok());
  absl::Status later = oracle.Put(db->get(), {}, "d", "4");
  EXPECT_FALSE(later.ok());
  EXPECT_NE(std::string(later.message()).find("no longer accepts writes"),
            std::string::npos)
      << later;
  // The live DB shows the acknowledged write and neither failed one.
  oracle.MarkDurable();
  absl::StatusOr<Oracle::Recovered> live =
      oracle.Verify(db->get(), {.max_undetermined_applied = 0});
  EXPECT_TRUE(live.ok()) << live.status().message();
  db->reset();

  // After a reopen the failed batch is wholly there or wholly absent.
  auto reopened = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(reopened, IsOk());
  absl::StatusOr<Oracle::Recovered> r = oracle.Verify(reopened->get());
  ASSERT_TRUE(r.ok()) << r.status().message();
  oracle.Resolve(*r);
  ASSERT_THAT(oracle.Put(reopened->get(), {}, "e", "5"), IsOk());
  oracle.MarkDurable();
  EXPECT_TRUE(oracle.Verify(reopened->get()).ok());
}

// Every injected failure during Open is reported, never a crash, and a later
// Open without faults recovers everything.
TEST(CrashErrorTest, OpenReportsEveryInjectedFailure) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  options.write_buffer_size = 4096;
  {
    auto db = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(db, IsOk());
    for (int i = 0; i < 300; ++i) {
      ASSERT_THAT((*db)->Put({}, absl::StrFormat("k%04d", i), "v"), IsOk());
    }
  }
  int failures_seen = 0;
  for (uint64_t n = 1;; ++n) {
    env.FailCall(n, absl::InternalError("injected failure"), false);
    auto db = DB::Open(options, dir.Sub("db"));
    env.ClearFaults();
    if (db.ok()) {
      // The failure hit no call of Open: every call has been tried.
      for (int i = 0; i < 300; i += 13) {
        ASSERT_THAT((*db)->Get({}, absl::StrFormat("k%04d", i)), IsOk());
      }
      break;
    }
    ++failures_seen;
    ASSERT_LT(n, 2000u) << "Open never succeeds";
  }
  EXPECT_GT(failures_seen, 5);
}

// A process crash keeps unsynced writes in the OS; the next Open replays
// them. They must be made durable before new writes are acknowledged, or a
// later power loss could keep a new synced write and lose the replayed ones
// (a hole). Here: Put(k, v1, sync) ; Delete(k) ; process crash ; reopen ;
// Put(x, sync) ; power loss. k must not come back.
TEST(CrashErrorTest, ReplayedWritesAreDurableBeforeNewOnes) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  WriteOptions sync;
  sync.sync = true;
  {
    auto db = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(db, IsOk());
    ASSERT_THAT((*db)->Put(sync, "k", "v1"), IsOk());
    ASSERT_THAT((*db)->Delete({}, "k"), IsOk());
    // Process crash: nothing more reaches the files, but what the OS has
    // stays (no power loss).
    env.SetFilesystemActive(false);
  }
  env.SetFilesystemActive(true);
  {
    auto db = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(db, IsOk());
    EXPECT_TRUE(absl::IsNotFound((*db)->Get({}, "k").status()));
    ASSERT_THAT((*db)->Put(sync, "x", "1"), IsOk());
    env.SetFilesystemActive(false);
  }
  ASSERT_THAT(env.SimulatePowerLoss({}), IsOk());
  env.SetFilesystemActive(true);
  auto db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  EXPECT_EQ(*(*db)->Get({}, "x"), "1");
  EXPECT_TRUE(absl::IsNotFound((*db)->Get({}, "k").status()))
      << "a deleted key came back";
}

// A failure to create the next log during a memtable switch is not fatal:
// the old log stays in use and a later write switches successfully.
TEST(CrashErrorTest, FailedLogCreationAtSwitchIsRetried) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  options.write_buffer_size = 4096;
  auto db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  env.FailWhen(
      [](const ::ferrisdb::testing::FaultContext& c) {
        return c.op == ::ferrisdb::testing::FaultOp::kNewWritableFile;
      },
      absl::ResourceExhaustedError("injected ENOSPC"), /*persistent=*/false);
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    if (!(*db)
             ->Put({}, absl::StrFormat("k%04d", i), std::string(100, 'v'))
             .ok()) {
      ++failures;
    }
  }
  EXPECT_EQ(failures, 1);
  db->reset();
  db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  int found = 0;
  for (int i = 0; i < 200; ++i) {
    if ((*db)->Get({}, absl::StrFormat("k%04d", i)).ok()) ++found;
  }
  EXPECT_EQ(found, 199);
}

// A failed flush stops writes with the flush's error (no silent loss); the
// data is still in the logs, and a reopen brings it back and flushes it.
TEST(CrashErrorTest, FlushErrorIsStickyAndNothingIsLost) {
  ::ferrisdb::testing::TestDir dir;
  FaultInjectionEnv env;
  Options options;
  options.env = &env;
  options.write_buffer_size = 4096;
  auto db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  env.FailWhen(
      [](const ::ferrisdb::testing::FaultContext& c) {
        return c.op == ::ferrisdb::testing::FaultOp::kAppend &&
               c.path.size() > 4 && c.path.substr(c.path.size() - 4) == ".sst";
      },
      absl::ResourceExhaustedError("injected ENOSPC"), /*persistent=*/true);
  int acknowledged = 0;
  for (int i = 0; i < 500; ++i) {
    if (!(*db)
             ->Put({}, absl::StrFormat("k%04d", i), std::string(100, 'v'))
             .ok()) {
      break;
    }
    ++acknowledged;
  }
  absl::Status flush = (*db)->Flush();
  EXPECT_TRUE(absl::IsResourceExhausted(flush)) << flush;
  EXPECT_NE(std::string(flush.message()).find("flush failed"),
            std::string::npos)
      << flush;
  EXPECT_FALSE((*db)->Put({}, "after", "x").ok());
  db->reset();
  env.ClearFaults();

  db = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(db, IsOk());
  for (int i = 0; i < acknowledged; ++i) {
    ASSERT_THAT((*db)->Get({}, absl::StrFormat("k%04d", i)), IsOk()) << i;
  }
  ASSERT_THAT((*db)->Flush(), IsOk());
  ASSERT_THAT((*db)->Put({}, "after", "x"), IsOk());
}

// Creating a database, interrupted by a power loss at every step: the next
// Open always succeeds (never "CURRENT missing" or a dangling manifest).
TEST(CrashErrorTest, CrashAtEveryStepOfCreatingADatabase) {
  for (uint64_t n = 1;; ++n) {
    ::ferrisdb::testing::TestDir dir;
    FaultInjectionEnv env;
    Options options;
    options.env = &env;
    env.FailCall(n, absl::InternalError("power cut"), /*persistent=*/true);
    auto db = DB::Open(options, dir.Sub("db"));
    const bool created = db.ok();
    env.SetFilesystemActive(false);
    db = absl::InternalError("dropped");  // closes the DB, if any
    env.ClearFaults();
    ASSERT_THAT(env.SimulatePowerLoss({}), IsOk());
    env.SetFilesystemActive(true);
    auto reopened = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(reopened, IsOk()) << "power cut at call " << n;
    ASSERT_THAT((*reopened)->Put({}, "k", "v"), IsOk());
    if (created) break;  // the cut came after the last call of Open
    ASSERT_LT(n, 200u);
  }
}

}  // namespace
}  // namespace ferrisdb
