// DB::VerifyChecksums: a whole-database re-read that reports every damaged
// table block with its file and offset; and what Options::paranoid_checks
// adds at Open.
#include <unistd.h>

#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::TestDir;

// XORs the byte at offset of the file at path with 0xff.
void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0xff));
}

TEST(VerifyChecksumsTest, ReportsEveryDamagedTable) {
  TestDir dir;
  const std::string path = dir.Sub("db");
  Options options;
  options.write_buffer_size = 16 << 10;
  options.target_file_size = 8 << 10;
  options.compression = CompressionType::kNone;
  auto db = DB::Open(options, path);
  ASSERT_THAT(db, IsOk());
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string value(100, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    ASSERT_THAT((*db)->Put({}, absl::StrFormat("key%06d", i), value), IsOk());
  }
  ASSERT_THAT((*db)->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_THAT((*db)->VerifyChecksums(), IsOk());

  const std::shared_ptr<const Version> version =
      static_cast<DBImpl*>(db->get())->TEST_CurrentVersion();
  std::vector<std::shared_ptr<const FileMetaData>> tables;
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : version->files(level)) tables.push_back(f);
  }
  ASSERT_GE(tables.size(), 3u);
  // Damage the first data block of one table and a later block of another.
  const std::string first = absl::StrFormat("%06d.sst", tables[0]->number);
  const std::string second = absl::StrFormat("%06d.sst", tables[2]->number);
  FlipByte(path + "/" + first, 10);
  FlipByte(path + "/" + second, 5000);

  // Reads through the cache may not notice, but VerifyChecksums re-reads.
  const absl::Status s = (*db)->VerifyChecksums();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  const std::string message(s.message());
  EXPECT_NE(message.find(first + ": "), std::string::npos) << message;
  EXPECT_NE(message.find(second + ": "), std::string::npos) << message;
  EXPECT_NE(message.find("2 damaged block(s)"), std::string::npos) << message;
  EXPECT_NE(message.find("offset 0"), std::string::npos) << message;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i == 0 || i == 2) continue;
    EXPECT_EQ(message.find(absl::StrFormat("%06d.sst", tables[i]->number)),
              std::string::npos)
        << message;
  }
}

// Builds a database with a few tables, closes it, and returns the path of
// one of its table files.
std::string DbWithTables(const std::string& path, const Options& options) {
  auto db = DB::Open(options, path);
  EXPECT_THAT(db, IsOk());
  for (int i = 0; i < 500; ++i) {
    EXPECT_THAT(
        (*db)->Put({}, absl::StrFormat("key%06d", i), std::string(100, 'v')),
        IsOk());
  }
  EXPECT_THAT((*db)->CompactRange(std::nullopt, std::nullopt), IsOk());
  const std::shared_ptr<const Version> version =
      static_cast<DBImpl*>(db->get())->TEST_CurrentVersion();
  uint64_t number = 0;
  for (int level = 0; level < kNumLevels && number == 0; ++level) {
    if (!version->files(level).empty()) {
      number = version->files(level).front()->number;
    }
  }
  EXPECT_NE(number, 0u);
  return absl::StrFormat("%s/%06d.sst", path, number);
}

TEST(ParanoidChecksTest, OpenFindsAMissingOrTruncatedTable) {
  TestDir dir;
  const std::string path = dir.Sub("db");
  Options options;
  options.write_buffer_size = 16 << 10;
  options.compression = CompressionType::kNone;
  const std::string table = DbWithTables(path, options);
  const std::string name = table.substr(path.size() + 1);

  // Truncated: the size no longer matches the manifest.
  ASSERT_EQ(truncate(table.c_str(), 100), 0);
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, path);
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(std::string(db.status().message()).find(name), std::string::npos)
      << db.status();

  // Missing.
  ASSERT_EQ(unlink(table.c_str()), 0);
  db = DB::Open(options, path);
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(std::string(db.status().message()).find("missing"),
            std::string::npos)
      << db.status();

  // Without paranoid checks Open succeeds; reads of the lost table fail.
  options.paranoid_checks = false;
  db = DB::Open(options, path);
  ASSERT_THAT(db, IsOk());
  EXPECT_FALSE((*db)->VerifyChecksums().ok());
}

}  // namespace
}  // namespace ferrisdb
