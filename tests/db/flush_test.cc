// A flush writes what a read can still see, not every version the memtable
// holds: an entry shadowed by a newer entry of the same key that every
// possible read sees (the newer one's sequence is at or below the oldest
// snapshot and Options::history_horizon) is left out, as compaction does.
// Deletions stay (older tables may hold the key).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "testutil/status_matchers.h"
#include "testutil/table_entries.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;

class FlushTest : public ::testing::Test {
 protected:
  FlushTest() : path_(dir_.Sub("db")) {
    options_.write_buffer_size = 4 << 20;  // flushes only when asked
    options_.level0_file_num_compaction_trigger = 20;
  }

  void Open() {
    auto db = DB::Open(options_, path_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  // Every entry of the level-0 tables, as "user_key@sequence=value" (or
  // "user_key@sequence del"), in table order.
  std::vector<std::string> Level0Entries() {
    std::vector<std::string> entries;
    const std::shared_ptr<const Version> v =
        static_cast<DBImpl*>(db_.get())->TEST_CurrentVersion();
    for (const auto& f : v->files(0)) {
      auto table = ::ferrisdb::testing::ReadTableEntries(path_, *f);
      EXPECT_THAT(table, IsOk());
      if (!table.ok()) continue;
      for (const auto& [key, value] : *table) {
        ParsedInternalKey parsed;
        EXPECT_TRUE(ParseInternalKey(key, &parsed));
        std::string entry = std::string(parsed.user_key) + "@" +
                            std::to_string(parsed.sequence);
        entry += parsed.type == ValueType::kDeletion ? " del" : "=" + value;
        entries.push_back(std::move(entry));
      }
    }
    return entries;
  }

  std::string Get(const std::string& key, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> v = db_->Get(ro, key);
    if (absl::IsNotFound(v.status())) return "NOT_FOUND";
    return v.ok() ? *v : v.status().ToString();
  }

  ::ferrisdb::testing::TestDir dir_;
  const std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(FlushTest, LeavesOutVersionsNoReadCanSee) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "a1"), IsOk());  // 1
  ASSERT_THAT(db_->Put({}, "a", "a2"), IsOk());  // 2
  ASSERT_THAT(db_->Put({}, "b", "b1"), IsOk());  // 3
  ASSERT_THAT(db_->Delete({}, "b"), IsOk());     // 4
  ASSERT_THAT(db_->Put({}, "c", "c1"), IsOk());  // 5
  ASSERT_THAT(db_->Put({}, "a", "a3"), IsOk());  // 6
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(Level0Entries(),
            (std::vector<std::string>{"a@6=a3", "b@4 del", "c@5=c1"}));
  EXPECT_EQ(Get("a"), "a3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  // The deletion still hides an older table's value.
  ASSERT_THAT(db_->Put({}, "d", "d1"), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  ASSERT_THAT(db_->Delete({}, "d"), IsOk());
  ASSERT_THAT(db_->Put({}, "d", "d2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "d"), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(Get("d"), "NOT_FOUND");
  db_.reset();
  Open();
  EXPECT_EQ(Get("a"), "a3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Get("d"), "NOT_FOUND");
}

TEST_F(FlushTest, KeepsVersionsASnapshotSees) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "a1"), IsOk());  // 1
  const Snapshot* snapshot = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "a", "a2"), IsOk());  // 2
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());     // 3
  ASSERT_THAT(db_->Flush(), IsOk());
  // a2 hides nothing a read can see either, but the rule (as compaction's)
  // only drops what lies behind a version every read sees.
  EXPECT_EQ(Level0Entries(),
            (std::vector<std::string>{"a@3 del", "a@2=a2", "a@1=a1"}));
  EXPECT_EQ(Get("a", snapshot), "a1");
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  db_->ReleaseSnapshot(snapshot);
}

TEST_F(FlushTest, KeepsVersionsNewerThanTheHistoryHorizon) {
  options_.history_horizon = 1;  // reads of any state after sequence 1
  Open();
  ASSERT_THAT(db_->Put({}, "a", "a1"), IsOk());  // 1
  ASSERT_THAT(db_->Put({}, "a", "a2"), IsOk());  // 2
  ASSERT_THAT(db_->Put({}, "a", "a3"), IsOk());  // 3
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(Level0Entries(),
            (std::vector<std::string>{"a@3=a3", "a@2=a2", "a@1=a1"}));
}

}  // namespace
}  // namespace ferrisdb
