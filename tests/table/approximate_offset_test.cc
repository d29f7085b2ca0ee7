// TableReader::ApproximateOffsetOf: where in the file a key's entries start,
// to one data block, for DB::GetApproximateSizes.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "ferrisdb/cache.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/table_builder.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/status_matchers.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::BuildTable;
using ::ferrisdb::testing::IKey;
using ::ferrisdb::testing::OpenTable;

using Entries = std::vector<std::pair<std::string, std::string>>;

constexpr int kNumKeys = 5000;
constexpr size_t kValueSize = 100;

std::string UserKey(int i) { return absl::StrFormat("key%06d", i); }

// kNumKeys entries of equal size: the data section grows linearly with the
// key index, so a key's offset should be proportional to it.
Entries EqualSizedEntries() {
  Entries entries;
  for (int i = 0; i < kNumKeys; ++i) {
    entries.emplace_back(IKey(UserKey(i), 1), std::string(kValueSize, 'v'));
  }
  return entries;
}

TableBuildOptions BuildOptions(int bloom_bits, CompressionType compression) {
  TableBuildOptions o;
  o.block_size = 1024;
  o.bloom_bits_per_key = bloom_bits;
  o.compression = compression;
  o.creation_time = 1700000000;
  return o;
}

struct BuiltTable {
  std::unique_ptr<TableReader> reader;
  uint64_t file_size = 0;
};

BuiltTable MustBuild(const TableBuildOptions& build_options,
                     const Entries& entries,
                     const TableReadOptions& read_options = {}) {
  absl::StatusOr<std::string> contents = BuildTable(build_options, entries);
  EXPECT_TRUE(contents.ok()) << contents.status();
  if (!contents.ok()) return {};
  BuiltTable t;
  t.file_size = contents->size();
  absl::StatusOr<std::unique_ptr<TableReader>> reader =
      OpenTable(*std::move(contents), "test.sst", read_options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (reader.ok()) t.reader = *std::move(reader);
  return t;
}

uint64_t MustOffset(const TableReader& table, std::string_view internal_key) {
  absl::StatusOr<uint64_t> offset = table.ApproximateOffsetOf(internal_key);
  EXPECT_TRUE(offset.ok()) << offset.status();
  return offset.ok() ? *offset : 0;
}

// The largest data block in the file, trailer included: the accuracy of
// ApproximateOffsetOf.
uint64_t LargestBlock(const TableReader& table) {
  BlockIter it(&table.index_block(), BlockKeyOrder::kInternal);
  uint64_t largest = 0;
  int blocks = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++blocks) {
    BlockHandle h;
    EXPECT_TRUE(DecodeBlockHandle(it.value(), &h));
    largest = std::max(largest, h.size + kBlockTrailerSize);
  }
  EXPECT_GT(blocks, 100) << "the test wants a table of many blocks";
  return largest;
}

TEST(ApproximateOffsetTest, FirstKeyAndKeysBeforeItAreAtZero) {
  BuiltTable t =
      MustBuild(BuildOptions(10, CompressionType::kNone), EqualSizedEntries());
  ASSERT_NE(t.reader, nullptr);
  EXPECT_EQ(MustOffset(*t.reader, IKey(UserKey(0), 1)), 0u);
  EXPECT_EQ(MustOffset(*t.reader, IKey("", kMaxSequenceNumber)), 0u);
  EXPECT_EQ(MustOffset(*t.reader, IKey("a", 1)), 0u);
}

TEST(ApproximateOffsetTest, PastTheLastKeyIsTheDataEnd) {
  for (int bloom_bits : {0, 10}) {
    SCOPED_TRACE(bloom_bits);
    BuiltTable t = MustBuild(BuildOptions(bloom_bits, CompressionType::kNone),
                             EqualSizedEntries());
    ASSERT_NE(t.reader, nullptr);
    const uint64_t end = t.reader->data_end_offset();
    EXPECT_EQ(MustOffset(*t.reader, IKey("zzz", 1)), end);
    // A key just after the last one may still be at or before the last
    // block's (shortened) index separator: it then maps to the last block,
    // which is within the documented accuracy of one block.
    const uint64_t last = MustOffset(*t.reader, IKey(UserKey(kNumKeys - 1), 1));
    const uint64_t just_after =
        MustOffset(*t.reader, IKey(UserKey(kNumKeys - 1), 0));
    EXPECT_LT(last, end);
    EXPECT_GE(just_after, last);
    EXPECT_LE(just_after, end);
    if (bloom_bits == 0) {
      EXPECT_EQ(end, t.reader->index_offset());
    } else {
      EXPECT_LT(end, t.reader->index_offset());  // the filter lies between
    }
    // The data is most of the file: only the metadata blocks follow it.
    EXPECT_GT(end, t.file_size * 9 / 10);
    EXPECT_LT(end, t.file_size);
  }
}

TEST(ApproximateOffsetTest, MonotoneAndProportionalWithinOneBlock) {
  BuiltTable t =
      MustBuild(BuildOptions(10, CompressionType::kNone), EqualSizedEntries());
  ASSERT_NE(t.reader, nullptr);
  const double end = static_cast<double>(t.reader->data_end_offset());
  const double block = static_cast<double>(LargestBlock(*t.reader));
  uint64_t previous = 0;
  for (int i = 0; i < kNumKeys; ++i) {
    const uint64_t offset = MustOffset(*t.reader, IKey(UserKey(i), 1));
    ASSERT_GE(offset, previous) << UserKey(i);
    previous = offset;
    // Entries are equal-sized, so key i starts near i/n of the data; the
    // offset is that of its block's start, at most one block before.
    const double expected = end * i / kNumKeys;
    EXPECT_NEAR(static_cast<double>(offset), expected, block) << UserKey(i);
  }
}

TEST(ApproximateOffsetTest, KeysBetweenStoredKeysAreOrdered) {
  BuiltTable t =
      MustBuild(BuildOptions(0, CompressionType::kNone), EqualSizedEntries());
  ASSERT_NE(t.reader, nullptr);
  for (int i = 0; i + 1 < kNumKeys; i += 97) {
    // "key000123a" sorts between key i and key i + 1.
    const uint64_t before = MustOffset(*t.reader, IKey(UserKey(i), 1));
    const uint64_t between = MustOffset(*t.reader, IKey(UserKey(i) + "a", 1));
    const uint64_t after = MustOffset(*t.reader, IKey(UserKey(i + 1), 1));
    EXPECT_LE(before, between);
    EXPECT_LE(between, after);
  }
}

TEST(ApproximateOffsetTest, CompressedTableIsMonotoneUpToDataEnd) {
  BuiltTable t =
      MustBuild(BuildOptions(10, CompressionType::kZstd), EqualSizedEntries());
  ASSERT_NE(t.reader, nullptr);
  uint64_t previous = 0;
  for (int i = 0; i < kNumKeys; i += 13) {
    const uint64_t offset = MustOffset(*t.reader, IKey(UserKey(i), 1));
    ASSERT_GE(offset, previous);
    previous = offset;
  }
  EXPECT_GT(previous, 0u);
  EXPECT_LE(previous, t.reader->data_end_offset());
}

TEST(ApproximateOffsetTest, CachedIndexGivesTheSameOffsets) {
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20, 0);
  TableReadOptions cached;
  cached.block_cache = cache.get();
  cached.cache_index_and_filter_blocks = true;
  const Entries entries = EqualSizedEntries();
  BuiltTable pinned =
      MustBuild(BuildOptions(10, CompressionType::kNone), entries);
  BuiltTable in_cache =
      MustBuild(BuildOptions(10, CompressionType::kNone), entries, cached);
  ASSERT_NE(pinned.reader, nullptr);
  ASSERT_NE(in_cache.reader, nullptr);
  for (int i = 0; i < kNumKeys; i += 101) {
    EXPECT_EQ(MustOffset(*in_cache.reader, IKey(UserKey(i), 1)),
              MustOffset(*pinned.reader, IKey(UserKey(i), 1)));
  }
  // Evicted, the index is re-read from the file.
  cache->SetCapacity(1);
  EXPECT_EQ(cache->GetStatistics().usage, 0u);
  EXPECT_EQ(MustOffset(*in_cache.reader, IKey(UserKey(kNumKeys / 2), 1)),
            MustOffset(*pinned.reader, IKey(UserKey(kNumKeys / 2), 1)));
  EXPECT_EQ(MustOffset(*in_cache.reader, IKey("zzz", 1)),
            in_cache.reader->data_end_offset());
}

TEST(ApproximateOffsetTest, EmptyTableIsAllZero) {
  BuiltTable t = MustBuild(BuildOptions(0, CompressionType::kNone), {});
  ASSERT_NE(t.reader, nullptr);
  EXPECT_EQ(MustOffset(*t.reader, IKey("anything", 1)), 0u);
}

}  // namespace
}  // namespace ferrisdb
