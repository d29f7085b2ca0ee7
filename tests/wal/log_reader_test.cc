// LogReader on well-formed logs (round trips), on file headers, and on
// hand-crafted fragment sequences. Damage and torn tails: log_corruption_test.
#include "wal/log_reader.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "wal/log_test_util.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FragmentInfo;
using ::ferrisdb::testing::kTestFileNumber;
using ::ferrisdb::testing::MakeFileHeaderPayload;
using ::ferrisdb::testing::MakeFragment;
using ::ferrisdb::testing::ParseFragments;
using ::ferrisdb::testing::PatternRecord;
using ::ferrisdb::testing::ReadLog;
using ::ferrisdb::testing::ReadOutcome;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;
using ::ferrisdb::testing::StringSequentialFile;
using ::ferrisdb::testing::WriteLog;

constexpr auto kFull = static_cast<uint8_t>(FragmentType::kFull);
constexpr auto kFirst = static_cast<uint8_t>(FragmentType::kFirst);
constexpr auto kMiddle = static_cast<uint8_t>(FragmentType::kMiddle);
constexpr auto kLast = static_cast<uint8_t>(FragmentType::kLast);
constexpr auto kHeader = static_cast<uint8_t>(FragmentType::kFileHeader);
constexpr auto kWal = static_cast<uint8_t>(LogFileKind::kWal);

std::string ValidFileHeader() {
  return MakeFragment(
      kHeader, MakeFileHeaderPayload(kLogFileMagic, 1, kWal, kTestFileNumber));
}

// Writes records, reads them back, and checks they match exactly, with the
// right offsets, a clean end and no torn tail.
void ExpectRoundTrip(const std::vector<std::string>& records,
                     size_t max_read = SIZE_MAX, bool use_own_memory = false) {
  const std::string contents = WriteLog(records);
  ReadOutcome out = ReadLog(contents, kTestFileNumber, LogFileKind::kWal,
                            max_read, use_own_memory);
  FERRISDB_ASSERT_OK(out.status);
  ASSERT_EQ(out.records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(out.records[i], records[i]) << "record " << i;
  }
  EXPECT_FALSE(out.tail_was_torn);
  EXPECT_EQ(out.end_of_valid_data, contents.size());

  // Offsets agree with the independent parser: each record starts at a Full
  // or First fragment.
  std::vector<uint64_t> starts;
  for (const FragmentInfo& f : ParseFragments(contents)) {
    if (f.type == kFull || f.type == kFirst) starts.push_back(f.offset);
  }
  EXPECT_EQ(out.record_offsets, starts);
}

TEST(LogReaderTest, EmptyFileIsAnEmptyLog) {
  ReadOutcome out = ReadLog("");
  FERRISDB_EXPECT_OK(out.status);
  EXPECT_TRUE(out.records.empty());
  EXPECT_FALSE(out.tail_was_torn);
  EXPECT_EQ(out.end_of_valid_data, 0u);
}

TEST(LogReaderTest, HeaderOnlyIsAnEmptyLog) {
  ReadOutcome out = ReadLog(WriteLog({}));
  FERRISDB_EXPECT_OK(out.status);
  EXPECT_TRUE(out.records.empty());
  EXPECT_FALSE(out.tail_was_torn);
  EXPECT_EQ(out.end_of_valid_data, kFileHeaderRecordSize);
}

TEST(LogReaderTest, TornHeaderIsAnEmptyLogWithATornTail) {
  const std::string header = WriteLog({});
  for (size_t n = 1; n < header.size(); ++n) {
    ReadOutcome out = ReadLog(header.substr(0, n));
    FERRISDB_EXPECT_OK(out.status) << "header cut at " << n;
    EXPECT_TRUE(out.records.empty());
    EXPECT_TRUE(out.tail_was_torn);
    EXPECT_EQ(out.end_of_valid_data, 0u);
  }
}

TEST(LogReaderTest, GarbageHeaderFollowedByValidDataIsDataLoss) {
  std::string log = WriteLog({"a", "b"});
  log[10] = static_cast<char>(log[10] ^ 0x01);  // inside the magic
  ReadOutcome out = ReadLog(log);
  EXPECT_THAT(out.status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "log 000012.log: unreadable file header: "
                                  "checksum mismatch in fragment at offset 0 "
                                  "(valid data follows at offset 28)"));
  EXPECT_TRUE(out.records.empty());
}

TEST(LogReaderTest, RoundTripSmallRecords) {
  ExpectRoundTrip({"", "a", "", "hello", std::string(1000, 'z')});
}

TEST(LogReaderTest, RoundTripAroundEveryBlockTrailerSize) {
  // A first record leaving `left` bytes in block 0, then records that cross
  // into block 1 (including a zero-length First when left == 7), and one that
  // exactly fills block 1.
  for (size_t left = 0; left <= 9; ++left) {
    SCOPED_TRACE("bytes left in block: " + std::to_string(left));
    const size_t filler =
        kLogBlockSize - kFileHeaderRecordSize - kFragmentHeaderSize - left;
    ExpectRoundTrip(
        {PatternRecord(0, filler), PatternRecord(1, 1), PatternRecord(2, 20)});
    ExpectRoundTrip({PatternRecord(0, filler), PatternRecord(1, 0)});
    ExpectRoundTrip({PatternRecord(0, filler), PatternRecord(1, filler),
                     PatternRecord(2, kMaxFragmentPayload)});
  }
}

TEST(LogReaderTest, RoundTripRecordExactlyFillingABlock) {
  const size_t fill_block0 =
      kLogBlockSize - kFileHeaderRecordSize - kFragmentHeaderSize;
  ExpectRoundTrip({PatternRecord(0, fill_block0),
                   PatternRecord(1, kMaxFragmentPayload), PatternRecord(2, 5)});
}

TEST(LogReaderTest, RoundTripRecordsSpanningManyBlocks) {
  ExpectRoundTrip({"a", PatternRecord(1, 100 * 1024), "b",
                   PatternRecord(3, 5 * 1024 * 1024), "c"});
}

TEST(LogReaderTest, RoundTripRandomRecords) {
  const uint32_t seed = ::ferrisdb::testing::TestSeed(301);
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with FERRISDB_TEST_SEED=<seed>)");
  std::mt19937 rng(seed);
  std::vector<std::string> records;
  for (int i = 0; i < 4000; ++i) {
    // Mostly small, some around a block, a few spanning several.
    size_t size;
    switch (rng() % 10) {
      case 0:
        size = rng() % (3 * kLogBlockSize);
        break;
      case 1:
      case 2:
        size = rng() % 2000;
        break;
      default:
        size = rng() % 120;
    }
    records.push_back(PatternRecord(rng(), size));
  }
  ExpectRoundTrip(records);
  // Short reads from the file, and a file that returns its own memory.
  ExpectRoundTrip(records, /*max_read=*/1 + rng() % 5000);
  ExpectRoundTrip(records, SIZE_MAX, /*use_own_memory=*/true);
}

TEST(LogReaderTest, SingleFragmentRecordIsNotCopied) {
  LogReader reader(std::make_unique<StringSequentialFile>(WriteLog({"abc"})),
                   "x.log", kTestFileNumber, LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  FERRISDB_ASSERT_OK_AND_ASSIGN(bool ok, reader.ReadRecord(&record, &scratch));
  ASSERT_TRUE(ok);
  EXPECT_EQ(record, "abc");
  EXPECT_TRUE(scratch.empty());
}

TEST(LogReaderTest, EndAndErrorsAreSticky) {
  LogReader reader(std::make_unique<StringSequentialFile>(WriteLog({"a"})),
                   "x.log", kTestFileNumber, LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  ASSERT_TRUE(*reader.ReadRecord(&record, &scratch));
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<bool> r = reader.ReadRecord(&record, &scratch);
    FERRISDB_ASSERT_OK(r);
    EXPECT_FALSE(*r);
  }
  LogReader bad(std::make_unique<StringSequentialFile>(WriteLog({"a"})),
                "x.log", kTestFileNumber + 1, LogFileKind::kWal);
  absl::StatusOr<bool> first = bad.ReadRecord(&record, &scratch);
  ASSERT_THAT(first, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(bad.ReadRecord(&record, &scratch).status(), first.status());
}

TEST(LogReaderTest, ReadErrorIsReturned) {
  class FailingFile : public SequentialFile {
   public:
    absl::Status Read(size_t, std::string_view*, char*) override {
      return absl::InternalError("x.log: I/O error");
    }
    absl::Status Skip(uint64_t) override { return absl::OkStatus(); }
  };
  LogReader reader(std::make_unique<FailingFile>(), "x.log", kTestFileNumber,
                   LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  EXPECT_THAT(reader.ReadRecord(&record, &scratch),
              StatusIsWithMessage(absl::StatusCode::kInternal, "I/O error"));
}

TEST(LogReaderTest, ChecksFileHeaderMagic) {
  std::string log = MakeFragment(
      kHeader, MakeFileHeaderPayload(kLogFileMagic ^ 1, 1, kWal, 12));
  EXPECT_THAT(ReadLog(log).status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "log 000012.log: not a FerrisDB log file"));
}

TEST(LogReaderTest, ChecksFileNumber) {
  EXPECT_THAT(
      ReadLog(WriteLog({"a"}, /*file_number=*/13)).status,
      StatusIsWithMessage(absl::StatusCode::kDataLoss,
                          "log 000012.log: file header has file number 13, "
                          "expected 12"));
}

TEST(LogReaderTest, ChecksFileKind) {
  EXPECT_THAT(
      ReadLog(WriteLog({"a"}, kTestFileNumber, LogFileKind::kManifest)).status,
      StatusIsWithMessage(absl::StatusCode::kDataLoss,
                          "log 000012.log: file header says this is "
                          "a MANIFEST log (kind 2), expected a WAL"));
  std::string log = MakeFragment(
      kHeader, MakeFileHeaderPayload(kLogFileMagic, 1, 9, kTestFileNumber));
  EXPECT_THAT(ReadLog(log).status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss, "kind 9"));
}

TEST(LogReaderTest, NewerFormatVersionNeedsNewerFerrisDB) {
  std::string log = MakeFragment(
      kHeader, MakeFileHeaderPayload(kLogFileMagic, 2, kWal, kTestFileNumber));
  log += MakeFragment(kFull, "a");
  EXPECT_THAT(ReadLog(log).status,
              StatusIsWithMessage(absl::StatusCode::kFailedPrecondition,
                                  "newer FerrisDB"));
}

TEST(LogReaderTest, FormatVersionZeroIsDataLoss) {
  std::string log = MakeFragment(
      kHeader, MakeFileHeaderPayload(kLogFileMagic, 0, kWal, kTestFileNumber));
  EXPECT_THAT(ReadLog(log).status, StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LogReaderTest, ShortFileHeaderIsDataLoss) {
  std::string payload =
      MakeFileHeaderPayload(kLogFileMagic, 1, kWal, kTestFileNumber);
  payload.pop_back();
  EXPECT_THAT(ReadLog(MakeFragment(kHeader, payload)).status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss, "too short"));
}

TEST(LogReaderTest, LongerFileHeaderIsAccepted) {
  // Version 1 readers ignore bytes after the file number (log.md).
  std::string payload =
      MakeFileHeaderPayload(kLogFileMagic, 1, kWal, kTestFileNumber) + "more";
  ReadOutcome out =
      ReadLog(MakeFragment(kHeader, payload) + MakeFragment(kFull, "a"));
  FERRISDB_ASSERT_OK(out.status);
  EXPECT_EQ(out.records, std::vector<std::string>{"a"});
}

TEST(LogReaderTest, MissingFileHeaderIsDataLoss) {
  EXPECT_THAT(ReadLog(MakeFragment(kFull, "a")).status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "does not begin with a file header"));
}

TEST(LogReaderTest, SecondFileHeaderIsDataLoss) {
  const std::string log = ValidFileHeader() + MakeFragment(kFull, "a") +
                          ValidFileHeader() + MakeFragment(kFull, "b");
  ReadOutcome out = ReadLog(log);
  EXPECT_THAT(out.status, StatusIsWithMessage(
                              absl::StatusCode::kDataLoss,
                              "unexpected file header fragment at offset 36"));
  EXPECT_EQ(out.records, std::vector<std::string>{"a"});
}

TEST(LogReaderTest, UnknownIgnorableFragmentsAreSkipped) {
  const std::string log = ValidFileHeader() + MakeFragment(kFull, "a") +
                          MakeFragment(0x85, "x") + MakeFragment(kFirst, "b1") +
                          MakeFragment(0xff, "") + MakeFragment(kLast, "b2") +
                          MakeFragment(0x80, "tail");
  ReadOutcome out = ReadLog(log);
  FERRISDB_ASSERT_OK(out.status);
  EXPECT_EQ(out.records, (std::vector<std::string>{"a", "b1b2"}));
  EXPECT_FALSE(out.tail_was_torn);
  EXPECT_EQ(out.end_of_valid_data, log.size());
}

TEST(LogReaderTest, UnknownFragmentTypeIsDataLoss) {
  const std::string log = ValidFileHeader() + MakeFragment(kFull, "a") +
                          MakeFragment(6, "x") + MakeFragment(kFull, "b");
  ReadOutcome out = ReadLog(log);
  EXPECT_THAT(out.status,
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "unsupported fragment type 6 at offset 36"));
  EXPECT_EQ(out.records, std::vector<std::string>{"a"});
}

TEST(LogReaderTest, ImpossibleFragmentSequencesAreDataLoss) {
  struct Case {
    std::string fragments;
    const char* message;
  };
  const std::vector<Case> cases = {
      {MakeFragment(kMiddle, "m"), "middle fragment at offset 36"},
      {MakeFragment(kLast, "l"), "last fragment at offset 36"},
      {MakeFragment(kFirst, "f") + MakeFragment(kFull, "x"),
       "record at offset 36 has no last fragment: a new record starts at "
       "offset 44"},
      {MakeFragment(kFirst, "f") + MakeFragment(kFirst, "g") +
           MakeFragment(kLast, "h"),
       "record at offset 36 has no last fragment"},
  };
  for (const Case& c : cases) {
    const std::string log =
        ValidFileHeader() + MakeFragment(kFull, "a") + c.fragments;
    ReadOutcome out = ReadLog(log);
    EXPECT_THAT(out.status,
                StatusIsWithMessage(absl::StatusCode::kDataLoss, c.message));
    EXPECT_EQ(out.records, std::vector<std::string>{"a"});
  }
}

TEST(LogReaderTest, FirstFragmentWithoutLastAtTheEndIsATornTail) {
  const std::string log = ValidFileHeader() + MakeFragment(kFull, "a") +
                          MakeFragment(kFirst, "b1") +
                          MakeFragment(kMiddle, "b2");
  ReadOutcome out = ReadLog(log);
  FERRISDB_ASSERT_OK(out.status);
  EXPECT_EQ(out.records, std::vector<std::string>{"a"});
  EXPECT_TRUE(out.tail_was_torn);
  EXPECT_EQ(out.end_of_valid_data, kFileHeaderRecordSize + 8);
}

}  // namespace
}  // namespace ferrisdb
