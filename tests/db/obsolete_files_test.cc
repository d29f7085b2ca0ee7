// Tables a compaction made obsolete while a reader still held them (an
// iterator, or a Get in flight with the old read view) must not linger on
// disk until some later flush or compaction: they are deleted soon after the
// last reader lets go, and at the latest when the DB closes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "ferrisdb/iterator.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;

class ObsoleteFilesTest : public ::testing::Test {
 protected:
  ObsoleteFilesTest() : path_(dir_.Sub("db")) {
    options_.write_buffer_size = 16 << 10;
    options_.target_file_size = 8 << 10;
    options_.level0_file_num_compaction_trigger = 2;
    options_.max_bytes_for_level_base = 32 << 10;
  }

  void Open() {
    db_.reset();
    auto db = DB::Open(options_, path_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }

  void WriteAll(const std::string& value) {
    for (int i = 0; i < 1500; ++i) {
      ASSERT_THAT(db_->Put({}, absl::StrFormat("key%06d", i), value), IsOk());
    }
    ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  }

  // The table numbers the current version names.
  std::set<uint64_t> LiveTables() {
    std::set<uint64_t> live;
    const std::shared_ptr<const Version> v = impl()->TEST_CurrentVersion();
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& f : v->files(level)) live.insert(f->number);
    }
    return live;
  }
  std::set<uint64_t> TablesOnDisk() {
    std::set<uint64_t> tables;
    auto children = Env::Default()->GetChildren(path_);
    EXPECT_THAT(children, IsOk());
    for (const std::string& name : *children) {
      std::optional<ParsedFileName> parsed = ParseFileName(name);
      if (parsed.has_value() && parsed->type == FileType::kTable) {
        tables.insert(parsed->number);
      }
    }
    return tables;
  }

  // Waits until the disk holds only the tables the current version names,
  // and expects it. The deadline is generous: this checks that the
  // deletion happens without more writes, not how fast.
  void ExpectOnlyLiveTablesSoon() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (TablesOnDisk() != LiveTables() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(TablesOnDisk(), LiveTables());
  }

  // An iterator on the data of WriteAll("old"), then everything rewritten
  // and compacted: the iterator alone holds the old tables.
  std::unique_ptr<Iterator> IteratorOnCompactedAwayTables() {
    WriteAll("old");
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    WriteAll("new");
    EXPECT_NE(TablesOnDisk(), LiveTables()) << "the old tables are kept";
    it->SeekToFirst();
    EXPECT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "old");
    return it;
  }

  ::ferrisdb::testing::TestDir dir_;
  const std::string path_;
  // For the tests that inject faults; outlives db_.
  ::ferrisdb::testing::FaultInjectionEnv fault_env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(ObsoleteFilesTest, GoneSoonAfterTheLastReaderWithoutMoreWrites) {
  Open();
  std::unique_ptr<Iterator> it = IteratorOnCompactedAwayTables();
  it.reset();
  // No flush or compaction follows: the DB retries on its own.
  ExpectOnlyLiveTablesSoon();
}

TEST_F(ObsoleteFilesTest, GoneWhenTheDbCloses) {
  Open();
  std::unique_ptr<Iterator> it = IteratorOnCompactedAwayTables();
  const std::set<uint64_t> live = LiveTables();
  it.reset();
  db_.reset();
  EXPECT_EQ(TablesOnDisk(), live);
}

TEST_F(ObsoleteFilesTest, KeptWhileAnIteratorStillHoldsThem) {
  Open();
  std::unique_ptr<Iterator> it = IteratorOnCompactedAwayTables();
  // Past the retry interval: the tables must still be there, and readable.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    ASSERT_EQ(it->value(), "old");
  }
  ASSERT_THAT(it->status(), IsOk());
  EXPECT_EQ(n, 1500);
}

// A pass that cannot list the directory is retried on the same schedule,
// not in a loop: the idle compaction thread must not spin on an I/O error.
TEST_F(ObsoleteFilesTest, AFailingPassIsNotRetriedAtOnce) {
  ::ferrisdb::testing::FaultInjectionEnv& env = fault_env_;
  options_.env = &env;
  Open();
  std::unique_ptr<Iterator> it = IteratorOnCompactedAwayTables();
  auto listings = std::make_shared<std::atomic<int>>(0);
  env.FailWhen(
      [listings](const ::ferrisdb::testing::FaultContext& c) {
        if (c.op != ::ferrisdb::testing::FaultOp::kGetChildren) return false;
        ++*listings;
        return true;
      },
      absl::InternalError("injected listing failure"), /*persistent=*/true);
  it.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // About five passes at one per 100 ms; a loop makes thousands.
  EXPECT_LE(listings->load(), 20);
  env.ClearFaults();
  ExpectOnlyLiveTablesSoon();
}

}  // namespace
}  // namespace ferrisdb
