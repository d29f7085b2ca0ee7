// LogReader on inputs the other tests do not build: a file header cut at every
// length (each names what is missing), and a SequentialFile that breaks its
// contract by returning more bytes than asked for.
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::kTestFileName;
using ::ferrisdb::testing::kTestFileNumber;
using ::ferrisdb::testing::MakeFileHeaderPayload;
using ::ferrisdb::testing::MakeFragment;
using ::ferrisdb::testing::ReadLog;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::WriteLog;

constexpr auto kHeader = static_cast<uint8_t>(FragmentType::kFileHeader);
constexpr auto kWal = static_cast<uint8_t>(LogFileKind::kWal);

// log.md "File header": magic (8 bytes), version (4), kind (1), file number
// (8). A header cut short says which part is missing.
TEST(LogReaderInputChecksTest, FileHeaderCutAtEveryLengthNamesWhatIsMissing) {
  const std::string full =
      MakeFileHeaderPayload(kLogFileMagic, 1, kWal, kTestFileNumber);
  ASSERT_EQ(full.size(), kFileHeaderPayloadSize);
  for (size_t len = 0; len < kFileHeaderPayloadSize; ++len) {
    SCOPED_TRACE(absl::StrFormat("header payload of %d bytes", len));
    std::string expected;
    if (len < kFileHeaderVersionOffset) {
      expected = "not a FerrisDB log file (bad magic number)";
    } else if (len < kFileHeaderKindOffset) {
      expected = absl::StrFormat("file header too short (%d bytes)", len);
    } else {
      expected = absl::StrFormat(
          "file header too short (%d bytes, expected at least %d)", len,
          kFileHeaderPayloadSize);
    }
    const absl::Status s =
        ReadLog(MakeFragment(kHeader, full.substr(0, len))).status;
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_EQ(s.message(),
              absl::StrFormat("log %s: %s", kTestFileName, expected));
  }
}

// Returns one byte more than asked for, from its own memory.
class OverlongReadFile : public SequentialFile {
 public:
  explicit OverlongReadFile(std::string contents)
      : contents_(std::move(contents)) {}
  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    *result = std::string_view(contents_.data(), n + 1);
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override { return absl::OkStatus(); }

 private:
  std::string contents_;
};

TEST(LogReaderInputChecksTest, FileReturningMoreBytesThanAskedIsInternalError) {
  // Big enough that a view of n + 1 bytes stays inside the string.
  std::string contents = WriteLog({std::string(3 * kLogBlockSize, 'x')});
  LogReader reader(std::make_unique<OverlongReadFile>(std::move(contents)),
                   kTestFileName, kTestFileNumber, LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  const absl::StatusOr<bool> r = reader.ReadRecord(&record, &scratch);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(r.status().message(),
            absl::StrFormat("log %s: file returned more bytes than requested",
                            kTestFileName));
  // The error is sticky: the reader does not go on with a bad buffer.
  EXPECT_EQ(reader.ReadRecord(&record, &scratch).status(), r.status());
}

}  // namespace
}  // namespace ferrisdb
