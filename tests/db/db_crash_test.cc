// Crash tests with the fault-injection Env: random writes (single and batch,
// synced and not), then a simulated power loss in one of several forms, then
// recovery. After every recovery the database must equal the effect of a
// prefix of the acknowledged writes, in sequence order, that includes every
// write acknowledged with sync=true (and every write before it): no synced
// write lost, no hole, no batch visible in part, no deleted key back.
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
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::PowerLossOptions;
using ::ferrisdb::testing::UnsyncedDataMode;
using Model = std::map<std::string, std::string>;

// One acknowledged write: its updates (nullopt value = delete) and the
// sequence number of its last update.
struct AckedWrite {
  std::vector<std::pair<std::string, std::optional<std::string>>> updates;
  SequenceNumber last_sequence;
};

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
  }

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

  // Applies random writes, recording the acknowledged ones.
  void WriteRandomly(int n) {
    for (int i = 0; i < n; ++i) {
      AckedWrite write;
      WriteBatch batch;
      const int updates = rng_() % 4 == 0 ? 1 + rng_() % 8 : 1;
      for (int u = 0; u < updates; ++u) {
        const std::string key = absl::StrFormat("k%03d", rng_() % 150);
        if (rng_() % 4 == 0) {
          batch.Delete(key);
          write.updates.emplace_back(key, std::nullopt);
        } else {
          const std::string value =
              absl::StrFormat("r%d-w%d-%s", round_, i,
                              std::string(rng_() % 300, 'a' + rng_() % 26));
          batch.Put(key, value);
          write.updates.emplace_back(key, value);
        }
      }
      WriteOptions wo;
      wo.sync = rng_() % 10 == 0;
      ASSERT_THAT(db_->Write(wo, &batch), IsOk()) << Context();
      write.last_sequence = LastSequence();
      writes_.push_back(std::move(write));
      if (wo.sync) synced_writes_ = writes_.size();
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

  // Checks the recovered DB against the prefix of writes_ ending at the
  // recovered sequence number, and truncates writes_ to that prefix.
  void VerifyRecovered() {
    const SequenceNumber recovered = LastSequence();
    size_t prefix = 0;
    while (prefix < writes_.size() &&
           writes_[prefix].last_sequence <= recovered) {
      ++prefix;
    }
    const SequenceNumber prefix_end =
        prefix == 0 ? base_sequence_ : writes_[prefix - 1].last_sequence;
    ASSERT_EQ(recovered, prefix_end)
        << Context() << ": recovered sequence ends inside a batch";
    ASSERT_GE(prefix, synced_writes_)
        << Context() << ": lost " << synced_writes_ - prefix
        << " writes acknowledged as synced";

    Model expected = base_model_;
    for (size_t i = 0; i < prefix; ++i) {
      for (const auto& [key, value] : writes_[i].updates) {
        if (value.has_value()) {
          expected[key] = *value;
        } else {
          expected.erase(key);
        }
      }
    }
    Model actual;
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      actual.emplace(std::string(it->key()), std::string(it->value()));
    }
    ASSERT_THAT(it->status(), IsOk()) << Context();
    ASSERT_EQ(actual.size(), expected.size()) << Context();
    ASSERT_TRUE(actual == expected) << Context();
    for (const auto& [key, value] : expected) {
      absl::StatusOr<std::string> got = db_->Get({}, key);
      ASSERT_THAT(got, IsOk()) << Context() << " key " << key;
      ASSERT_EQ(*got, value) << Context();
    }
    // Deleted keys stay deleted in Get too.
    for (int k = 0; k < 150; ++k) {
      const std::string key = absl::StrFormat("k%03d", k);
      if (expected.count(key) == 0) {
        ASSERT_TRUE(absl::IsNotFound(db_->Get({}, key).status()))
            << Context() << " key " << key << " came back";
      }
    }

    // What survived is the new baseline.
    base_model_ = std::move(expected);
    base_sequence_ = recovered;
    writes_.clear();
    synced_writes_ = 0;
  }

  uint32_t seed_ = 0;
  int round_ = 0;
  std::mt19937 rng_;
  ::ferrisdb::testing::TestDir dir_;
  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;

  Model base_model_;  // state at base_sequence_, known durable
  SequenceNumber base_sequence_ = 0;
  std::vector<AckedWrite> writes_;  // acknowledged since the baseline
  size_t synced_writes_ = 0;        // writes_[0, synced_writes_) are durable
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
  ASSERT_THAT((*db)->Put({}, "a", "1"), IsOk());
  env.FailWhen(
      [](const ::ferrisdb::testing::FaultContext& c) {
        return c.op == ::ferrisdb::testing::FaultOp::kSync;
      },
      absl::InternalError("injected EIO"), /*persistent=*/false);
  WriteOptions sync;
  sync.sync = true;
  WriteBatch batch;
  batch.Put("b", "2");
  batch.Put("c", "3");
  EXPECT_FALSE((*db)->Write(sync, &batch).ok());
  absl::Status later = (*db)->Put({}, "d", "4");
  EXPECT_FALSE(later.ok());
  EXPECT_NE(std::string(later.message()).find("no longer accepts writes"),
            std::string::npos)
      << later;
  EXPECT_EQ(*(*db)->Get({}, "a"), "1");
  db->reset();

  auto reopened = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(*(*reopened)->Get({}, "a"), "1");
  const bool b = (*reopened)->Get({}, "b").ok();
  const bool c = (*reopened)->Get({}, "c").ok();
  EXPECT_EQ(b, c) << "batch applied in part";
  EXPECT_TRUE(absl::IsNotFound((*reopened)->Get({}, "d").status()));
  ASSERT_THAT((*reopened)->Put({}, "e", "5"), IsOk());
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
