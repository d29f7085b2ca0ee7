// How a read picks its view and sequence without the DB mutex: a flush and
// a compaction that run between the read's two loads must not let it see a
// state that never existed (a deleted key back, an older value).
#include <memory>
#include <optional>
#include <string>

#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;

class ReadViewTest : public ::testing::Test {
 protected:
  void Open(const Options& options) {
    db_.reset();
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dir_.path());
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }

  // Leaves `old_key` = old_value in a level >= 2 and a deletion of it
  // in level 0, with the DB reopened so that two level-0 files start a
  // compaction into level 1 (and no deeper: level 1 is far below target).
  void DeletedKeyOverAnOldValue(const std::string& old_key,
                                const std::string& old_value) {
    Options options;
    options.create_if_missing = true;
    // Every level of 1 byte x 10^n: the table sinks to a deep level.
    options.max_bytes_for_level_base = 1;
    options.level0_file_num_compaction_trigger = 1;
    Open(options);
    ASSERT_THAT(db_->Put({}, old_key, old_value), IsOk());
    ASSERT_THAT(db_->Put({}, "other", "x"), IsOk());
    ASSERT_THAT(db_->Flush(), IsOk());
    ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
    const std::shared_ptr<const Version> v = impl()->TEST_CurrentVersion();
    for (int level = 0; level < kNumLevels; ++level) {
      if (!v->files(level).empty()) deep_level_ = level;
    }
    ASSERT_GE(deep_level_, 2) << v->DebugString();
    ASSERT_EQ(v->NumFiles(), 1u) << v->DebugString();
    options.max_bytes_for_level_base = Options().max_bytes_for_level_base;
    options.level0_file_num_compaction_trigger = 2;
    Open(options);
    ASSERT_THAT(db_->Delete({}, old_key), IsOk());
    ASSERT_THAT(db_->Flush(), IsOk());
    ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
    ASSERT_EQ(impl()->TEST_CurrentVersion()->files(0).size(), 1u);
  }

  // Writes key = value, flushes it and waits for the level-0 compaction it
  // starts: the compaction keeps the new value and drops the deletion under
  // it (only a read older than the new value needed it), while the old
  // value stays where it was.
  void OverwriteFlushAndCompactLevel0(const std::string& key,
                                      const std::string& value) {
    ASSERT_THAT(db_->Put({}, key, value), IsOk());
    ASSERT_THAT(db_->Flush(), IsOk());
    ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
    const std::shared_ptr<const Version> v = impl()->TEST_CurrentVersion();
    ASSERT_EQ(v->files(0).size(), 0u) << v->DebugString();
    ASSERT_EQ(v->files(1).size(), 1u) << v->DebugString();
    ASSERT_EQ(v->files(deep_level_).size(), 1u) << v->DebugString();
  }

  ::ferrisdb::testing::TestDir dir_;
  std::unique_ptr<DB> db_;
  int deep_level_ = -1;  // where DeletedKeyOverAnOldValue left the old value
};

// While a Get of k is between its loads, k is written again (v1), flushed
// and compacted. The Get must answer v1 (or, as of before the write, "not
// found"), never the deleted v0: with the sequence loaded before the view,
// it read v0 through the new view.
TEST_F(ReadViewTest, CompactionBetweenTheLoadsCannotBringBackADeletedKey) {
  ASSERT_NO_FATAL_FAILURE(DeletedKeyOverAnOldValue("k", "v0"));
  bool hook_ran = false;
  impl()->TEST_SetReadViewHook([&] {
    hook_ran = true;
    OverwriteFlushAndCompactLevel0("k", "v1");
  });
  absl::StatusOr<std::string> got = db_->Get({}, "k");
  ASSERT_TRUE(hook_ran);
  if (got.ok()) {
    EXPECT_EQ(*got, "v1");
  } else {
    EXPECT_TRUE(absl::IsNotFound(got.status())) << got.status();
  }
  got = db_->Get({}, "k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, "v1");
}

// The same for an iterator: what it shows is one state that existed.
TEST_F(ReadViewTest, IteratorStateIsOneThatExisted) {
  ASSERT_NO_FATAL_FAILURE(DeletedKeyOverAnOldValue("a", "a0"));
  impl()->TEST_SetReadViewHook(
      [&] { OverwriteFlushAndCompactLevel0("a", "a1"); });
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  std::string seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen += std::string(it->key()) + "=" + std::string(it->value()) + ";";
  }
  ASSERT_THAT(it->status(), IsOk());
  // Before the write: a deleted; after it: a1. Never a0.
  EXPECT_TRUE(seen == "other=x;" || seen == "a=a1;other=x;") << seen;
}

}  // namespace
}  // namespace ferrisdb
