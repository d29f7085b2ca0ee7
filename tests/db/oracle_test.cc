// The shared oracle (testutil/oracle.h) must catch what it is for, and must
// accept exactly the states a crash or an I/O error can leave: these cases
// write behind its back to build each state.
#include "testutil/oracle.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::Oracle;
using ::ferrisdb::testing::TestDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr WriteOptions kSync{.sync = true};
constexpr WriteOptions kNoSync{.sync = false};

class OracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRISDB_ASSERT_OK_AND_ASSIGN(db_, DB::Open(Options(), dir_.Sub("db")));
  }

  // Records a write that failed without touching the DB.
  void RecordFailedWrite(std::vector<Oracle::Update> updates) {
    const size_t i = oracle_.BeginWrite(std::move(updates), /*sync=*/false);
    oracle_.EndWrite(i, absl::UnavailableError("injected"));
  }

  // The message of a Verify that must fail.
  std::string Violation(const Oracle::VerifyOptions& options = {}) {
    absl::StatusOr<Oracle::Recovered> r = oracle_.Verify(db_.get(), options);
    EXPECT_FALSE(r.ok()) << "Verify accepted a state it must reject";
    return std::string(r.status().message());
  }

  TestDir dir_;
  std::unique_ptr<DB> db_;
  Oracle oracle_;
};

TEST_F(OracleTest, FlagsWrongLostAndResurrectedValues) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kSync, "a", "a1"));
  FERRISDB_ASSERT_OK(oracle_.Delete(db_.get(), kNoSync, "b"));
  FERRISDB_ASSERT_OK(oracle_.Verify(db_.get()));

  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "a", "bogus"));
  EXPECT_THAT(Violation(), HasSubstr("(5) wrong value"));

  FERRISDB_ASSERT_OK(db_->Delete(kNoSync, "a"));
  EXPECT_THAT(Violation(), HasSubstr("(1) synced"));

  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "a", "a1"));
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "b", "b1"));
  FERRISDB_ASSERT_OK(oracle_.Delete(db_.get(), kSync, "b"));
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "b", "b1"));
  EXPECT_THAT(Violation(), HasSubstr("(3) deleted key came back"));
}

TEST_F(OracleTest, KeyAddedWithoutWriteMustStayAbsent) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kSync, "a", "a1"));
  oracle_.AddKey("ghost");
  FERRISDB_ASSERT_OK(oracle_.Verify(db_.get()));
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "ghost", "boo"));
  EXPECT_THAT(Violation(), HasSubstr("\"ghost\": read \"boo\""));
}

// A failed write in the middle of the history may be in the state (its
// record reached the log before the error) or not, at its own place.
TEST_F(OracleTest, FailedWriteMayBeAppliedAtItsPlaceOrNot) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "a", "a1"));
  RecordFailedWrite({{"b", "b-failed"}, {"a", "a-failed"}});
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "c", "c1"));
  oracle_.MarkDurable();

  FERRISDB_ASSERT_OK_AND_ASSIGN(Oracle::Recovered absent,
                                oracle_.Verify(db_.get()));
  EXPECT_EQ(absent.prefix, 3u);
  EXPECT_THAT(absent.undetermined_absent, ElementsAre(1));
  EXPECT_THAT(absent.undetermined_applied, IsEmpty());
  EXPECT_EQ(absent.updates, 2u);

  // Half of the failed batch: a torn batch, never admissible.
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "b", "b-failed"));
  EXPECT_THAT(Violation(), HasSubstr("(4) batch #1 appears applied in part"));

  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "a", "a-failed"));
  FERRISDB_ASSERT_OK_AND_ASSIGN(Oracle::Recovered applied,
                                oracle_.Verify(db_.get()));
  EXPECT_THAT(applied.undetermined_applied, ElementsAre(1));
  EXPECT_THAT(applied.undetermined_absent, IsEmpty());
  EXPECT_EQ(applied.updates, 4u);

  // Resolve makes the choice final: the failed write is history now, and a
  // later state without it is a lost write.
  oracle_.Resolve(applied);
  ASSERT_EQ(oracle_.writes().size(), 3u);
  EXPECT_TRUE(oracle_.writes()[1].applied_after_all);
  FERRISDB_ASSERT_OK(oracle_.Verify(db_.get()));
  FERRISDB_ASSERT_OK(db_->Delete(kNoSync, "b"));
  EXPECT_FALSE(oracle_.Verify(db_.get()).ok());
}

TEST_F(OracleTest, FailedWriteCannotLandAfterALaterWrite) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "a", "a1"));
  RecordFailedWrite({{"a", "a-failed"}});
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "a", "a2"));
  oracle_.MarkDurable();
  FERRISDB_ASSERT_OK(oracle_.Verify(db_.get()));
  // The failed write's value over the acknowledged write that followed it.
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "a", "a-failed"));
  EXPECT_THAT(Violation(), HasSubstr("\"a\": read \"a-failed\""));
}

TEST_F(OracleTest, AtMostTheAllowedNumberOfFailedWritesApply) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "a", "a1"));
  RecordFailedWrite({{"b", "b-failed"}});
  RecordFailedWrite({{"c", "c-failed"}});
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "d", "d1"));
  oracle_.MarkDurable();
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "b", "b-failed"));
  FERRISDB_ASSERT_OK(db_->Put(kNoSync, "c", "c-failed"));
  EXPECT_THAT(Violation(), HasSubstr("undetermined write(s)"));
  FERRISDB_ASSERT_OK_AND_ASSIGN(
      Oracle::Recovered r,
      oracle_.Verify(db_.get(), {.max_undetermined_applied = 2}));
  EXPECT_THAT(r.undetermined_applied, ElementsAre(1, 2));
}

// Writers that own disjoint keys, each with a write in flight at the crash:
// any subset of the writes in flight may be in the state.
TEST_F(OracleTest, WritesInFlightOfSeveralWritersApplyInAnySubset) {
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "t0-a", "1"));
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "t1-a", "1"));
  oracle_.MarkDurable();
  oracle_.BeginWrite({{"t0-a", "2"}, {"t0-b", "2"}}, /*sync=*/false);
  oracle_.BeginWrite({{"t1-a", std::nullopt}}, /*sync=*/false);
  const Oracle::VerifyOptions two{.max_undetermined_applied = 2};
  for (int mask = 0; mask < 4; ++mask) {
    SCOPED_TRACE(mask);
    FERRISDB_ASSERT_OK(db_->Put(kNoSync, "t0-a", mask & 1 ? "2" : "1"));
    if (mask & 1) {
      FERRISDB_ASSERT_OK(db_->Put(kNoSync, "t0-b", "2"));
    } else {
      FERRISDB_ASSERT_OK(db_->Delete(kNoSync, "t0-b"));
    }
    if (mask & 2) {
      FERRISDB_ASSERT_OK(db_->Delete(kNoSync, "t1-a"));
    } else {
      FERRISDB_ASSERT_OK(db_->Put(kNoSync, "t1-a", "1"));
    }
    FERRISDB_ASSERT_OK_AND_ASSIGN(Oracle::Recovered r,
                                  oracle_.Verify(db_.get(), two));
    EXPECT_EQ(r.undetermined_applied.size(),
              static_cast<size_t>((mask & 1) + (mask >> 1)));
  }
  // An acknowledged write lost is still a violation.
  FERRISDB_ASSERT_OK(db_->Delete(kNoSync, "t0-a"));
  EXPECT_THAT(Violation(two), HasSubstr("\"t0-a\": read NotFound"));
}

TEST_F(OracleTest, LastSequenceMustCountTheUpdatesOfTheState) {
  FERRISDB_ASSERT_OK(oracle_.Write(db_.get(), kNoSync,
                                   {{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}));
  FERRISDB_ASSERT_OK(oracle_.Put(db_.get(), kNoSync, "a", "a2"));
  oracle_.MarkDurable();
  FERRISDB_ASSERT_OK(oracle_.Verify(db_.get(), {.last_sequence = 4}));
  EXPECT_THAT(Violation({.last_sequence = 5}),
              HasSubstr("last sequence number is 5"));
}

}  // namespace
}  // namespace ferrisdb
