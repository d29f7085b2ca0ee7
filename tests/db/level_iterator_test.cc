// LevelIterator over real tables (written with TableBuilder, opened through a
// TableCache): seeks exactly at file boundaries, Next/Prev across files,
// direction changes, lazy opening, empty tables, a missing file, and random
// operations against one sorted vector.
#include "db/level_iterator.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "db/table_cache.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/table_builder.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "version/version_edit.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::TestDir;
using ::ferrisdb::testing::TestSeed;

using Entries = std::vector<std::pair<std::string, std::string>>;
using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

std::string IKey(std::string_view user_key, SequenceNumber seq) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, ValueType::kValue);
  return k;
}

bool EntryLess(const std::pair<std::string, std::string>& a,
               const std::pair<std::string, std::string>& b) {
  return CompareInternalKeys(a.first, b.first) < 0;
}

class LevelIteratorTest : public ::testing::Test {
 protected:
  LevelIteratorTest()
      : cache_(dir_.path(), Env::Default(), /*max_open_files=*/100,
               /*block_cache=*/nullptr,
               /*cache_index_and_filter_blocks=*/false,
               /*use_mmap_reads=*/true) {}

  // Writes table `number` holding entries (sorted) and returns its metadata.
  // smallest/largest default to the first and last entry.
  std::shared_ptr<const FileMetaData> WriteTable(uint64_t number,
                                                 const Entries& entries,
                                                 std::string smallest = "",
                                                 std::string largest = "") {
    const std::string path = TableFileName(dir_.path(), number);
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        Env::Default()->NewWritableFile(path);
    EXPECT_THAT(file, IsOk());
    if (!file.ok()) return nullptr;
    TableBuildOptions options;
    options.block_size = 64;  // several blocks per table
    options.compression = CompressionType::kNone;
    TableBuilder builder(options, file->get(), path);
    for (const auto& [k, v] : entries) EXPECT_THAT(builder.Add(k, v), IsOk());
    EXPECT_THAT(builder.Finish(), IsOk());
    EXPECT_THAT((*file)->Sync(), IsOk());
    EXPECT_THAT((*file)->Close(), IsOk());
    auto meta = std::make_shared<FileMetaData>();
    meta->number = number;
    meta->file_size = builder.FileSize();
    meta->smallest = smallest.empty() ? entries.front().first : smallest;
    meta->largest = largest.empty() ? entries.back().first : largest;
    return meta;
  }

  // Three tables; the boundary between the first two splits the versions of
  // user key "k10" (seq 5 in the first, seq 4 in the second).
  //   #1: k00@1 .. k09@1, k10@5
  //   #2: k10@4, k11@1 .. k19@1
  //   #3: k20@1 .. k29@1
  FileList ThreeTables() {
    Entries a, b, c;
    for (int i = 0; i < 10; ++i) {
      a.emplace_back(IKey(absl::StrFormat("k%02d", i), 1), "a");
    }
    a.emplace_back(IKey("k10", 5), "a");
    b.emplace_back(IKey("k10", 4), "b");
    for (int i = 11; i < 20; ++i) {
      b.emplace_back(IKey(absl::StrFormat("k%02d", i), 1), "b");
    }
    for (int i = 20; i < 30; ++i) {
      c.emplace_back(IKey(absl::StrFormat("k%02d", i), 1), "c");
    }
    all_ = a;
    all_.insert(all_.end(), b.begin(), b.end());
    all_.insert(all_.end(), c.begin(), c.end());
    return {WriteTable(1, a), WriteTable(2, b), WriteTable(3, c)};
  }

  std::unique_ptr<InternalIterator> NewIter(FileList files) {
    return NewLevelIterator(&cache_, std::move(files),
                            /*verify_checksums=*/true);
  }

  TestDir dir_;
  TableCache cache_;
  Entries all_;  // every entry of ThreeTables, in order
};

TEST_F(LevelIteratorTest, EmptyLevelIsInvalid) {
  std::unique_ptr<InternalIterator> it = NewIter({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, ScansAllFilesInBothDirections) {
  std::unique_ptr<InternalIterator> it = NewIter(ThreeTables());
  Entries seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.emplace_back(it->key(), it->value());
  }
  EXPECT_THAT(it->status(), IsOk());
  EXPECT_EQ(seen, all_);
  seen.clear();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    seen.emplace_back(it->key(), it->value());
  }
  EXPECT_THAT(it->status(), IsOk());
  std::reverse(seen.begin(), seen.end());
  EXPECT_EQ(seen, all_);
}

TEST_F(LevelIteratorTest, SeekExactlyAtFileBoundaries) {
  std::unique_ptr<InternalIterator> it = NewIter(ThreeTables());
  // The largest key of #1.
  it->Seek(IKey("k10", 5));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 5));
  EXPECT_EQ(it->value(), "a");
  // Just past it: the smallest key of #2.
  it->Seek(IKey("k10", 4));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 4));
  EXPECT_EQ(it->value(), "b");
  // Between #2 and #3 (no such key): the first key of #3.
  it->Seek(IKey("k19", 0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k20", 1));
  // Past the last file.
  it->Seek(IKey("k29", 0));
  EXPECT_FALSE(it->Valid());
  // Before the first.
  it->Seek(IKey("a", 1));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k00", 1));
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, SeekForPrevExactlyAtFileBoundaries) {
  std::unique_ptr<InternalIterator> it = NewIter(ThreeTables());
  // The smallest key of #2.
  it->SeekForPrev(IKey("k10", 4));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 4));
  EXPECT_EQ(it->value(), "b");
  // Just before it: the largest key of #1.
  it->SeekForPrev(IKey("k10", 5));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 5));
  EXPECT_EQ(it->value(), "a");
  // Between #2 and #3: the last key of #2.
  it->SeekForPrev(IKey("k19", 0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k19", 1));
  it->SeekForPrev(IKey("k20", 2));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k19", 1));
  // Before the first file.
  it->SeekForPrev(IKey("k00", 2));
  EXPECT_FALSE(it->Valid());
  // Past the last.
  it->SeekForPrev(IKey("z", 1));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k29", 1));
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, NextAndPrevCrossFilesAndChangeDirection) {
  std::unique_ptr<InternalIterator> it = NewIter(ThreeTables());
  it->Seek(IKey("k09", 1));
  ASSERT_TRUE(it->Valid());
  it->Next();  // k10@5, last of #1
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 5));
  it->Next();  // into #2
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 4));
  it->Prev();  // back into #1
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k10", 5));
  it->Next();
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k11", 1));
  it->Seek(IKey("k20", 1));  // first of #3
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k19", 1));
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k20", 1));
  it->SeekToFirst();
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, PassesOverTablesWithNoEntryInRange) {
  // #2 is empty although its metadata claims a range between #1 and #3.
  Entries a = {{IKey("a", 1), "a"}};
  Entries c = {{IKey("c", 1), "c"}};
  FileList files = {WriteTable(1, a),
                    WriteTable(2, {}, IKey("b", 2), IKey("b", 1)),
                    WriteTable(3, c)};
  std::unique_ptr<InternalIterator> it = NewIter(files);
  it->Seek(IKey("b", 9));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("c", 1));
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("a", 1));
  it->SeekForPrev(IKey("b", 0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("a", 1));
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("c", 1));
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, OpensOnlyTheFilesItVisits) {
  FileList files = ThreeTables();
  // #3 is gone: the iterator still reads #1 and #2 without an error.
  ASSERT_THAT(Env::Default()->RemoveFile(TableFileName(dir_.path(), 3)),
              IsOk());
  std::unique_ptr<InternalIterator> it = NewIter(files);
  EXPECT_THAT(it->status(), IsOk());
  it->Seek(IKey("k05", 1));
  ASSERT_TRUE(it->Valid());
  it->SeekForPrev(IKey("k19", 0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k19", 1));
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, MissingFileIsAnErrorNotTheEnd) {
  FileList files = ThreeTables();
  ASSERT_THAT(Env::Default()->RemoveFile(TableFileName(dir_.path(), 2)),
              IsOk());
  {
    // Next runs from #1 into the missing #2.
    std::unique_ptr<InternalIterator> it = NewIter(files);
    it->Seek(IKey("k10", 5));
    ASSERT_TRUE(it->Valid());
    it->Next();
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
    // Sticky: the iterator does not resume in #3 as if #2 had ended.
    it->SeekToLast();
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
  }
  {
    // Prev runs from #3 into the missing #2.
    std::unique_ptr<InternalIterator> it = NewIter(files);
    it->Seek(IKey("k20", 1));
    ASSERT_TRUE(it->Valid());
    it->Prev();
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
  }
  {
    // A seek straight into it.
    std::unique_ptr<InternalIterator> it = NewIter(files);
    it->Seek(IKey("k15", 1));
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
  }
  {
    std::unique_ptr<InternalIterator> it = NewIter(files);
    it->SeekForPrev(IKey("k15", 1));
    EXPECT_FALSE(it->Valid());
    EXPECT_FALSE(it->status().ok());
  }
}

TEST_F(LevelIteratorTest, KeepsTheCurrentTableOpenAfterEviction) {
  FileList files = ThreeTables();
  std::unique_ptr<InternalIterator> it = NewIter(files);
  it->Seek(IKey("k12", 1));
  ASSERT_TRUE(it->Valid());
  // The table cache forgets #2 and its file disappears; the iterator still
  // holds the open reader.
  cache_.Evict(2);
  ASSERT_THAT(Env::Default()->RemoveFile(TableFileName(dir_.path(), 2)),
              IsOk());
  int count = 0;
  for (; it->Valid() && it->value() == "b"; it->Next()) ++count;
  EXPECT_EQ(count, 8);  // k12 .. k19
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("k20", 1));
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(LevelIteratorTest, RandomOperationsMatchSortedEntries) {
  const uint32_t seed = TestSeed(77);
  SCOPED_TRACE(absl::StrFormat("seed %u (FERRISDB_TEST_SEED)", seed));
  std::mt19937 rng(seed);
  // Random entries cut into files at random points.
  Entries all;
  for (int i = 0; i < 400; ++i) {
    all.emplace_back(IKey(absl::StrFormat("k%04d", rng() % 300), i + 1),
                     absl::StrFormat("v%d", i));
  }
  std::sort(all.begin(), all.end(), EntryLess);
  FileList files;
  for (size_t begin = 0; begin < all.size();) {
    const size_t end = std::min(all.size(), begin + 1 + rng() % 60);
    files.push_back(WriteTable(
        files.size() + 1, Entries(all.begin() + begin, all.begin() + end)));
    begin = end;
  }
  std::unique_ptr<InternalIterator> it = NewIter(files);
  size_t pos = all.size();  // the model; all.size() when not valid
  for (int op = 0; op < 3000; ++op) {
    const std::string target =
        IKey(absl::StrFormat("k%04d", rng() % 310), rng() % 410);
    const bool valid = pos < all.size();
    const std::pair<std::string, std::string> probe(target, "");
    switch (rng() % 6) {
      case 0:
        it->SeekToFirst();
        pos = 0;
        break;
      case 1:
        it->SeekToLast();
        pos = all.size() - 1;
        break;
      case 2:
        it->Seek(target);
        pos = static_cast<size_t>(
            std::lower_bound(all.begin(), all.end(), probe, EntryLess) -
            all.begin());
        break;
      case 3: {
        it->SeekForPrev(target);
        const size_t after = static_cast<size_t>(
            std::upper_bound(all.begin(), all.end(), probe, EntryLess) -
            all.begin());
        pos = after == 0 ? all.size() : after - 1;
        break;
      }
      case 4:
        if (!valid) continue;
        it->Next();
        ++pos;
        break;
      case 5:
        if (!valid) continue;
        it->Prev();
        pos = pos == 0 ? all.size() : pos - 1;
        break;
    }
    ASSERT_EQ(it->Valid(), pos < all.size()) << "op " << op;
    if (it->Valid()) {
      ASSERT_EQ(it->key(), all[pos].first) << "op " << op;
      ASSERT_EQ(it->value(), all[pos].second);
    }
  }
  EXPECT_THAT(it->status(), IsOk());
}

}  // namespace
}  // namespace ferrisdb
