// Functional tests of the DB API, opening and destroying: the directory
// lock, bad paths and options, create_if_missing / error_if_exists, unknown
// files left alone, DestroyDB, a WAL that is corrupt or wrongly named.
// The fixture: db_test_fixture.h.
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "db_test_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"

namespace ferrisdb::db_test {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;

TEST_F(DBTest, SecondOpenOfTheSameDirectoryFails) {
  Open();
  EXPECT_THAT(
      DB::Open(options_, path_),
      StatusIsWithMessage(absl::StatusCode::kFailedPrecondition, "lock"));
  Close();
  EXPECT_THAT(DB::Open(options_, path_), IsOk());
}

TEST_F(DBTest, EmptyPathIsInvalid) {
  EXPECT_THAT(DB::Open(options_, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DestroyDB("", options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DBTest, PathThatIsARegularFileIsInvalid) {
  std::ofstream(path_) << "not a database";
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "not a directory"));
  options_.create_if_missing = false;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "not a directory"));
  std::ifstream in(path_);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "not a database");  // untouched
}

TEST_F(DBTest, CreateIfMissingFalse) {
  options_.create_if_missing = false;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kInvalidArgument,
                                  "create_if_missing"));
  EXPECT_FALSE(Env::Default()->FileExists(path_));
  // An existing but empty directory holds no database either, and is left
  // exactly as it was (no LOCK file).
  ASSERT_EQ(mkdir(path_.c_str(), 0755), 0);
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  EXPECT_TRUE(children->empty());
  options_.create_if_missing = true;
  Open();
  Close();
  options_.create_if_missing = false;
  Open();
}

TEST_F(DBTest, LogNamingAnImpossibleSequenceIsDataLoss) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  Close();
  // A WAL name FerrisDB never writes: first sequence 0.
  std::ofstream(path_ + "/999999-00000000000000000000.log") << "";
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "999999-00000000000000000000.log"));
}

TEST_F(DBTest, ErrorIfExists) {
  Open();
  Close();
  options_.error_if_exists = true;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(DBTest, WriteBufferSizeTooSmallIsInvalid) {
  options_.write_buffer_size = 10;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DBTest, UnknownFilesAreLeftAlone) {
  ASSERT_EQ(mkdir(path_.c_str(), 0755), 0);
  for (const char* name : {"notes.txt", "000001.log", "7-1.log", "LOCK.old"}) {
    std::ofstream(path_ + "/" + name) << "user data " << name;
  }
  Open();
  ASSERT_THAT(db_->Put({}, "k", "v"), IsOk());
  Reopen();
  EXPECT_EQ(Get("k"), "v");
  Close();
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());
  for (const char* name : {"notes.txt", "000001.log", "7-1.log", "LOCK.old"}) {
    std::ifstream in(path_ + "/" + name);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, std::string("user data ") + name);
  }
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  EXPECT_EQ(children->size(), 4u);
}

TEST_F(DBTest, DestroyRemovesTheDatabase) {
  Open();
  ASSERT_THAT(db_->Put({}, "k", "v"), IsOk());
  EXPECT_THAT(DestroyDB(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // still open
  Close();
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());
  EXPECT_FALSE(Env::Default()->FileExists(path_));
  ASSERT_THAT(DestroyDB(path_, options_), IsOk());  // nothing left: fine
  Open();
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(DBTest, CorruptLogInTheMiddleIsDataLossNamingTheFile) {
  Open();
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(
        db_->Put({}, absl::StrFormat("k%03d", i), std::string(100, 'v')),
        IsOk());
  }
  Close();
  auto children = Env::Default()->GetChildren(path_);
  ASSERT_THAT(children, IsOk());
  std::string log_name;
  for (const auto& c : *children) {
    if (c.size() > 4 && c.substr(c.size() - 4) == ".log") log_name = c;
  }
  ASSERT_FALSE(log_name.empty());
  // Flip a byte early in the log: records after it stay valid.
  const std::string log_path = path_ + "/" + log_name;
  std::fstream f(log_path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(200);
  char c;
  f.get(c);
  f.seekp(200);
  f.put(static_cast<char>(c ^ 0xff));
  f.close();
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, log_name));
}

}  // namespace
}  // namespace ferrisdb::db_test
