// LogReader on damaged logs: a torn tail (truncation, zero fill, garbage) is a
// clean end; damage followed by valid data is DataLoss at the right offset;
// and no damage ever yields a wrong record.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FragmentInfo;
using ::ferrisdb::testing::ParseFragments;
using ::ferrisdb::testing::PatternRecord;
using ::ferrisdb::testing::RandomBytes;
using ::ferrisdb::testing::ReadLog;
using ::ferrisdb::testing::ReadOutcome;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;
using ::ferrisdb::testing::WriteLog;

constexpr auto kFull = static_cast<uint8_t>(FragmentType::kFull);
constexpr auto kFirst = static_cast<uint8_t>(FragmentType::kFirst);
constexpr auto kLast = static_cast<uint8_t>(FragmentType::kLast);

// A written log with the fragments of each record.
struct Layout {
  std::vector<std::string> records;
  std::string contents;
  std::vector<FragmentInfo> fragments;
  // Index of the record each fragment belongs to; -1 for the file header.
  std::vector<int> record_of_fragment;
  // End offset of each record (after its last fragment).
  std::vector<uint64_t> record_end;
};

Layout MakeLayout(std::vector<std::string> records) {
  Layout l;
  l.records = std::move(records);
  l.contents = WriteLog(l.records);
  l.fragments = ParseFragments(l.contents);
  int record = -1;
  for (const FragmentInfo& f : l.fragments) {
    if (f.type == kFull || f.type == kFirst) ++record;
    l.record_of_fragment.push_back(record);
    if (f.type == kFull || f.type == kLast) l.record_end.push_back(f.end());
  }
  EXPECT_EQ(static_cast<size_t>(record) + 1, l.records.size());
  return l;
}

std::vector<std::string> Prefix(const std::vector<std::string>& v, size_t n) {
  return std::vector<std::string>(v.begin(), v.begin() + n);
}

// Records filling block 0 except the last `tail` bytes, so that the next
// record starts `tail` bytes before the block boundary.
std::vector<std::string> RecordsEndingNearBlockEnd(size_t tail) {
  std::vector<std::string> r = {PatternRecord(0, 10), PatternRecord(1, 300)};
  const size_t used = kFileHeaderRecordSize + 2 * kFragmentHeaderSize + 310;
  r.push_back(
      PatternRecord(2, kLogBlockSize - used - kFragmentHeaderSize - tail));
  return r;
}

// Reads `contents` cut at `size` and expects the records completed before the
// cut, a clean end, and a torn tail iff bytes remain after the last of them.
void ExpectTornTail(const Layout& l, size_t size) {
  SCOPED_TRACE(absl::StrCat("file cut at ", size));
  ReadOutcome out = ReadLog(l.contents.substr(0, size));
  FERRISDB_ASSERT_OK(out.status);
  size_t complete = 0;
  while (complete < l.record_end.size() && l.record_end[complete] <= size) {
    ++complete;
  }
  ASSERT_EQ(out.records, Prefix(l.records, complete));
  const uint64_t valid_end =
      complete == 0 ? kFileHeaderRecordSize : l.record_end[complete - 1];
  EXPECT_EQ(out.end_of_valid_data, valid_end);
  EXPECT_EQ(out.tail_was_torn, size > valid_end);
}

TEST(LogCorruptionTest, TruncationAtEveryOffsetOfARecordCrossingABlock) {
  // The last record starts 100 bytes before the block end, after padding-free
  // records, and ends in block 1.
  std::vector<std::string> records = RecordsEndingNearBlockEnd(100);
  records.push_back(PatternRecord(3, 1000));
  const Layout l = MakeLayout(records);
  ASSERT_EQ(l.fragments.back().type, kLast);
  for (size_t size = l.record_end[2]; size <= l.contents.size(); ++size) {
    ExpectTornTail(l, size);
  }
}

TEST(LogCorruptionTest, TruncationInsideABlockTrailer) {
  // Block 0 ends with 3 bytes of padding before the last record.
  std::vector<std::string> records = RecordsEndingNearBlockEnd(3);
  records.push_back(PatternRecord(3, 50));
  const Layout l = MakeLayout(records);
  ASSERT_EQ(l.record_end[2], kLogBlockSize - 3);
  for (size_t size = l.record_end[2]; size <= l.contents.size(); ++size) {
    ExpectTornTail(l, size);
  }
}

TEST(LogCorruptionTest, TruncationOfARecordSpanningManyBlocks) {
  const Layout l = MakeLayout(
      {PatternRecord(0, 5), PatternRecord(1, 5 * kLogBlockSize + 77)});
  // Every byte near a block boundary or the ends, every 97th elsewhere.
  for (size_t size = l.record_end[0]; size <= l.contents.size(); ++size) {
    const size_t in_block = size % kLogBlockSize;
    const bool near_boundary = in_block < 12 || in_block > kLogBlockSize - 12;
    if (near_boundary || size % 97 == 0 || size + 12 > l.contents.size()) {
      ExpectTornTail(l, size);
    }
  }
}

TEST(LogCorruptionTest, ZeroFilledTailIsATornTail) {
  const Layout l = MakeLayout({"a", PatternRecord(1, 40000), "b"});
  for (size_t zeros : {1, 6, 7, 8, 100, 32768, 100000}) {
    SCOPED_TRACE(absl::StrCat(zeros, " zero bytes"));
    ReadOutcome out = ReadLog(l.contents + std::string(zeros, '\0'));
    FERRISDB_ASSERT_OK(out.status);
    EXPECT_EQ(out.records, l.records);
    EXPECT_TRUE(out.tail_was_torn);
    EXPECT_EQ(out.end_of_valid_data, l.contents.size());
  }
}

TEST(LogCorruptionTest, PreallocatedSpaceAfterAPartialRecordIsATornTail) {
  // A crash mid-record in a file preallocated (zero-filled) to 4 blocks.
  const Layout l = MakeLayout({"a", PatternRecord(1, 40000)});
  for (size_t cut : {l.record_end[0] + 3, l.record_end[0] + 1000,
                     size_t{kLogBlockSize + 5}, l.contents.size() - 1}) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    std::string contents = l.contents.substr(0, cut);
    contents.resize(4 * kLogBlockSize, '\0');
    ReadOutcome out = ReadLog(contents);
    FERRISDB_ASSERT_OK(out.status);
    EXPECT_EQ(out.records, Prefix(l.records, 1));
    EXPECT_TRUE(out.tail_was_torn);
  }
}

TEST(LogCorruptionTest, GarbageTailIsATornTail) {
  const uint32_t seed = ::ferrisdb::testing::TestSeed(4242);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 rng(seed);
  const Layout l = MakeLayout({"a", PatternRecord(1, 40000), "b"});
  for (size_t n : {1, 7, 1000, 100000}) {
    SCOPED_TRACE(absl::StrCat(n, " garbage bytes"));
    ReadOutcome out = ReadLog(l.contents + RandomBytes(&rng, n));
    FERRISDB_ASSERT_OK(out.status);
    EXPECT_EQ(out.records, l.records);
    EXPECT_TRUE(out.tail_was_torn);
  }
}

// Flips one byte at `offset` and expects DataLoss naming the fragment that
// holds it, with only the records before it returned.
void ExpectMidFileDamage(const Layout& l, size_t fragment_index,
                         uint64_t offset) {
  const FragmentInfo& f = l.fragments[fragment_index];
  SCOPED_TRACE(absl::StrCat("byte ", offset, " of the fragment at ", f.offset));
  std::string contents = l.contents;
  contents[offset] = static_cast<char>(contents[offset] ^ 0xff);
  ReadOutcome out = ReadLog(contents);
  EXPECT_THAT(out.status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  absl::StrCat("log 000012.log: ")));
  EXPECT_THAT(out.status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  absl::StrCat("at offset ", f.offset, " ")));
  const int record = l.record_of_fragment[fragment_index];
  EXPECT_EQ(out.records, Prefix(l.records, record < 0 ? 0 : record));
}

TEST(LogCorruptionTest, DamageInEachFragmentOfAnEarlyRecordIsDataLoss) {
  const Layout l =
      MakeLayout({PatternRecord(0, 10), PatternRecord(1, 3 * kLogBlockSize),
                  PatternRecord(2, 10), PatternRecord(3, 20)});
  for (size_t i = 0; i + 2 < l.fragments.size(); ++i) {
    const FragmentInfo& f = l.fragments[i];
    // Checksum, length, type, and the first, middle and last payload byte.
    for (uint64_t offset :
         {f.offset, f.offset + 4, f.offset + 5, f.offset + 6, f.offset + 7,
          f.offset + 7 + f.length / 2, f.end() - 1}) {
      if (offset >= f.end()) continue;  // empty payload
      ExpectMidFileDamage(l, i, offset);
    }
  }
}

TEST(LogCorruptionTest, ZeroedBlockInTheMiddleIsDataLoss) {
  const Layout l =
      MakeLayout({PatternRecord(0, 3 * kLogBlockSize), PatternRecord(1, 5)});
  std::string contents = l.contents;
  std::fill_n(contents.begin() + kLogBlockSize, kLogBlockSize, '\0');
  ReadOutcome out = ReadLog(contents);
  EXPECT_THAT(out.status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "zero-filled fragment header at offset 32768 "
                                  "(valid data follows at offset 65536)"));
  EXPECT_TRUE(out.records.empty());
}

TEST(LogCorruptionTest, CutRecordFollowedByValidDataIsDataLoss) {
  // A partial record, then (after a crash and a buggy append) valid records:
  // the partial record's missing bytes are a hole, not a tail.
  const Layout l = MakeLayout({"a", PatternRecord(1, 500)});
  std::string contents = l.contents.substr(0, l.record_end[0] + 100);
  const Layout more = MakeLayout({"b"});
  contents += more.contents.substr(kFileHeaderRecordSize);
  ReadOutcome out = ReadLog(contents);
  EXPECT_THAT(
      out.status,
      StatusIsWithMessage(absl::StatusCode::kDataLoss,
                          absl::StrCat("at offset ", l.record_end[0], " ")));
  EXPECT_EQ(out.records, Prefix(l.records, 1));
}

// For every byte of the log: XOR 0xff, read everything, and check that the
// records returned are exactly a prefix of those written, followed by
// DataLoss naming the damaged fragment, or by a clean end only when the
// damaged fragment is the last one in the file.
void ExhaustiveByteFlip(const Layout& l) {
  std::string contents = l.contents;
  size_t fragment = 0;
  for (size_t offset = 0; offset < contents.size(); ++offset) {
    while (fragment < l.fragments.size() &&
           l.fragments[fragment].end() <= offset) {
      ++fragment;
    }
    const bool in_fragment =
        fragment < l.fragments.size() && l.fragments[fragment].offset <= offset;
    contents[offset] = static_cast<char>(contents[offset] ^ 0xff);
    ReadOutcome out = ReadLog(contents);
    contents[offset] = static_cast<char>(contents[offset] ^ 0xff);

    SCOPED_TRACE(absl::StrCat("flipped byte ", offset));
    if (!in_fragment) {  // block padding: nothing is lost
      FERRISDB_ASSERT_OK(out.status);
      ASSERT_EQ(out.records, l.records);
      ASSERT_FALSE(out.tail_was_torn);
      continue;
    }
    const FragmentInfo& f = l.fragments[fragment];
    const int record = l.record_of_fragment[fragment];
    ASSERT_EQ(out.records, Prefix(l.records, record < 0 ? 0 : record));
    if (fragment + 1 == l.fragments.size()) {
      FERRISDB_ASSERT_OK(out.status);
      ASSERT_TRUE(out.tail_was_torn);
    } else {
      ASSERT_THAT(out.status, StatusIsWithMessage(
                                  absl::StatusCode::kDataLoss,
                                  absl::StrCat("at offset ", f.offset, " ")));
    }
  }
}

TEST(LogCorruptionTest, ExhaustiveByteFlipWithARecordCrossingABlock) {
  // The last record has its First fragment in block 0 and its Last in block
  // 1: damage in the First is DataLoss (the Last follows), damage in the Last
  // a torn tail.
  std::vector<std::string> records = RecordsEndingNearBlockEnd(100);
  records.push_back(PatternRecord(3, 300));
  const Layout l = MakeLayout(records);
  ASSERT_EQ(l.fragments.size(), 6u);
  ASSERT_EQ(l.fragments[4].type, kFirst);
  ExhaustiveByteFlip(l);
}

TEST(LogCorruptionTest, ExhaustiveByteFlipWithBlockPadding) {
  std::vector<std::string> records = RecordsEndingNearBlockEnd(3);
  records.push_back(PatternRecord(3, 40));
  records.push_back(PatternRecord(4, 30));
  const Layout l = MakeLayout(records);
  ASSERT_EQ(l.record_end[2], kLogBlockSize - 3);
  ExhaustiveByteFlip(l);
}

}  // namespace
}  // namespace ferrisdb
