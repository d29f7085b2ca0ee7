// LogWriter and LogReader over real files from Env::Default().
#include <memory>
#include <string>
#include <vector>

#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::kTestFileNumber;
using ::ferrisdb::testing::PatternRecord;

TEST(LogEnvTest, RoundTripThroughThePosixEnv) {
  ::ferrisdb::testing::TestDir dir;
  const std::string path = dir.Sub("000012.log");
  Env* env = Env::Default();
  std::vector<std::string> records = {"a", PatternRecord(1, 70000), ""};
  {
    FERRISDB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WritableFile> file,
                                  env->NewWritableFile(path));
    LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
    FERRISDB_ASSERT_OK(writer.WriteHeader());
    FERRISDB_ASSERT_OK(writer.Sync());
    for (const std::string& r : records) {
      FERRISDB_ASSERT_OK(writer.AddRecord(r));
    }
    FERRISDB_ASSERT_OK(writer.Sync());
    FERRISDB_ASSERT_OK(writer.Close());
    FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t size, env->GetFileSize(path));
    EXPECT_EQ(size, writer.file_size());
  }
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SequentialFile> file,
                                env->NewSequentialFile(path));
  LogReader reader(std::move(file), "000012.log", kTestFileNumber,
                   LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  for (const std::string& expected : records) {
    FERRISDB_ASSERT_OK_AND_ASSIGN(bool ok,
                                  reader.ReadRecord(&record, &scratch));
    ASSERT_TRUE(ok);
    EXPECT_EQ(record, expected);
  }
  FERRISDB_ASSERT_OK_AND_ASSIGN(bool more,
                                reader.ReadRecord(&record, &scratch));
  EXPECT_FALSE(more);
  EXPECT_FALSE(reader.tail_was_torn());
}

TEST(LogEnvTest, TruncatedFileEndsInATornTail) {
  ::ferrisdb::testing::TestDir dir;
  const std::string path = dir.Sub("000012.log");
  Env* env = Env::Default();
  uint64_t first_end = 0;
  {
    FERRISDB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WritableFile> file,
                                  env->NewWritableFile(path));
    LogWriter writer(std::move(file), kTestFileNumber, LogFileKind::kWal);
    FERRISDB_ASSERT_OK(writer.AddRecord("first"));
    first_end = writer.file_size();
    FERRISDB_ASSERT_OK(writer.AddRecord(PatternRecord(2, 50000)));
    FERRISDB_ASSERT_OK(writer.Close());
  }
  // A crash in the middle of the second record.
  FERRISDB_ASSERT_OK(env->TruncateFile(path, first_end + 40000));
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SequentialFile> file,
                                env->NewSequentialFile(path));
  LogReader reader(std::move(file), "000012.log", kTestFileNumber,
                   LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  FERRISDB_ASSERT_OK_AND_ASSIGN(bool ok, reader.ReadRecord(&record, &scratch));
  ASSERT_TRUE(ok);
  EXPECT_EQ(record, "first");
  FERRISDB_ASSERT_OK_AND_ASSIGN(bool more,
                                reader.ReadRecord(&record, &scratch));
  EXPECT_FALSE(more);
  EXPECT_TRUE(reader.tail_was_torn());
  EXPECT_EQ(reader.end_of_valid_data(), first_end);
}

}  // namespace
}  // namespace ferrisdb
