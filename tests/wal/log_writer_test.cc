// LogWriter: the bytes it lays out (checked with the independent parser in
// log_test_util.h) and its error handling.
#include "wal/log_writer.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "wal/log_test_util.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FragmentInfo;
using ::ferrisdb::testing::kTestFileNumber;
using ::ferrisdb::testing::ParseFragments;
using ::ferrisdb::testing::PatternRecord;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StringWritableFile;

constexpr auto kFull = static_cast<uint8_t>(FragmentType::kFull);
constexpr auto kFirst = static_cast<uint8_t>(FragmentType::kFirst);
constexpr auto kMiddle = static_cast<uint8_t>(FragmentType::kMiddle);
constexpr auto kLast = static_cast<uint8_t>(FragmentType::kLast);
constexpr auto kHeader = static_cast<uint8_t>(FragmentType::kFileHeader);

TEST(LogWriterTest, WriteHeaderWritesOneFileHeaderFragment) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents), 77,
                   LogFileKind::kManifest);
  FERRISDB_ASSERT_OK(writer.WriteHeader());
  ASSERT_EQ(contents.size(), kFileHeaderRecordSize);
  EXPECT_EQ(writer.file_size(), kFileHeaderRecordSize);
  std::vector<FragmentInfo> fragments = ParseFragments(contents);
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_EQ(fragments[0].type, kHeader);
  ASSERT_EQ(fragments[0].length, kFileHeaderPayloadSize);
  const char* p = contents.data() + kFragmentHeaderSize;
  EXPECT_EQ(DecodeFixed64(p), kLogFileMagic);
  EXPECT_EQ(DecodeFixed32(p + 8), kLogFormatVersion);
  EXPECT_EQ(p[12], static_cast<char>(LogFileKind::kManifest));
  EXPECT_EQ(DecodeFixed64(p + 13), 77u);
}

TEST(LogWriterTest, WriteHeaderTwiceWritesItOnce) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                   kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.WriteHeader());
  FERRISDB_ASSERT_OK(writer.WriteHeader());
  EXPECT_EQ(contents.size(), kFileHeaderRecordSize);
}

TEST(LogWriterTest, FirstAddRecordWritesTheHeader) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                   kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.AddRecord("abc"));
  std::vector<FragmentInfo> fragments = ParseFragments(contents);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(fragments[0].type, kHeader);
  EXPECT_EQ(fragments[1].type, kFull);
  EXPECT_EQ(fragments[1].length, 3u);
  EXPECT_EQ(writer.file_size(), contents.size());
}

TEST(LogWriterTest, EmptyRecordIsOneEmptyFullFragment) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                   kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.AddRecord(""));
  std::vector<FragmentInfo> fragments = ParseFragments(contents);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(fragments[1].type, kFull);
  EXPECT_EQ(fragments[1].length, 0u);
  EXPECT_EQ(contents.size(), kFileHeaderRecordSize + kFragmentHeaderSize);
}

TEST(LogWriterTest, SmallRecordIsOneHeaderAppendAndOnePayloadAppend) {
  std::string contents;
  auto file = std::make_unique<StringWritableFile>(&contents);
  StringWritableFile* raw = file.get();
  LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.WriteHeader());
  const int before = raw->append_calls();
  FERRISDB_ASSERT_OK(writer.AddRecord(std::string(100, 'x')));
  EXPECT_EQ(raw->append_calls() - before, 2);
}

// For every number of bytes `left` remaining in the block after a record,
// checks where the next record's fragments go: fewer than 7 bytes are
// zero padding; exactly 7 hold an empty First fragment.
TEST(LogWriterTest, BlockTrailerLayout) {
  for (size_t left = 0; left <= 9; ++left) {
    SCOPED_TRACE("bytes left in block: " + std::to_string(left));
    std::string contents;
    LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                     kTestFileNumber, LogFileKind::kWal);
    const size_t filler =
        kLogBlockSize - kFileHeaderRecordSize - kFragmentHeaderSize - left;
    FERRISDB_ASSERT_OK(writer.AddRecord(PatternRecord(0, filler)));
    ASSERT_EQ(contents.size(), kLogBlockSize - left);
    FERRISDB_ASSERT_OK(writer.AddRecord(PatternRecord(1, 100)));
    EXPECT_EQ(writer.file_size(), contents.size());

    std::vector<FragmentInfo> f = ParseFragments(contents);
    if (left < kFragmentHeaderSize) {
      ASSERT_EQ(f.size(), 3u);
      EXPECT_EQ(f[2].offset, kLogBlockSize);
      EXPECT_EQ(f[2].type, kFull);
      EXPECT_EQ(contents.substr(kLogBlockSize - left, left),
                std::string(left, '\0'));
    } else {
      ASSERT_EQ(f.size(), 4u);
      EXPECT_EQ(f[2].offset, kLogBlockSize - left);
      EXPECT_EQ(f[2].type, kFirst);
      EXPECT_EQ(f[2].length, left - kFragmentHeaderSize);
      EXPECT_EQ(f[3].offset, kLogBlockSize);
      EXPECT_EQ(f[3].type, kLast);
      EXPECT_EQ(f[3].length, 100 - (left - kFragmentHeaderSize));
    }
  }
}

TEST(LogWriterTest, LargeRecordFillsEachBlock) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                   kTestFileNumber, LogFileKind::kWal);
  const size_t size = 100 * 1024;
  FERRISDB_ASSERT_OK(writer.AddRecord(PatternRecord(0, size)));
  std::vector<FragmentInfo> f = ParseFragments(contents);
  ASSERT_EQ(f.size(), 5u);  // header, First, Middle, Middle, Last
  EXPECT_EQ(f[1].type, kFirst);
  EXPECT_EQ(f[2].type, kMiddle);
  EXPECT_EQ(f[3].type, kMiddle);
  EXPECT_EQ(f[4].type, kLast);
  size_t total = 0;
  for (size_t i = 1; i < f.size(); ++i) {
    EXPECT_EQ(f[i].offset,
              i == 1 ? kFileHeaderRecordSize : (i - 1) * kLogBlockSize);
    if (i < 4) {
      EXPECT_EQ(f[i].end() % kLogBlockSize, 0u);
    }
    total += f[i].length;
  }
  EXPECT_EQ(total, size);
}

TEST(LogWriterTest, FailedAppendBreaksTheWriter) {
  std::string contents;
  auto file = std::make_unique<StringWritableFile>(&contents);
  StringWritableFile* raw = file.get();
  LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.AddRecord("first"));
  const size_t good_size = contents.size();
  raw->FailAfterBytes(good_size + 50);  // the next fragment is cut short

  absl::Status s = writer.AddRecord(std::string(100, 'y'));
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(contents.size(), good_size + 50);
  // The fragment header was appended; its payload was cut short.
  EXPECT_EQ(writer.file_size(), good_size + kFragmentHeaderSize);

  raw->FailAfterBytes(SIZE_MAX);  // even if the disk recovers
  const int calls = raw->append_calls();
  EXPECT_EQ(writer.AddRecord("later"), s);
  EXPECT_EQ(writer.AddRecord(""), s);
  EXPECT_EQ(writer.WriteHeader(), s);
  EXPECT_EQ(writer.Flush(), s);
  EXPECT_EQ(writer.Sync(), s);
  EXPECT_EQ(writer.Close(), s);
  EXPECT_EQ(raw->append_calls(), calls);
  EXPECT_EQ(contents.size(), good_size + 50);
}

TEST(LogWriterTest, FailedHeaderAppendBreaksTheWriter) {
  std::string contents;
  auto file = std::make_unique<StringWritableFile>(&contents);
  file->FailAfterBytes(3);
  LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
  absl::Status s = writer.AddRecord("x");
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(writer.WriteHeader(), s);
  EXPECT_EQ(writer.AddRecord("x"), s);
  EXPECT_EQ(contents.size(), 3u);
}

TEST(LogWriterTest, FailedSyncBreaksTheWriter) {
  std::string contents;
  auto file = std::make_unique<StringWritableFile>(&contents);
  file->FailSync();
  LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.AddRecord("x"));
  absl::Status s = writer.Sync();
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(writer.AddRecord("y"), s);
}

TEST(LogWriterTest, CallsAfterCloseFail) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents),
                   kTestFileNumber, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.AddRecord("x"));
  FERRISDB_ASSERT_OK(writer.Close());
  EXPECT_THAT(writer.AddRecord("y"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(writer.Sync(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(writer.Close(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace ferrisdb
