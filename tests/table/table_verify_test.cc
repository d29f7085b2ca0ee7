// TableReader::VerifyBlocks on tables whose blocks are damaged in content but
// carry valid checksums (a bug in a writer, not a flipped bit): keys out of
// order across blocks, a key beyond its index separator, a separator not
// below the next block's keys (and index separators out of order, which
// Open refuses), an unknown value
// type, an undecodable entry, a bad restart array, an index entry that is not a
// block handle. Each is one DataLoss naming the table and the damaged block's
// offset.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/table_builder.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/status_matchers.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::BuildTable;
using ::ferrisdb::testing::IKey;
using ::ferrisdb::testing::OpenTable;
using ::ferrisdb::testing::StatusIs;

constexpr char kFileName[] = "000042.sst";

class TableVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::pair<std::string, std::string>> entries;
    for (int i = 0; i < 100; ++i) {
      entries.emplace_back(IKey(absl::StrFormat("key%03d", i), 100 + i),
                           absl::StrFormat("value-%d", i % 10));
    }
    TableBuildOptions o;
    o.block_size = 256;
    o.block_restart_interval = 4;
    o.compression = CompressionType::kNone;  // key bytes appear as written
    absl::StatusOr<std::string> table = BuildTable(o, entries);
    ASSERT_THAT(table, ::ferrisdb::testing::IsOk());
    good_ = *std::move(table);
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        OpenTable(good_, kFileName);
    ASSERT_THAT(reader, ::ferrisdb::testing::IsOk());
    BlockIter index(&(*reader)->index_block(), BlockKeyOrder::kInternal);
    for (index.SeekToFirst(); index.Valid(); index.Next()) {
      BlockHandle h;
      ASSERT_TRUE(DecodeBlockHandle(index.value(), &h));
      data_blocks_.push_back(h);
      separators_.emplace_back(index.key());
    }
    ASSERT_GE(data_blocks_.size(), 3u);
    index_ = BlockHandle{
        (*reader)->properties().data_size + (*reader)->properties().filter_size,
        (*reader)->properties().index_size - kBlockTrailerSize};
  }

  // Recomputes the checksum of the block at h in contents.
  static void Reseal(std::string* contents, const BlockHandle& h) {
    EncodeFixed32(&(*contents)[h.offset + h.size + kBlockTrailerChecksumOffset],
                  BlockChecksum(&(*contents)[h.offset], h.size));
  }

  // Where the key bytes of the first entry of block h start: a block's first
  // entry is a restart (no shared prefix) with one-byte varints for shared
  // (0), unshared length and value length (sstable.md "Block contents").
  static size_t FirstKeyAt(const BlockHandle& h) { return h.offset + 3; }

  std::vector<absl::Status> Verify(std::string contents) {
    absl::StatusOr<std::unique_ptr<TableReader>> reader =
        OpenTable(std::move(contents), kFileName);
    EXPECT_THAT(reader, ::ferrisdb::testing::IsOk());
    if (!reader.ok()) return {reader.status()};
    return (*reader)->VerifyBlocks();
  }

  static std::string Problem(std::string_view what, uint64_t offset) {
    return absl::StrFormat("sstable %s: %s at offset %d", kFileName, what,
                           offset);
  }

  std::string good_;
  std::vector<BlockHandle> data_blocks_;
  std::vector<std::string> separators_;  // the index keys, in order
  BlockHandle index_;
};

TEST_F(TableVerifyTest, IntactTableHasNoProblems) {
  EXPECT_TRUE(Verify(good_).empty());
}

TEST_F(TableVerifyTest, FirstKeyOfABlockBelowThePreviousBlockIsOutOfOrder) {
  std::string bad = good_;
  const BlockHandle& h = data_blocks_[1];
  ASSERT_EQ(bad.substr(FirstKeyAt(h), 3), "key");
  bad[FirstKeyAt(h)] = 'a';  // "aey..." sorts before every earlier key
  Reseal(&bad, h);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("data block: keys out of order", h.offset));
}

TEST_F(TableVerifyTest, KeyBeyondItsIndexSeparatorIsReported) {
  std::string bad = good_;
  const BlockHandle& h = data_blocks_[0];
  ASSERT_EQ(bad.substr(FirstKeyAt(h), 3), "key");
  bad[FirstKeyAt(h)] = 'z';  // "zey..." sorts after the block's separator
  Reseal(&bad, h);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("data block: key beyond its index separator", h.offset));
}

TEST_F(TableVerifyTest, EachDamagedBlockIsReportedOnce) {
  std::string bad = good_;
  for (size_t i : {size_t{0}, data_blocks_.size() - 1}) {
    bad[FirstKeyAt(data_blocks_[i])] = 'z';
    Reseal(&bad, data_blocks_[i]);
  }
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].message(),
            Problem("data block: key beyond its index separator",
                    data_blocks_[0].offset));
  EXPECT_EQ(problems[1].message(),
            Problem("data block: key beyond its index separator",
                    data_blocks_.back().offset));
}

TEST_F(TableVerifyTest, KeyOfAnUnknownValueTypeIsMalformed) {
  // The trailer after the user key is fixed64 (sequence << 8 | type),
  // little-endian: its first byte is the type (docs/format/internal_key.md).
  std::string bad = good_;
  const BlockHandle& h = data_blocks_[1];
  const size_t type_at = FirstKeyAt(h) + 6;  // after "keyNNN"
  ASSERT_EQ(bad[type_at], static_cast<char>(ValueType::kValue));
  bad[type_at] = 0x7f;
  Reseal(&bad, h);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("data block: malformed internal key", h.offset));
}

TEST_F(TableVerifyTest, KeyShorterThanItsTrailerIsReported) {
  // Shrink the first key to 7 bytes and give the value the rest, so that
  // every later entry still decodes.
  std::string bad = good_;
  const BlockHandle& h = data_blocks_[1];
  const auto key_len = static_cast<uint8_t>(bad[h.offset + 1]);
  const auto value_len = static_cast<uint8_t>(bad[h.offset + 2]);
  ASSERT_EQ(key_len, 6 + kInternalKeyTrailerSize);
  bad[h.offset + 1] = 7;
  bad[h.offset + 2] = static_cast<char>(value_len + key_len - 7);
  Reseal(&bad, h);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  // The block iterator rejects the key before VerifyBlocks parses it; the
  // offset inside the block is the entry's.
  EXPECT_EQ(problems[0].message(),
            Problem("corrupt block (internal key too short at block offset 0)",
                    h.offset));
}

TEST_F(TableVerifyTest, BadRestartArrayIsABadDataBlock) {
  std::string bad = good_;
  const BlockHandle& h = data_blocks_[2];
  // The restart count, the last 4 bytes of the block (sstable.md "Block
  // contents").
  EncodeFixed32(&bad[h.offset + h.size - 4], 100000);
  Reseal(&bad, h);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("bad data block: bad restart count 100000", h.offset));
}

TEST_F(TableVerifyTest, IndexValueThatIsNotABlockHandleStopsTheCheck) {
  std::string bad = good_;
  // The first index entry: shared 0, unshared length, value length, key,
  // value (the handle: two varints). Make the handle an unterminated varint.
  const size_t entry = index_.offset;
  const auto key_len = static_cast<uint8_t>(bad[entry + 1]);
  const auto value_len = static_cast<uint8_t>(bad[entry + 2]);
  for (size_t i = 0; i < value_len; ++i) bad[entry + 3 + key_len + i] = '\x80';
  Reseal(&bad, index_);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("bad block handle in index block", index_.offset));
}

// The key of the first entry of the block at h (a restart: its second byte
// is the key length).
std::string FirstKeyOf(const std::string& table, const BlockHandle& h) {
  return table.substr(h.offset + 3, static_cast<uint8_t>(table[h.offset + 1]));
}

TEST_F(TableVerifyTest, IndexSeparatorsOutOfOrderFailOpen) {
  // Give index entry 0 the separator of entry 2, as long (every index entry
  // is a restart, so its key bytes are stored whole): lookups binary-search
  // the separators, so the index is refused when it is read.
  std::string bad = good_;
  ASSERT_EQ(separators_[0].size(), separators_[2].size());
  ASSERT_EQ(static_cast<uint8_t>(bad[index_.offset + 1]),
            separators_[0].size());
  bad.replace(index_.offset + 3, separators_[2].size(), separators_[2]);
  Reseal(&bad, index_);
  absl::StatusOr<std::unique_ptr<TableReader>> reader =
      OpenTable(std::move(bad), kFileName);
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(reader.status().message(),
            Problem("index separators out of order", index_.offset));
}

TEST_F(TableVerifyTest, UndecodableIndexEntryFailsOpen) {
  // Shrink index entry 0's key to 7 bytes (below an internal key's trailer)
  // and give its value the rest, so the entries still line up: the index
  // cannot be searched, so the table is refused when the index is read.
  std::string bad = good_;
  const auto key_len = static_cast<uint8_t>(bad[index_.offset + 1]);
  const auto value_len = static_cast<uint8_t>(bad[index_.offset + 2]);
  ASSERT_GT(key_len, 7);
  bad[index_.offset + 1] = 7;
  bad[index_.offset + 2] = static_cast<char>(value_len + key_len - 7);
  Reseal(&bad, index_);
  absl::StatusOr<std::unique_ptr<TableReader>> reader =
      OpenTable(std::move(bad), kFileName);
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(reader.status().message(),
            Problem("bad index block: internal key too short at block offset 0",
                    index_.offset));
}

TEST_F(TableVerifyTest, SeparatorNotBelowTheNextBlockIsReported) {
  // Separator 0 := block 1's first user key at one sequence lower: it sorts
  // just after block 1's first entry (higher sequences sort first) and below
  // separator 1, so only "every key of block 1 is above separator 0" fails;
  // SeekForPrev to block 1's first key would answer from block 0.
  std::string bad = good_;
  const std::string first = FirstKeyOf(good_, data_blocks_[1]);
  ParsedInternalKey parsed;
  ASSERT_TRUE(ParseInternalKey(first, &parsed));
  const std::string separator = IKey(parsed.user_key, parsed.sequence - 1);
  ASSERT_EQ(static_cast<uint8_t>(bad[index_.offset + 1]), separator.size());
  bad.replace(index_.offset + 3, separator.size(), separator);
  Reseal(&bad, index_);
  const std::vector<absl::Status> problems = Verify(bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(problems[0].message(),
            Problem("data block: key not above the previous block's separator",
                    data_blocks_[1].offset));
}

}  // namespace
}  // namespace ferrisdb
