// The log format pinned byte for byte: the worked example of
// docs/format/log.md must stay exactly what LogWriter produces.
#include "wal/log_format.h"

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::ReadLog;
using ::ferrisdb::testing::ReadOutcome;
using ::ferrisdb::testing::StringWritableFile;

std::string Hex(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += (i % 16 == 0) ? "\n" : " ";
    out += absl::StrFormat("%02x", static_cast<unsigned char>(bytes[i]));
  }
  return out;
}

TEST(LogFormatTest, ConstantsMatchTheDocument) {
  EXPECT_EQ(kLogBlockSize, 32768u);
  EXPECT_EQ(kFragmentHeaderSize, 7u);
  EXPECT_EQ(kMaxFragmentPayload, 32761u);
  EXPECT_EQ(kFileHeaderPayloadSize, 21u);
  EXPECT_EQ(kLogFormatVersion, 1u);
  std::string magic(8, '\0');
  EncodeFixed64(magic.data(), kLogFileMagic);
  EXPECT_EQ(magic, "FerrisLG");
  EXPECT_EQ(static_cast<int>(FragmentType::kZero), 0);
  EXPECT_EQ(static_cast<int>(FragmentType::kFull), 1);
  EXPECT_EQ(static_cast<int>(FragmentType::kFirst), 2);
  EXPECT_EQ(static_cast<int>(FragmentType::kMiddle), 3);
  EXPECT_EQ(static_cast<int>(FragmentType::kLast), 4);
  EXPECT_EQ(static_cast<int>(FragmentType::kFileHeader), 5);
  EXPECT_EQ(static_cast<int>(LogFileKind::kWal), 1);
  EXPECT_EQ(static_cast<int>(LogFileKind::kManifest), 2);
}

// docs/format/log.md "Worked example": WAL 000007.log holding the records
// "hello" and "".
TEST(LogFormatTest, WorkedExampleFromTheDocument) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents), 7,
                   LogFileKind::kWal);
  FERRISDB_ASSERT_OK(writer.WriteHeader());
  FERRISDB_ASSERT_OK(writer.AddRecord("hello"));
  FERRISDB_ASSERT_OK(writer.AddRecord(""));
  EXPECT_EQ(Hex(contents),
            "d5 3d 57 5c 15 00 05 46 65 72 72 69 73 4c 47 01\n"
            "00 00 00 01 07 00 00 00 00 00 00 00 b8 b1 35 91\n"
            "05 00 01 68 65 6c 6c 6f 5a 57 7c b3 00 00 01");

  ReadOutcome out = ReadLog(contents, 7, LogFileKind::kWal);
  FERRISDB_ASSERT_OK(out.status);
  EXPECT_EQ(out.records, (std::vector<std::string>{"hello", ""}));
  EXPECT_EQ(out.record_offsets, (std::vector<uint64_t>{28, 40}));
}

}  // namespace
}  // namespace ferrisdb
