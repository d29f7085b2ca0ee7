// Functional tests of the DB API, reads and writes: Put, Get, Delete and
// WriteBatch, empty and embedded-NUL keys and values, size limits, data and
// sequence numbers across reopens, concurrent writers.
// The other DBTest cases: db_test_snapshots_iterators.cc, db_test_tables.cc,
// db_test_open.cc; the fixture: db_test_fixture.h.
#include "ferrisdb/db.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db_test_fixture.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"

namespace ferrisdb::db_test {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

TEST_F(DBTest, EmptyDatabase) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Scan(), "");
  EXPECT_EQ(ReverseScan(), "");
}

TEST_F(DBTest, PutGetDelete) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  ASSERT_THAT(db_->Put({}, "b", "2"), IsOk());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_THAT(db_->Put({}, "a", "3"), IsOk());
  EXPECT_EQ(Get("a"), "3");
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_THAT(db_->Get({}, "a"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(db_->Delete({}, "never-written"), IsOk());
  EXPECT_EQ(Get("b"), "2");
}

TEST_F(DBTest, EmptyKeysAndValuesAndEmbeddedNuls) {
  Open();
  const std::string nul_key("a\0b", 3);
  const std::string nul_value("\0\0\0", 3);
  ASSERT_THAT(db_->Put({}, "", "empty-key"), IsOk());
  ASSERT_THAT(db_->Put({}, "empty-value", ""), IsOk());
  ASSERT_THAT(db_->Put({}, nul_key, nul_value), IsOk());
  ASSERT_THAT(db_->Put({}, "a", "plain"), IsOk());
  Reopen();
  EXPECT_EQ(Get(""), "empty-key");
  EXPECT_EQ(Get("empty-value"), "");
  EXPECT_EQ(Get(nul_key), nul_value);
  EXPECT_EQ(Get("a"), "plain");
  EXPECT_EQ(Get(std::string("a\0", 2)), "NOT_FOUND");
}

TEST_F(DBTest, KeyAndValueLimits) {
  Open();
  const std::string max_key(kMaxKeySize, 'k');
  ASSERT_THAT(db_->Put({}, max_key, "v"), IsOk());
  EXPECT_EQ(Get(max_key), "v");
  EXPECT_THAT(db_->Put({}, std::string(kMaxKeySize + 1, 'k'), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(db_->Delete({}, std::string(kMaxKeySize + 1, 'k')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(db_->Get({}, std::string(kMaxKeySize + 1, 'k')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A rejected batch leaves nothing behind, not even its valid entries.
  WriteBatch batch;
  batch.Put("valid", "1");
  batch.Put("big", std::string(kMaxValueSize + 1, 'v'));
  EXPECT_THAT(db_->Write({}, &batch),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Get("valid"), "NOT_FOUND");
}

TEST_F(DBTest, LargeValuesSurviveReopen) {
  Open();
  std::string big(64 << 20, '\0');
  for (size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>(i >> 12);
  ASSERT_THAT(db_->Put({}, "big", big), IsOk());
  Reopen();
  EXPECT_TRUE(Get("big") == big);
}

TEST_F(DBTest, WriteBatchIsAtomicAndOrdered) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "old"), IsOk());
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("a");
  batch.Put("a", "2");
  batch.Put("b", "3");
  ASSERT_THAT(db_->Write({}, &batch), IsOk());
  EXPECT_EQ(Scan(), "a=2 b=3");
  ASSERT_THAT(db_->Write({}, nullptr), IsOk());
  WriteOptions sync;
  sync.sync = true;
  ASSERT_THAT(db_->Write(sync, nullptr), IsOk());
  WriteBatch empty;
  ASSERT_THAT(db_->Write(sync, &empty), IsOk());
}

TEST_F(DBTest, DataSurvivesReopenAndSequencesContinue) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  ASSERT_THAT(db_->Put({}, "b", "2"), IsOk());
  const SequenceNumber before =
      static_cast<DBImpl*>(db_.get())->TEST_LastSequence();
  Reopen();
  EXPECT_EQ(static_cast<DBImpl*>(db_.get())->TEST_LastSequence(), before);
  EXPECT_EQ(Scan(), "b=2");
  ASSERT_THAT(db_->Put({}, "c", "3"), IsOk());
  Reopen();
  Reopen();
  EXPECT_EQ(Scan(), "b=2 c=3");
  EXPECT_EQ(static_cast<DBImpl*>(db_.get())->TEST_LastSequence(), before + 1);
}

TEST_F(DBTest, ConcurrentWritersAllLand) {
  Open();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      WriteOptions wo;
      for (int i = 0; i < kPerThread; ++i) {
        wo.sync = (i % 50 == 0);
        WriteBatch batch;
        batch.Put(absl::StrFormat("t%d-%04d", t, i), "x");
        batch.Put(absl::StrFormat("t%d-last", t), absl::StrFormat("%d", i));
        if (!db_->Write(wo, &batch).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  Reopen();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Get(absl::StrFormat("t%d-last", t)),
              absl::StrFormat("%d", kPerThread - 1));
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ(Get(absl::StrFormat("t%d-%04d", t, i)), "x");
    }
  }
  EXPECT_EQ(static_cast<DBImpl*>(db_.get())->TEST_LastSequence(),
            uint64_t{kThreads} * kPerThread * 2);
}

}  // namespace
}  // namespace ferrisdb::db_test
