// DB::Open replaying write-ahead logs whose framing is intact but whose
// content is wrong: a record that is not a batch, an empty batch, sequence
// numbers that skip inside a log or between logs, logs without CURRENT. Each
// error is DataLoss naming the log (and the record's offset), and a failed
// Open leaves the directory as it was. Byte damage to logs: db_crash_test and
// tests/wal.
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::internal::WriteBatchInternal;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

// The first record of a log starts right after the file header fragment, and
// a record that fits in one fragment takes a fragment header more than its
// payload (log.md).
constexpr uint64_t kFirstRecordOffset =
    kFragmentHeaderSize + kFileHeaderPayloadSize;

// An encoded batch putting each key (value "v" + key) from sequence.
std::string Batch(SequenceNumber sequence, std::vector<std::string> keys) {
  WriteBatch batch;
  for (const std::string& k : keys) batch.Put(k, "v" + k);
  WriteBatchInternal::SetSequence(&batch, sequence);
  return std::string(WriteBatchInternal::Contents(batch));
}

class DBOpenRecoveryTest : public ::testing::Test {
 protected:
  DBOpenRecoveryTest() : dbname_(dir_.Sub("db")) {}

  // Creates an empty database and closes it; returns the number of the
  // (empty) log it left, which the manifest names as the oldest live log.
  uint64_t CreateEmptyDB() {
    {
      absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(Options(), dbname_);
      EXPECT_THAT(db, IsOk());
    }
    std::optional<uint64_t> log;
    for (const std::string& name : Children()) {
      std::optional<ParsedFileName> parsed = ParseFileName(name);
      if (parsed && parsed->type == FileType::kWal) log = parsed->number;
    }
    EXPECT_TRUE(log.has_value());
    return log.value_or(0);
  }

  // Writes a log as a DB would, holding records; returns its base name.
  std::string WriteWal(uint64_t number, SequenceNumber first_sequence,
                       const std::vector<std::string>& records) {
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        Env::Default()->NewWritableFile(
            WalFileName(dbname_, number, first_sequence));
    EXPECT_THAT(file, IsOk());
    if (!file.ok()) return "";
    LogWriter writer(*std::move(file), number, LogFileKind::kWal);
    for (const std::string& r : records) {
      EXPECT_THAT(writer.AddRecord(r), IsOk());
    }
    EXPECT_THAT(writer.Close(), IsOk());
    return WalFileBaseName(number, first_sequence);
  }

  std::vector<std::string> Children() {
    absl::StatusOr<std::vector<std::string>> children =
        Env::Default()->GetChildren(dbname_);
    EXPECT_THAT(children, IsOk());
    std::vector<std::string> names =
        children.value_or(std::vector<std::string>());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Opens the database expecting failure with code and exactly message
  // (after the "DB::Open <dbname>: " context), and checks that the failed
  // Open left every file as it was.
  void ExpectOpenFails(const Options& options, absl::StatusCode code,
                       const std::string& message) {
    const std::vector<std::string> before = Children();
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dbname_);
    EXPECT_THAT(db, StatusIs(code));
    EXPECT_EQ(db.status().message(),
              absl::StrFormat("DB::Open %s: %s", dbname_, message));
    EXPECT_EQ(Children(), before);
  }

  std::string Get(DB* db, const std::string& key) {
    absl::StatusOr<std::string> v = db->Get(ReadOptions(), key);
    return v.ok() ? *v : v.status().ToString();
  }

  testing::TestDir dir_;
  const std::string dbname_;
};

TEST_F(DBOpenRecoveryTest, HandWrittenLogsReplay) {
  // The baseline the failure cases below differ from by one thing.
  const uint64_t n = CreateEmptyDB();
  WriteWal(n + 10, 1, {Batch(1, {"a", "b"}), Batch(3, {"c"})});
  WriteWal(n + 11, 4, {Batch(4, {"d"})});
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(Options(), dbname_);
  ASSERT_THAT(db, IsOk());
  for (const std::string k : {"a", "b", "c", "d"}) {
    EXPECT_EQ(Get(db->get(), k), "v" + k);
  }
  FERRISDB_EXPECT_OK((*db)->Put(WriteOptions(), "e", "ve"));
  const Snapshot* snapshot = (*db)->GetSnapshot();
  EXPECT_EQ(snapshot->sequence_number(), 5u);  // continues after the logs
  (*db)->ReleaseSnapshot(snapshot);
}

TEST_F(DBOpenRecoveryTest, RecordThatIsNotABatchIsDataLossAtItsOffset) {
  const uint64_t n = CreateEmptyDB();
  const std::string first = Batch(1, {"a"});
  const std::string name = WriteWal(n + 10, 1, {first, "too short"});
  const uint64_t offset =
      kFirstRecordOffset + kFragmentHeaderSize + first.size();
  const std::vector<std::string> before = Children();
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(Options(), dbname_);
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kDataLoss));
  const std::string message(db.status().message());
  EXPECT_TRUE(message.starts_with(absl::StrFormat(
      "DB::Open %s: log %s: record at offset %d: ", dbname_, name, offset)))
      << message;
  EXPECT_EQ(Children(), before);
}

TEST_F(DBOpenRecoveryTest, EmptyBatchIsDataLoss) {
  const uint64_t n = CreateEmptyDB();
  const std::string name = WriteWal(n + 10, 1, {Batch(1, {})});
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s: record at offset %d holds 0 "
                                  "entries from sequence 1, outside the valid "
                                  "range",
                                  name, kFirstRecordOffset));
}

TEST_F(DBOpenRecoveryTest, BatchRunningPastTheLastSequenceIsDataLoss) {
  const uint64_t n = CreateEmptyDB();
  const SequenceNumber start = kMaxSequenceNumber - 1;
  const std::string name = WriteWal(n + 10, 1, {Batch(start, {"a", "b", "c"})});
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s: record at offset %d holds 3 "
                                  "entries from sequence %d, outside the "
                                  "valid range",
                                  name, kFirstRecordOffset, start));
}

TEST_F(DBOpenRecoveryTest, SequenceGapInsideALogIsDataLoss) {
  const uint64_t n = CreateEmptyDB();
  const std::string first = Batch(1, {"a", "b"});
  const std::string name = WriteWal(n + 10, 1, {first, Batch(5, {"c"})});
  const uint64_t offset =
      kFirstRecordOffset + kFragmentHeaderSize + first.size();
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s: record at offset %d has sequence "
                                  "5, expected 3",
                                  name, offset));
}

TEST_F(DBOpenRecoveryTest, LogNotStartingAtItsNamedSequenceIsDataLoss) {
  const uint64_t n = CreateEmptyDB();
  const std::string name = WriteWal(n + 10, 4, {Batch(1, {"a"})});
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s: record at offset %d has sequence "
                                  "1, expected 4",
                                  name, kFirstRecordOffset));
}

TEST_F(DBOpenRecoveryTest, GapBetweenLogsIsDataLossOnlyWithParanoidChecks) {
  const uint64_t n = CreateEmptyDB();
  WriteWal(n + 10, 1, {Batch(1, {"a", "b"})});
  const std::string second = WriteWal(n + 11, 7, {Batch(7, {"c"})});
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s starts at sequence 7 but the data "
                                  "before it ends at sequence 2",
                                  second));

  // Without paranoid checks the gap is accepted: both logs replay and new
  // writes continue after the newest.
  Options lenient;
  lenient.paranoid_checks = false;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(lenient, dbname_);
  ASSERT_THAT(db, IsOk());
  EXPECT_EQ(Get(db->get(), "a"), "va");
  EXPECT_EQ(Get(db->get(), "c"), "vc");
  const Snapshot* snapshot = (*db)->GetSnapshot();
  EXPECT_EQ(snapshot->sequence_number(), 7u);
  (*db)->ReleaseSnapshot(snapshot);
}

TEST_F(DBOpenRecoveryTest, OverlapBetweenLogsIsDataLoss) {
  const uint64_t n = CreateEmptyDB();
  WriteWal(n + 10, 1, {Batch(1, {"a", "b"})});
  const std::string second = WriteWal(n + 11, 2, {Batch(2, {"c"})});
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("log %s starts at sequence 2 but the data "
                                  "before it ends at sequence 2",
                                  second));
}

TEST_F(DBOpenRecoveryTest, LogsWithoutCurrentAreDataLoss) {
  const uint64_t n = CreateEmptyDB();
  WriteWal(n + 10, 1, {Batch(1, {"a"})});
  ASSERT_THAT(Env::Default()->RemoveFile(CurrentFileName(dbname_)), IsOk());
  // Names the oldest log: the one the first Open created.
  ExpectOpenFails(Options(), absl::StatusCode::kDataLoss,
                  absl::StrFormat("CURRENT is missing but log files (%s, ...) "
                                  "are present",
                                  WalFileBaseName(n, 1)));
}

TEST_F(DBOpenRecoveryTest, DanglingSymlinkIsNotADirectory) {
  ASSERT_EQ(symlink(dir_.Sub("nowhere").c_str(), dbname_.c_str()), 0);
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(Options(), dbname_);
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(db.status().message(),
            absl::StrFormat("DB::Open %s: the path exists and is not a "
                            "directory",
                            dbname_));
  EXPECT_FALSE(Env::Default()->FileExists(dir_.Sub("nowhere")));
}

}  // namespace
}  // namespace ferrisdb
