// Functional tests of the DB API, memtables flushed to tables: flushes
// with a small write buffer (and under concurrent writes), deletes and
// overwrites across tables, the block cache (index and filter blocks in it,
// cached blocks found again by reopened table readers).
// The fixture: db_test_fixture.h.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db_test_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"

namespace ferrisdb::db_test {
namespace {

using ::ferrisdb::testing::IsOk;

TEST_F(DBTest, SmallWriteBufferFlushesToTables) {
  options_.write_buffer_size = 4096;
  options_.target_file_size = 4096;  // compactions keep the tables small
  Open();
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(db_->Put({}, absl::StrFormat("key%06d", i),
                         absl::StrFormat("value%d", i)),
                IsOk());
  }
  ASSERT_THAT(db_->Flush(), IsOk());
  auto* impl = static_cast<DBImpl*>(db_.get());
  ASSERT_THAT(impl->TEST_WaitForCompactions(), IsOk());
  EXPECT_EQ(impl->TEST_NumImmutableMemtables(), 0u);
  EXPECT_GT(impl->TEST_NumTables(), 5u);
  // Flushed logs are gone: one log (the active one) remains.
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  int logs = 0, tables = 0;
  for (const std::string& c : *children) {
    if (c.size() > 4 && c.substr(c.size() - 4) == ".log") ++logs;
    if (c.size() > 4 && c.substr(c.size() - 4) == ".sst") ++tables;
  }
  EXPECT_EQ(logs, 1);
  EXPECT_EQ(static_cast<size_t>(tables), impl->TEST_NumTables());
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 2000; i += 7) {
      EXPECT_EQ(Get(absl::StrFormat("key%06d", i)),
                absl::StrFormat("value%d", i));
    }
    EXPECT_EQ(Get("key999999"), "NOT_FOUND");
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    EXPECT_EQ(n, 2000);
    n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) ++n;
    EXPECT_EQ(n, 2000);
    it.reset();
    // The reads went through the tables and their block cache.
    const CacheStatistics stats = db_->GetBlockCacheStatistics();
    EXPECT_GT(stats.inserts, 0u);
    EXPECT_GT(stats.hits, 0u);
    Reopen();
    impl = static_cast<DBImpl*>(db_.get());
  }
}

TEST_F(DBTest, DeletesAndOverwritesAcrossTables) {
  options_.write_buffer_size = 4096;
  Open();
  ASSERT_THAT(db_->Put({}, "k", "v1"), IsOk());
  ASSERT_THAT(db_->Put({}, "gone", "x"), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  const Snapshot* before = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "k", "v2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "gone"), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(Get("k"), "v2");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  EXPECT_EQ(Get("k", before), "v1");
  EXPECT_EQ(Get("gone", before), "x");
  EXPECT_EQ(Scan(), "k=v2");
  EXPECT_EQ(Scan(before), "gone=x k=v1");
  db_->ReleaseSnapshot(before);
  Reopen();
  EXPECT_EQ(Scan(), "k=v2");
  EXPECT_EQ(ReverseScan(), "k=v2");
}

TEST_F(DBTest, FlushOfAnEmptyDatabaseIsANoOp) {
  Open();
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(static_cast<DBImpl*>(db_.get())->TEST_NumTables(), 0u);
}

TEST_F(DBTest, IndexAndFilterBlocksInTheBlockCache) {
  options_.cache_index_and_filter_blocks = true;
  options_.write_buffer_size = 4096;
  options_.target_file_size = 4096;
  // Small, so index and filter blocks are evicted and re-read between reads.
  options_.block_cache = NewLRUCache(8 << 10, 0);
  Open();
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(db_->Put({}, absl::StrFormat("key%06d", i),
                         absl::StrFormat("value%d", i)),
                IsOk());
  }
  ASSERT_THAT(db_->Flush(), IsOk());
  ASSERT_THAT(static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions(),
              IsOk());
  EXPECT_GT(static_cast<DBImpl*>(db_.get())->TEST_NumTables(), 5u);
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 2000; ++i) {
      ASSERT_EQ(Get(absl::StrFormat("key%06d", i)),
                absl::StrFormat("value%d", i));
    }
    EXPECT_EQ(Get("key999999"), "NOT_FOUND");
    EXPECT_EQ(Get("key000100x"), "NOT_FOUND");
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
      ASSERT_EQ(it->key(), absl::StrFormat("key%06d", n));
      ASSERT_EQ(it->value(), absl::StrFormat("value%d", n));
    }
    EXPECT_THAT(it->status(), IsOk());
    EXPECT_EQ(n, 2000);
    for (it->SeekToLast(); it->Valid(); it->Prev()) --n;
    EXPECT_THAT(it->status(), IsOk());
    EXPECT_EQ(n, 0);
    it.reset();
    const CacheStatistics stats = db_->GetBlockCacheStatistics();
    EXPECT_GT(stats.hits, 0u);
    EXPECT_GT(stats.evictions, 0u);
    Reopen();
  }
}

// Flush returns while other threads keep writing (it waits only for what
// was in memory when it was called), and concurrent Flush calls each get
// their own switch.
TEST_F(DBTest, FlushCompletesUnderConcurrentWrites) {
  options_.write_buffer_size = 8192;
  Open();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      ASSERT_THAT(db_->Put({}, absl::StrFormat("w%07d", i), "value"), IsOk());
      written.store(i + 1);
    }
  });
  // Let the writer get going, so there is something to flush.
  while (written.load() < 200) std::this_thread::yield();
  std::thread other_flusher([&] {
    for (int i = 0; i < 5; ++i) ASSERT_THAT(db_->Flush(), IsOk());
  });
  for (int i = 0; i < 5; ++i) {
    const int before = written.load();
    ASSERT_THAT(db_->Flush(), IsOk());
    // Everything acknowledged before the call is readable (and was made
    // part of a table or stays in a later memtable).
    if (before > 0) {
      EXPECT_EQ(Get(absl::StrFormat("w%07d", before - 1)), "value");
    }
  }
  other_flusher.join();
  stop.store(true);
  writer.join();
  ASSERT_THAT(db_->Flush(), IsOk());
  auto* impl = static_cast<DBImpl*>(db_.get());
  ASSERT_THAT(impl->TEST_WaitForCompactions(), IsOk());
  EXPECT_EQ(impl->TEST_NumImmutableMemtables(), 0u);
  EXPECT_GT(impl->TEST_NumTables(), 0u);
  Reopen();
  const int n = written.load();
  for (int i = 0; i < n; i += 97) {
    ASSERT_EQ(Get(absl::StrFormat("w%07d", i)), "value") << i;
  }
}

// With max_open_files = 1 every table reader is evicted and reopened, yet
// the blocks a previous reader of the same file cached are found again.
TEST_F(DBTest, ReopenedTableReadersFindTheirCachedBlocks) {
  options_.write_buffer_size = 4096;
  options_.target_file_size = 4096;
  options_.max_open_files = 1;
  Open();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(db_->Put({}, absl::StrFormat("key%05d", i), "v"), IsOk());
  }
  ASSERT_THAT(db_->Flush(), IsOk());
  // The tables must not change under the two passes below.
  ASSERT_THAT(static_cast<DBImpl*>(db_.get())->TEST_WaitForCompactions(),
              IsOk());
  ASSERT_GT(static_cast<DBImpl*>(db_.get())->TEST_NumTables(), 3u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Get(absl::StrFormat("key%05d", i)), "v");
  }
  const CacheStatistics warm = db_->GetBlockCacheStatistics();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Get(absl::StrFormat("key%05d", i)), "v");
  }
  const CacheStatistics after = db_->GetBlockCacheStatistics();
  EXPECT_EQ(after.misses, warm.misses);
  EXPECT_GE(after.hits, warm.hits + 1000);
}

}  // namespace
}  // namespace ferrisdb::db_test
