// Damaged SSTables: for every byte of a small table (data blocks, filter,
// index, properties, footer), flip it or zero it, then open, scan and look up
// every key. Each operation must give DataLoss naming the file and an offset,
// or the correct answer: never a crash, a wrong value or a false NotFound.
// Every byte of the file is covered by a checksum, so no damage goes unseen.
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/table_builder.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/status_matchers.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::BuildTable;
using ::ferrisdb::testing::IKey;
using ::ferrisdb::testing::OpenTable;

using Model = std::map<std::string, std::string, InternalKeyComparator::Less>;

constexpr char kFileName[] = "000042.sst";

Model SmallModel() {
  Model m;
  for (int i = 0; i < 60; ++i) {
    const std::string uk = "key" + std::to_string(i * 3);
    m[IKey(uk, 100 + i)] =
        "value-" + std::to_string(i) + std::string(i % 7, 'x');
    if (i % 5 == 0) m[IKey(uk, 50, ValueType::kDeletion)] = "";
    if (i % 4 == 0) m[IKey(uk, 40)] = "old-" + uk;
  }
  return m;
}

// A damaged-table error: DataLoss naming the file and an offset.
::testing::AssertionResult IsGoodError(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kDataLoss) {
    return ::testing::AssertionFailure() << "not DataLoss: " << s;
  }
  const std::string msg(s.message());
  if (msg.find(kFileName) == std::string::npos ||
      msg.find("offset") == std::string::npos) {
    return ::testing::AssertionFailure() << "message lacks file/offset: " << s;
  }
  return ::testing::AssertionSuccess();
}

// Runs every read on `contents`; returns how many reads reported damage.
// *verified_clean tells whether Open and VerifyBlocks found nothing wrong.
// `mapped`: read as a memory-mapped file (data blocks used in place,
// checksums verified on first use only).
int CheckDamagedTable(const std::string& contents, const Model& model,
                      const std::string& what, bool* verified_clean,
                      bool mapped = false) {
  SCOPED_TRACE(what);
  int errors = 0;
  *verified_clean = false;
  absl::StatusOr<std::unique_ptr<TableReader>> table =
      OpenTable(contents, kFileName, {}, mapped);
  if (table.ok() && mapped) {
    EXPECT_TRUE((*table)->is_mapped());
  }
  if (!table.ok()) {
    EXPECT_TRUE(IsGoodError(table.status()));
    return 1;
  }
  const std::vector<absl::Status> problems = (*table)->VerifyBlocks();
  for (const absl::Status& p : problems) EXPECT_TRUE(IsGoodError(p));
  *verified_clean = problems.empty();
  // Full scans, both directions: a prefix of the model, then OK at the end or
  // DataLoss.
  std::unique_ptr<InternalIterator> it = (*table)->NewIterator(true);
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    if (m == model.end() || it->key() != m->first || it->value() != m->second) {
      ADD_FAILURE() << "wrong entry in forward scan";
      return errors;
    }
  }
  if (it->status().ok()) {
    EXPECT_TRUE(m == model.end()) << "forward scan ended early without error";
  } else {
    EXPECT_TRUE(IsGoodError(it->status()));
    ++errors;
  }
  it = (*table)->NewIterator(true);
  auto r = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
    if (r == model.rend() || it->key() != r->first ||
        it->value() != r->second) {
      ADD_FAILURE() << "wrong entry in backward scan";
      return errors;
    }
  }
  if (it->status().ok()) {
    EXPECT_TRUE(r == model.rend()) << "backward scan ended early without error";
  } else {
    EXPECT_TRUE(IsGoodError(it->status()));
    ++errors;
  }
  // Get of every version of every key, and of absent keys.
  GetResult got;
  for (const auto& [k, v] : model) {
    const std::string_view uk = ExtractUserKey(k);
    LookupKey lk(uk, ExtractSequence(k));
    absl::Status s = (*table)->Get(lk, true, &got);
    if (!s.ok()) {
      EXPECT_TRUE(IsGoodError(s));
      ++errors;
      continue;
    }
    ParsedInternalKey p;
    ParseInternalKey(k, &p);
    if (p.type == ValueType::kDeletion) {
      EXPECT_EQ(got.state, GetResult::State::kDeleted) << uk;
    } else {
      EXPECT_EQ(got.state, GetResult::State::kFound) << uk;
      EXPECT_EQ(got.value, v) << uk;
    }
  }
  for (int i = 0; i < 10; ++i) {
    LookupKey lk("key" + std::to_string(i * 3 + 1), kMaxSequenceNumber);
    absl::Status s = (*table)->Get(lk, true, &got);
    if (!s.ok()) {
      EXPECT_TRUE(IsGoodError(s));
      ++errors;
    } else {
      EXPECT_EQ(got.state, GetResult::State::kNotPresent);
    }
  }
  return errors;
}

void RunEveryByte(CompressionType compression, bool mapped) {
  const Model model = SmallModel();
  TableBuildOptions o;
  o.block_size = 256;
  o.block_restart_interval = 4;
  o.compression = compression;
  o.bloom_bits_per_key = 10;
  o.creation_time = 1;
  absl::StatusOr<std::string> built =
      BuildTable(o, std::vector<std::pair<std::string, std::string>>(
                        model.begin(), model.end()));
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string& good = *built;
  {
    absl::StatusOr<std::unique_ptr<TableReader>> t = OpenTable(good, kFileName);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE((*t)->has_filter());
    ASSERT_GE((*t)->properties().num_data_blocks, 4u);
    if (compression == CompressionType::kZstd) {
      ASSERT_LT(
          (*t)->properties().data_size,
          (*t)->properties().raw_key_size + (*t)->properties().raw_value_size);
    }
  }
  ASSERT_LT(good.size(), 8000u) << "keep the exhaustive loops fast";
  bool verified_clean = false;
  ASSERT_EQ(
      CheckDamagedTable(good, model, "undamaged", &verified_clean, mapped), 0);
  ASSERT_TRUE(verified_clean);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int mode = 0; mode < 2; ++mode) {
      std::string bad = good;
      bad[i] = mode == 0 ? static_cast<char>(bad[i] ^ 0xff) : '\0';
      const bool changed = bad[i] != good[i];
      const int errors = CheckDamagedTable(
          bad, model,
          "byte " + std::to_string(i) + (mode == 0 ? " xor 0xff" : " = 0x00"),
          &verified_clean, mapped);
      // Every byte is covered by a checksum: a change must be noticed by at
      // least one of the reads (the scans touch every block), and by Open
      // plus VerifyBlocks alone.
      if (changed) {
        EXPECT_GT(errors, 0) << "undetected damage at byte " << i;
        EXPECT_FALSE(verified_clean) << "VerifyBlocks missed byte " << i;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(TableCorruptionTest, EveryByteFlippedOrZeroedUncompressed) {
  RunEveryByte(CompressionType::kNone, /*mapped=*/false);
}

TEST(TableCorruptionTest, EveryByteFlippedOrZeroedCompressed) {
  RunEveryByte(CompressionType::kZstd, /*mapped=*/false);
}

TEST(TableCorruptionTest, EveryByteFlippedOrZeroedMappedUncompressed) {
  RunEveryByte(CompressionType::kNone, /*mapped=*/true);
}

TEST(TableCorruptionTest, EveryByteFlippedOrZeroedMappedCompressed) {
  RunEveryByte(CompressionType::kZstd, /*mapped=*/true);
}

// Reads that must not crash or hang; errors must be DataLoss. Values may be
// wrong (the damage is not detectable by design in these tests).
void ReadEverythingNoCrash(const std::string& contents, const Model& model,
                           bool verify_checksums, bool mapped) {
  absl::StatusOr<std::unique_ptr<TableReader>> table =
      OpenTable(contents, kFileName, {}, mapped);
  if (!table.ok()) {
    EXPECT_EQ(table.status().code(), absl::StatusCode::kDataLoss)
        << table.status();
    return;
  }
  std::unique_ptr<InternalIterator> it =
      (*table)->NewIterator(verify_checksums);
  size_t steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps < 10 * model.size();
       it->Next()) {
    ++steps;
  }
  for (it->SeekToLast(); it->Valid() && steps < 20 * model.size(); it->Prev()) {
    ++steps;
  }
  EXPECT_LT(steps, 20 * model.size()) << "iteration does not terminate";
  if (!it->status().ok()) {
    EXPECT_EQ(it->status().code(), absl::StatusCode::kDataLoss);
  }
  GetResult got;
  for (const auto& [k, v] : model) {
    it = (*table)->NewIterator(verify_checksums);
    it->Seek(k);
    it->SeekForPrev(k);
    absl::Status s = (*table)->Get(LookupKey(ExtractUserKey(k), 1000),
                                   verify_checksums, &got);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    }
  }
}

absl::StatusOr<std::string> BuildSmall(CompressionType c) {
  const Model model = SmallModel();
  TableBuildOptions o;
  o.block_size = 256;
  o.block_restart_interval = 4;
  o.compression = c;
  return BuildTable(o, std::vector<std::pair<std::string, std::string>>(
                           model.begin(), model.end()));
}

TEST(TableCorruptionTest, UnverifiedDamageNeverCrashes) {
  const Model model = SmallModel();
  for (CompressionType c : {CompressionType::kNone, CompressionType::kZstd}) {
    absl::StatusOr<std::string> good = BuildSmall(c);
    ASSERT_TRUE(good.ok()) << good.status();
    for (size_t i = 0; i < good->size(); ++i) {
      std::string bad = *good;
      bad[i] = static_cast<char>(bad[i] ^ 0xff);
      for (bool mapped : {false, true}) {
        ReadEverythingNoCrash(bad, model, /*verify_checksums=*/false, mapped);
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// A hostile file: damage inside a block with the block checksum recomputed,
// so only the parsers stand between the damage and a crash.
TEST(TableCorruptionTest, DamagedBlocksWithValidChecksumsNeverCrash) {
  const Model model = SmallModel();
  for (CompressionType c : {CompressionType::kNone, CompressionType::kZstd}) {
    absl::StatusOr<std::string> good = BuildSmall(c);
    ASSERT_TRUE(good.ok()) << good.status();
    absl::StatusOr<std::unique_ptr<TableReader>> table =
        OpenTable(*good, kFileName);
    ASSERT_TRUE(table.ok()) << table.status();
    // Every block: the data blocks (from the index) and the index itself.
    std::vector<BlockHandle> blocks;
    BlockIter index(&(*table)->index_block(), BlockKeyOrder::kInternal);
    for (index.SeekToFirst(); index.Valid(); index.Next()) {
      BlockHandle h;
      ASSERT_TRUE(DecodeBlockHandle(index.value(), &h));
      blocks.push_back(h);
    }
    const uint64_t index_end =
        (*table)->properties().data_size + (*table)->properties().filter_size;
    blocks.push_back(BlockHandle{
        index_end, (*table)->properties().index_size - kBlockTrailerSize});
    for (const BlockHandle& h : blocks) {
      for (uint64_t i = h.offset; i < h.offset + h.size; ++i) {
        // Flipping every bit, or setting the varint continuation bit.
        for (int mode = 0; mode < 2; ++mode) {
          std::string bad = *good;
          bad[i] = static_cast<char>(mode == 0 ? bad[i] ^ 0xff : bad[i] | 0x80);
          if (bad[i] == (*good)[i]) continue;
          EncodeFixed32(&bad[h.offset + h.size + kBlockTrailerChecksumOffset],
                        BlockChecksum(&bad[h.offset], h.size));
          for (bool mapped : {false, true}) {
            ReadEverythingNoCrash(bad, model, /*verify_checksums=*/true,
                                  mapped);
          }
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
}

// A hostile footer: random handles, sizes and versions with a valid
// checksum. Open must fail cleanly or give a table that reads without
// crashing; never a huge allocation (ASan would report it).
TEST(TableCorruptionTest, HostileFootersWithValidChecksumNeverCrash) {
  const Model model = SmallModel();
  absl::StatusOr<std::string> good = BuildSmall(CompressionType::kNone);
  ASSERT_TRUE(good.ok()) << good.status();
  const size_t footer = good->size() - kFooterSize;
  std::mt19937_64 rng(99);
  for (int round = 0; round < 3000; ++round) {
    std::string bad = *good;
    // Damage one to three fields; small values often land inside the file.
    for (int f = 0; f < 1 + round % 3; ++f) {
      const size_t field = rng() % 7;
      const uint64_t v = rng() % 2 == 0 ? rng() : rng() % (good->size() + 16);
      if (field < 6) {
        EncodeFixed64(&bad[footer + field * 8], v);
      } else {
        EncodeFixed32(&bad[footer + kFooterMaxBlockSizeOffset],
                      static_cast<uint32_t>(v));
      }
    }
    EncodeFixed32(
        &bad[footer + kFooterChecksumOffset],
        Checksum32(std::string_view(&bad[footer], kFooterChecksumOffset)));
    absl::StatusOr<std::unique_ptr<TableReader>> t = OpenTable(bad, kFileName);
    if (!t.ok()) {
      ASSERT_TRUE(t.status().code() == absl::StatusCode::kDataLoss ||
                  t.status().code() == absl::StatusCode::kFailedPrecondition)
          << t.status();
      continue;
    }
    for (bool mapped : {false, true}) {
      ReadEverythingNoCrash(bad, model, /*verify_checksums=*/true, mapped);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(TableCorruptionTest, EveryTruncationFailsToOpen) {
  const Model model = SmallModel();
  TableBuildOptions o;
  o.block_size = 256;
  absl::StatusOr<std::string> built =
      BuildTable(o, std::vector<std::pair<std::string, std::string>>(
                        model.begin(), model.end()));
  ASSERT_TRUE(built.ok()) << built.status();
  for (size_t len = 0; len < built->size(); ++len) {
    absl::StatusOr<std::unique_ptr<TableReader>> t =
        OpenTable(built->substr(0, len), kFileName);
    ASSERT_FALSE(t.ok()) << "length " << len;
    ASSERT_TRUE(IsGoodError(t.status())) << "length " << len;
  }
}

}  // namespace
}  // namespace ferrisdb
