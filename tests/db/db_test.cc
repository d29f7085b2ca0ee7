// Functional tests of the DB API: reads and writes, snapshots, iterators,
// reopen, limits and bad input.
#include "ferrisdb/db.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;
using ::ferrisdb::testing::TestDir;

class DBTest : public ::testing::Test {
 protected:
  DBTest() : path_(dir_.Sub("db")) {}

  void Open() {
    db_.reset();
    auto db = DB::Open(options_, path_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  void Reopen() { Open(); }
  void Close() { db_.reset(); }

  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> v = db_->Get(ro, key);
    if (absl::IsNotFound(v.status())) return "NOT_FOUND";
    if (!v.ok()) return "ERROR: " + v.status().ToString();
    return *v;
  }

  // "k1=v1 k2=v2 ..." in iteration order, forward.
  std::string Scan(const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    std::string out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!out.empty()) out += " ";
      out += std::string(it->key()) + "=" + std::string(it->value());
    }
    EXPECT_THAT(it->status(), IsOk());
    return out;
  }

  // The same, backward.
  std::string ReverseScan() {
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    std::string out;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (!out.empty()) out += " ";
      out += std::string(it->key()) + "=" + std::string(it->value());
    }
    EXPECT_THAT(it->status(), IsOk());
    return out;
  }

  TestDir dir_;
  std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
};

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

TEST_F(DBTest, SnapshotsSeeTheirMoment) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "a", "2"), IsOk());
  ASSERT_THAT(db_->Put({}, "b", "x"), IsOk());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  EXPECT_EQ(Get("a", s1), "1");
  EXPECT_EQ(Get("b", s1), "NOT_FOUND");
  EXPECT_EQ(Get("a", s2), "2");
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Scan(s1), "a=1");
  EXPECT_EQ(Scan(s2), "a=2 b=x");
  EXPECT_EQ(Scan(), "b=x");
  EXPECT_LT(s1->sequence_number(), s2->sequence_number());
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
}

TEST_F(DBTest, IteratorSeeksAndChangesDirection) {
  Open();
  for (const char* k : {"b", "d", "f", "h"}) {
    ASSERT_THAT(db_->Put({}, k, std::string("v") + k), IsOk());
  }
  ASSERT_THAT(db_->Put({}, "d", "vd2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "f"), IsOk());
  EXPECT_EQ(Scan(), "b=vb d=vd2 h=vh");
  EXPECT_EQ(ReverseScan(), "h=vh d=vd2 b=vb");

  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");  // f is deleted
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  EXPECT_EQ(it->value(), "vd2");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Prev();
  EXPECT_FALSE(it->Valid());

  it->SeekForPrev("g");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");
  it->SeekForPrev("a");
  EXPECT_FALSE(it->Valid());
  it->Seek("i");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("h");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(DBTest, IteratorIsUnaffectedByLaterWrites) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  ASSERT_THAT(db_->Put({}, "b", "2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  EXPECT_FALSE(it->Valid());
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

TEST_F(DBTest, SecondOpenOfTheSameDirectoryFails) {
  Open();
  EXPECT_THAT(
      DB::Open(options_, path_),
      StatusIsWithMessage(absl::StatusCode::kFailedPrecondition, "lock"));
  Close();
  EXPECT_THAT(DB::Open(options_, path_), IsOk());
}

TEST_F(DBTest, EmptyPathIsInvalid) {
  EXPECT_THAT(DB::Open(options_, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DestroyDB("", options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DBTest, PathThatIsARegularFileIsInvalid) {
  std::ofstream(path_) << "not a database";
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "not a directory"));
  options_.create_if_missing = false;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "not a directory"));
  std::ifstream in(path_);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "not a database");  // untouched
}

TEST_F(DBTest, CreateIfMissingFalse) {
  options_.create_if_missing = false;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "create_if_missing"));
  EXPECT_FALSE(Env::Default()->FileExists(path_));
  // An existing but empty directory holds no database either, and is left
  // exactly as it was (no LOCK file).
  ASSERT_EQ(mkdir(path_.c_str(), 0755), 0);
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  EXPECT_TRUE(children->empty());
  options_.create_if_missing = true;
  Open();
  Close();
  options_.create_if_missing = false;
  Open();
}

TEST_F(DBTest, ReleasingANullSnapshotIsHarmless) {
  Open();
  db_->ReleaseSnapshot(nullptr);
  EXPECT_EQ(Get("a"), "NOT_FOUND");
}

TEST_F(DBTest, LogNamingAnImpossibleSequenceIsDataLoss) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  Close();
  // A WAL name FerrisDB never writes: first sequence 0.
  std::ofstream(path_ + "/999999-00000000000000000000.log") << "";
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "999999-00000000000000000000.log"));
}

TEST_F(DBTest, ErrorIfExists) {
  Open();
  Close();
  options_.error_if_exists = true;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(DBTest, WriteBufferSizeTooSmallIsInvalid) {
  options_.write_buffer_size = 10;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DBTest, UnknownFilesAreLeftAlone) {
  ASSERT_EQ(mkdir(path_.c_str(), 0755), 0);
  for (const char* name : {"notes.txt", "000001.log", "7-1.log", "LOCK.old"}) {
    std::ofstream(path_ + "/" + name) << "user data " << name;
  }
  Open();
  ASSERT_THAT(db_->Put({}, "k", "v"), IsOk());
  Reopen();
  EXPECT_EQ(Get("k"), "v");
  Close();
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());
  for (const char* name : {"notes.txt", "000001.log", "7-1.log", "LOCK.old"}) {
    std::ifstream in(path_ + "/" + name);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, std::string("user data ") + name);
  }
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  EXPECT_EQ(children->size(), 4u);
}

TEST_F(DBTest, DestroyRemovesTheDatabase) {
  Open();
  ASSERT_THAT(db_->Put({}, "k", "v"), IsOk());
  EXPECT_THAT(DestroyDB(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // still open
  Close();
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());
  EXPECT_FALSE(Env::Default()->FileExists(path_));
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());  // nothing left: fine
  Open();
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(DBTest, CorruptLogInTheMiddleIsDataLossNamingTheFile) {
  Open();
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(
        db_->Put({}, absl::StrFormat("k%03d", i), std::string(100, 'v')),
        IsOk());
  }
  Close();
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  std::string log_name;
  for (const auto& c : *children) {
    if (c.size() > 4 && c.substr(c.size() - 4) == ".log") log_name = c;
  }
  ASSERT_FALSE(log_name.empty());
  // Flip a byte early in the log: records after it stay valid.
  const std::string log_path = path_ + "/" + log_name;
  std::fstream f(log_path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(200);
  char c;
  f.get(c);
  f.seekp(200);
  f.put(static_cast<char>(c ^ 0xff));
  f.close();
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, log_name));
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
}  // namespace ferrisdb
