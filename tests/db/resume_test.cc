// DB::Resume: after an I/O error of a write, a flush, a manifest update or a
// compaction, the DB refuses writes; once the fault is gone Resume puts it
// back into service. Checked by the shared oracle (testutil/oracle.h): every
// acknowledged write is there (before and after a reopen), no failed write
// ever appears, the last sequence number counts exactly the updates found,
// and the files verify.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/write_batch.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/oracle.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FaultContext;
using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::FaultOp;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

using ::ferrisdb::testing::Oracle;

std::string Key(int i) { return absl::StrFormat("key%05d", i); }

class ResumeTest : public ::testing::Test {
 protected:
  ResumeTest() : path_(dir_.Sub("db")) {
    options_.env = &env_;
    options_.write_buffer_size = 8 << 10;  // a flush every ~60 writes
    options_.target_file_size = 8 << 10;
    options_.level0_file_num_compaction_trigger = 2;
    options_.max_bytes_for_level_base = 32 << 10;
    options_.max_bytes_for_level_multiplier = 4;
    ResetOracle();
  }

  void Open() {
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, path_);
    ASSERT_THAT(db.status(), IsOk());
    db_ = *std::move(db);
  }

  // Forgets the DB's history (for a fresh DB).
  void ResetOracle() {
    oracle_ = Oracle();
    for (int k = 0; k < 400; ++k) oracle_.AddKey(Key(k));
  }

  // A put (as a two-key batch every 5th time, sync every 7th), recorded by
  // the oracle with its outcome.
  absl::Status Write(int i) {
    const std::string value =
        absl::StrFormat("v%d-%s", i, std::string(90, 'x'));
    std::vector<Oracle::Update> updates = {{Key(i % 400), value}};
    if (i % 5 == 0) updates.push_back({Key((i + 13) % 400), std::nullopt});
    return oracle_.Write(db_.get(), {.sync = i % 7 == 0}, updates);
  }

  // The DB holds exactly the acknowledged writes and no failed one (a write
  // that failed is never applied once Resume or a reopen has run), with a
  // last sequence number that counts exactly their updates: Get of every
  // key, scans both ways, through the oracle.
  void ExpectModel(const std::string& when) {
    oracle_.MarkDurable();
    absl::StatusOr<Oracle::Recovered> r = oracle_.Verify(
        db_.get(), {.max_undetermined_applied = 0,
                    .last_sequence =
                        static_cast<DBImpl*>(db_.get())->TEST_LastSequence()});
    ASSERT_TRUE(r.ok()) << when << ": " << r.status().message();
  }

  // Writes until one fails (at most `limit` writes). The index of the
  // failed write, or nullopt.
  std::optional<int> WriteUntilError(int* next, int limit) {
    for (int n = 0; n < limit; ++n) {
      const int i = (*next)++;
      if (!Write(i).ok()) return i;
    }
    return std::nullopt;
  }

  testing::TestDir dir_;
  const std::string path_;
  FaultInjectionEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
  Oracle oracle_;
};

// Faults that make writes fail until the fault clears and Resume runs.
struct FaultCase {
  const char* name;
  FaultOp op;
  const char* file_suffix;  // of the file the fault hits
  // Whether the DB enters the sticky error state. Not for a log that cannot
  // be created: the old log stays in use and each write that needs the
  // switch retries it (and fails while the fault lasts).
  enum class Sticky { kYes, kNo, kEither } sticky;
};

constexpr FaultCase kFaultCases[] = {
    {"wal append", FaultOp::kAppend, ".log", FaultCase::Sticky::kYes},
    {"wal sync", FaultOp::kSync, ".log", FaultCase::Sticky::kYes},
    {"table write", FaultOp::kAppend, ".sst", FaultCase::Sticky::kYes},
    {"table sync", FaultOp::kSync, ".sst", FaultCase::Sticky::kYes},
    {"manifest append", FaultOp::kAppend, "MANIFEST", FaultCase::Sticky::kYes},
    // A new log's directory sync (not sticky) or, if a flush or compaction
    // is running when the fault is armed, that job's (sticky).
    {"directory sync", FaultOp::kSyncDir, "", FaultCase::Sticky::kEither},
    {"new log", FaultOp::kNewWritableFile, ".log", FaultCase::Sticky::kNo},
};

bool Matches(const FaultCase& fc, const FaultContext& c) {
  if (c.op != fc.op) return false;
  const std::string_view suffix = fc.file_suffix;
  if (suffix == "MANIFEST") {
    return c.path.find("MANIFEST-") != std::string_view::npos;
  }
  return c.path.size() >= suffix.size() &&
         c.path.substr(c.path.size() - suffix.size()) == suffix;
}

TEST_F(ResumeTest, EachFaultIsStickyUntilResumeAfterItClears) {
  for (const FaultCase& fc : kFaultCases) {
    SCOPED_TRACE(fc.name);
    db_.reset();
    ResetOracle();
    ASSERT_THAT(DestroyDB(path_, options_), IsOk());
    Open();
    int next = 0;
    ASSERT_FALSE(WriteUntilError(&next, 150).has_value());

    env_.FailWhen([&fc](const FaultContext& c) { return Matches(fc, c); },
                  absl::UnavailableError("injected"), /*persistent=*/true);
    // Writes (with their flushes and compactions) until the fault bites; a
    // background failure shows at the next write.
    std::optional<int> failed = WriteUntilError(&next, 2000);
    ASSERT_TRUE(failed.has_value()) << "the fault never hit";
    // Later writes fail too, and so does Resume while the fault persists
    // (a non-sticky error leaves Resume nothing to do); reads still work.
    EXPECT_FALSE(Write(next++).ok());
    const bool resumed = db_->Resume().ok();
    if (fc.sticky != FaultCase::Sticky::kEither) {
      EXPECT_EQ(resumed, fc.sticky == FaultCase::Sticky::kNo);
    }
    EXPECT_FALSE(Write(next++).ok());
    ExpectModel("while read-only");

    env_.ClearFaults();
    // A flush or compaction that met the fault may still be finishing: let
    // it report (its error becomes sticky) before resuming.
    static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions().IgnoreError();
    ASSERT_THAT(db_->Resume(), IsOk());
    ASSERT_THAT(db_->Resume(), IsOk()) << "a second Resume is a no-op";
    ASSERT_FALSE(WriteUntilError(&next, 300).has_value());
    ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
    ExpectModel("after Resume");
    EXPECT_THAT(db_->VerifyChecksums(), IsOk());
    db_.reset();
    Open();
    ExpectModel("after reopen");
  }
}

TEST_F(ResumeTest, ResumeWithoutAnErrorDoesNothing) {
  Open();
  int next = 0;
  ASSERT_FALSE(WriteUntilError(&next, 100).has_value());
  const uint64_t calls = env_.call_count();
  ASSERT_THAT(db_->Resume(), IsOk());
  EXPECT_EQ(env_.call_count(), calls) << "Resume touched the files";
  ExpectModel("after a no-op Resume");
}

// The failed write group's record may be complete in the old log (the fault
// struck its sync, after the append): it must never be replayed, although
// the writes after Resume reuse its sequence numbers.
TEST_F(ResumeTest, AFailedSyncedWriteNeverComesBack) {
  Open();
  int next = 0;
  ASSERT_FALSE(WriteUntilError(&next, 40).has_value());
  env_.FailWhen(
      [](const FaultContext& c) {
        return c.op == FaultOp::kSync && c.path.ends_with(".log");
      },
      absl::UnavailableError("injected sync failure"), /*persistent=*/false);
  WriteOptions sync;
  sync.sync = true;
  ASSERT_FALSE(oracle_.Put(db_.get(), sync, "ghost", "must never appear").ok());
  ASSERT_THAT(db_->Resume(), IsOk());
  EXPECT_THAT(db_->Get({}, "ghost").status(),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(oracle_.Put(db_.get(), sync, "after", "resume"), IsOk());
  ExpectModel("after Resume");
  db_.reset();
  Open();  // paranoid_checks: the sequence numbers of the logs line up
  EXPECT_THAT(db_->Get({}, "ghost").status(),
              StatusIs(absl::StatusCode::kNotFound));
  ExpectModel("after reopen");
}

// SQLite-style: fail call N once, for every N of a workload; each error is
// answered with Resume (retried, as Resume's own I/O may be call N), and
// the workload goes on. Nothing acknowledged is lost, nothing failed shows.
TEST_F(ResumeTest, EveryCallFailingOnceIsSurvivedWithResume) {
  uint64_t total_calls = 0;
  {
    Open();
    const uint64_t start = env_.call_count();
    int next = 0;
    ASSERT_FALSE(WriteUntilError(&next, 200).has_value());
    total_calls = env_.call_count() - start;
    db_.reset();
  }
  // About 40 failure points spread over the workload (each run reopens the
  // DB twice); io_error_loop_test fails every call, with reopens.
  const uint64_t step = total_calls > 40 ? total_calls / 40 : 1;
  int resumes = 0;
  for (uint64_t n = 1; n <= total_calls; n += step) {
    SCOPED_TRACE(absl::StrFormat("call %d of %d fails", n, total_calls));
    db_.reset();
    ResetOracle();
    ASSERT_THAT(DestroyDB(path_, options_), IsOk());
    Open();
    env_.FailCall(n, absl::InternalError("injected EIO"), /*persistent=*/false);
    int next = 0;
    while (next < 200) {
      if (Write(next++).ok()) continue;
      absl::Status r = db_->Resume();
      for (int attempt = 0; !r.ok() && attempt < 3; ++attempt) {
        r = db_->Resume();
      }
      ASSERT_THAT(r, IsOk());
      ++resumes;
    }
    env_.ClearFaults();
    ExpectModel("end of workload");
    db_.reset();
    Open();
    ExpectModel("after reopen");
  }
  EXPECT_GT(resumes, 0) << "no injected failure reached a write";
}

}  // namespace
}  // namespace ferrisdb
