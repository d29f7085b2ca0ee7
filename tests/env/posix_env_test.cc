// Tests of the POSIX Env (src/env/posix_env.cc and friends).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;
using ::ferrisdb::testing::TestDir;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Deterministic, non-repeating-looking content of n bytes.
std::string Pattern(size_t n, uint32_t salt = 0) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u + salt;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

class PosixEnvTest : public ::testing::Test {
 protected:
  std::string Read(const std::string& path) {
    absl::StatusOr<std::string> contents = ReadFileToString(env_, path);
    EXPECT_TRUE(contents.ok()) << contents.status();
    return contents.ok() ? *contents : "";
  }

  Env* const env_ = Env::Default();
  TestDir dir_;
};

TEST_F(PosixEnvTest, DefaultIsASingleton) {
  EXPECT_EQ(Env::Default(), Env::Default());
}

TEST_F(PosixEnvTest, WriteThenReadRoundTrip) {
  const std::string path = dir_.Sub("f");
  const std::string data = Pattern(1000);
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, data, path, /*sync=*/true));
  EXPECT_EQ(Read(path), data);
  FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t size, env_->GetFileSize(path));
  EXPECT_EQ(size, data.size());
}

TEST_F(PosixEnvTest, EmptyFileReadsEmpty) {
  const std::string path = dir_.Sub("empty");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "", path, false));
  EXPECT_EQ(Read(path), "");
}

TEST_F(PosixEnvTest, NewWritableFileTruncates) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "long old contents", path, false));
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "new", path, false));
  EXPECT_EQ(Read(path), "new");
}

TEST_F(PosixEnvTest, SequentialReadsAndSkip) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "0123456789", path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewSequentialFile(path));
  char scratch[16];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(3, &result, scratch));
  EXPECT_EQ(result, "012");
  FERRISDB_ASSERT_OK(file->Skip(2));
  FERRISDB_ASSERT_OK(file->Read(2, &result, scratch));
  EXPECT_EQ(result, "56");
  FERRISDB_ASSERT_OK(file->Read(16, &result, scratch));
  EXPECT_EQ(result, "789");  // Short only at the end.
  FERRISDB_ASSERT_OK(file->Read(16, &result, scratch));
  EXPECT_EQ(result, "");
}

TEST_F(PosixEnvTest, SkipPastEndPositionsAtEnd) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "0123456789", path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewSequentialFile(path));
  FERRISDB_ASSERT_OK(file->Skip(UINT64_MAX));
  char scratch[4];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(4, &result, scratch));
  EXPECT_EQ(result, "");
}

TEST_F(PosixEnvTest, RandomAccessReadsAtOffsets) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "0123456789", path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewRandomAccessFile(path));
  char scratch[16];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(4, 3, &result, scratch));
  EXPECT_EQ(result, "456");
  FERRISDB_ASSERT_OK(file->Read(0, 2, &result, scratch));
  EXPECT_EQ(result, "01");
  FERRISDB_ASSERT_OK(file->Read(8, 10, &result, scratch));
  EXPECT_EQ(result, "89");
  FERRISDB_ASSERT_OK(file->Read(10, 4, &result, scratch));
  EXPECT_EQ(result, "");
  FERRISDB_ASSERT_OK(file->Read(1000, 4, &result, scratch));
  EXPECT_EQ(result, "");
  FERRISDB_ASSERT_OK(file->Read(UINT64_MAX - 1, 4, &result, scratch));
  EXPECT_EQ(result, "");
}

TEST_F(PosixEnvTest, MappedFileReadsInPlaceAndOutlivesTheName) {
  const std::string path = dir_.Sub("f");
  const std::string content = Pattern(10000);
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, content, path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file,
                                env_->NewMappedRandomAccessFile(path));
  ASSERT_TRUE(file->MappedContents().has_value());
  EXPECT_EQ(*file->MappedContents(), content);
  char scratch[16];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(4, 3, &result, scratch));
  EXPECT_EQ(result, content.substr(4, 3));
  EXPECT_EQ(result.data(), file->MappedContents()->data() + 4) << "copied";
  FERRISDB_ASSERT_OK(file->Read(9998, 10, &result, scratch));
  EXPECT_EQ(result, content.substr(9998));
  FERRISDB_ASSERT_OK(file->Read(10000, 4, &result, scratch));
  EXPECT_EQ(result, "");
  FERRISDB_ASSERT_OK(file->Read(UINT64_MAX - 1, 4, &result, scratch));
  EXPECT_EQ(result, "");
  // The mapping keeps the data after the name is gone (a table deleted by
  // compaction while a reader still holds it).
  FERRISDB_ASSERT_OK(env_->RemoveFile(path));
  EXPECT_EQ(*file->MappedContents(), content);
}

TEST_F(PosixEnvTest, MappedEmptyAndMissingFiles) {
  const std::string path = dir_.Sub("empty");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "", path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file,
                                env_->NewMappedRandomAccessFile(path));
  ASSERT_TRUE(file->MappedContents().has_value());
  EXPECT_TRUE(file->MappedContents()->empty());
  char scratch[4];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(0, 4, &result, scratch));
  EXPECT_EQ(result, "");
  EXPECT_THAT(env_->NewMappedRandomAccessFile(dir_.Sub("missing")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixEnvTest, AppendsAreBufferedUntilFlush) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("abc"));
  FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t before_flush, env_->GetFileSize(path));
  EXPECT_EQ(before_flush, 0u);
  FERRISDB_ASSERT_OK(file->Flush());
  FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t after_flush, env_->GetFileSize(path));
  EXPECT_EQ(after_flush, 3u);
  FERRISDB_ASSERT_OK(file->Close());
}

TEST_F(PosixEnvTest, StartWritebackFlushesAndKeepsAppending) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewWritableFile(path));
  const std::string chunk(100000, 'x');  // larger than the buffer
  FERRISDB_ASSERT_OK(file->Append("abc"));
  FERRISDB_ASSERT_OK(file->StartWriteback());
  FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t size, env_->GetFileSize(path));
  EXPECT_EQ(size, 3u);  // flushed
  FERRISDB_ASSERT_OK(file->Append(chunk));
  FERRISDB_ASSERT_OK(file->Append("def"));
  FERRISDB_ASSERT_OK(file->StartWriteback());
  FERRISDB_ASSERT_OK(file->StartWriteback());  // nothing new: a no-op
  FERRISDB_ASSERT_OK(file->Sync());
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_THAT(file->StartWriteback(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string contents,
                                ReadFileToString(env_, path));
  EXPECT_EQ(contents, "abc" + chunk + "def");
}

TEST_F(PosixEnvTest, ManySmallAppendsCrossingTheBuffer) {
  const std::string path = dir_.Sub("f");
  const std::string data = Pattern(200 * 1000);
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewWritableFile(path));
  for (size_t pos = 0; pos < data.size(); pos += 7) {
    FERRISDB_ASSERT_OK(file->Append(std::string_view(data).substr(pos, 7)));
  }
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(Read(path), data);
}

TEST_F(PosixEnvTest, AppendsLargerThanTheBuffer) {
  const std::string path = dir_.Sub("f");
  const std::string big = Pattern(300 * 1024, 1);
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("head"));
  FERRISDB_ASSERT_OK(file->Append(big));
  // The large write went straight through, after the buffered head.
  FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t size, env_->GetFileSize(path));
  EXPECT_EQ(size, 4 + big.size());
  FERRISDB_ASSERT_OK(file->Append(std::string_view(big).substr(0, 64 * 1024)));
  FERRISDB_ASSERT_OK(file->Append("tail"));
  FERRISDB_ASSERT_OK(file->Sync());
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(Read(path), "head" + big + big.substr(0, 64 * 1024) + "tail");
}

TEST_F(PosixEnvTest, DestructorFlushesUnclosedFile) {
  const std::string path = dir_.Sub("f");
  {
    FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewWritableFile(path));
    FERRISDB_ASSERT_OK(file->Append("unclosed"));
  }
  EXPECT_EQ(Read(path), "unclosed");
}

TEST_F(PosixEnvTest, SecondCloseIsFailedPrecondition) {
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file,
                                env_->NewWritableFile(dir_.Sub("f")));
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_THAT(file->Close(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(file->Append("x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(file->Sync(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PosixEnvTest, AppendableFileKeepsExistingContents) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "first,", path, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewAppendableFile(path));
  FERRISDB_ASSERT_OK(file->Append("second"));
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(Read(path), "first,second");
}

TEST_F(PosixEnvTest, AppendableFileCreatesMissingFile) {
  const std::string path = dir_.Sub("new");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_->NewAppendableFile(path));
  FERRISDB_ASSERT_OK(file->Append("x"));
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(Read(path), "x");
}

TEST_F(PosixEnvTest, GetChildrenListsNamesWithoutDots) {
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "", dir_.Sub("a"), false));
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "", dir_.Sub("b.log"), false));
  FERRISDB_ASSERT_OK(env_->CreateDirIfMissing(dir_.Sub("sub")));
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::vector<std::string> children,
                                env_->GetChildren(dir_.path()));
  EXPECT_THAT(children, UnorderedElementsAre("a", "b.log", "sub"));
}

TEST_F(PosixEnvTest, GetChildrenOfMissingDirIsNotFound) {
  EXPECT_THAT(env_->GetChildren(dir_.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixEnvTest, RenameReplacesExistingFile) {
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "new", dir_.Sub("tmp"), false));
  FERRISDB_ASSERT_OK(
      WriteStringToFile(env_, "old", dir_.Sub("CURRENT"), false));
  FERRISDB_ASSERT_OK(env_->RenameFile(dir_.Sub("tmp"), dir_.Sub("CURRENT")));
  EXPECT_FALSE(env_->FileExists(dir_.Sub("tmp")));
  EXPECT_EQ(Read(dir_.Sub("CURRENT")), "new");
  FERRISDB_EXPECT_OK(env_->SyncDir(dir_.path()));
}

TEST_F(PosixEnvTest, RemoveFile) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "x", path, false));
  EXPECT_TRUE(env_->FileExists(path));
  FERRISDB_ASSERT_OK(env_->RemoveFile(path));
  EXPECT_FALSE(env_->FileExists(path));
}

TEST_F(PosixEnvTest, RemoveMissingFileIsNotFound) {
  EXPECT_THAT(env_->RemoveFile(dir_.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixEnvTest, ErrorMessageNamesOperationPathAndErrno) {
  const std::string path = dir_.Sub("000005.log");
  EXPECT_THAT(
      env_->NewSequentialFile(path),
      StatusIsWithMessage(absl::StatusCode::kNotFound,
                          "open " + path + ": No such file or directory"));
  EXPECT_THAT(env_->GetFileSize(path),
              StatusIsWithMessage(absl::StatusCode::kNotFound, path));
}

TEST_F(PosixEnvTest, PermissionDeniedMapsToPermissionDenied) {
  const std::string path = dir_.Sub("readonly");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "x", path, false));
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  if (geteuid() != 0) {
    EXPECT_THAT(env_->NewWritableFile(path),
                StatusIsWithMessage(absl::StatusCode::kPermissionDenied, path));
    return;
  }
  // Root ignores permission bits: check in a child that gives up root.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    constexpr uid_t kNobody = 65534;
    if (setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(2);
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        env_->NewWritableFile(path);
    const bool as_expected =
        !file.ok() && absl::IsPermissionDenied(file.status()) &&
        std::string(file.status().message()).find(path) != std::string::npos;
    _exit(as_expected ? 0 : 1);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0)
      << "2: could not drop privileges; 1: wrong status";
}

TEST_F(PosixEnvTest, TruncateFileShrinksAndExtends) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "0123456789", path, false));
  FERRISDB_ASSERT_OK(env_->TruncateFile(path, 4));
  EXPECT_EQ(Read(path), "0123");
  FERRISDB_ASSERT_OK(env_->TruncateFile(path, 6));
  EXPECT_EQ(Read(path), std::string("0123\0\0", 6));
  EXPECT_THAT(env_->TruncateFile(dir_.Sub("missing"), 0),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixEnvTest, CreateDirIfMissingAndRemoveDir) {
  const std::string sub = dir_.Sub("sub");
  FERRISDB_ASSERT_OK(env_->CreateDirIfMissing(sub));
  FERRISDB_ASSERT_OK(env_->CreateDirIfMissing(sub));  // Already there: OK.
  EXPECT_TRUE(env_->IsDirectory(sub));
  FERRISDB_ASSERT_OK(env_->SyncDir(sub));
  FERRISDB_ASSERT_OK(env_->RemoveDir(sub));
  EXPECT_FALSE(env_->IsDirectory(sub));
  EXPECT_FALSE(env_->FileExists(sub));
}

TEST_F(PosixEnvTest, CreateDirOverRegularFileIsFailedPrecondition) {
  const std::string path = dir_.Sub("plain");
  FERRISDB_ASSERT_OK(WriteStringToFile(env_, "x", path, false));
  EXPECT_FALSE(env_->IsDirectory(path));
  EXPECT_THAT(env_->CreateDirIfMissing(path),
              StatusIsWithMessage(absl::StatusCode::kFailedPrecondition,
                                  path + ": exists and is not a directory"));
}

TEST_F(PosixEnvTest, SyncDirOfMissingDirIsNotFound) {
  EXPECT_THAT(env_->SyncDir(dir_.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixEnvTest, ReadingADirectoryIsAnError) {
  absl::StatusOr<std::string> contents = ReadFileToString(env_, dir_.path());
  EXPECT_FALSE(contents.ok());
  EXPECT_THAT(contents.status().message(), HasSubstr(dir_.path()));
  EXPECT_FALSE(env_->NewWritableFile(dir_.path()).ok());
}

TEST_F(PosixEnvTest, SecondLockInProcessFailsUntilFirstReleased) {
  const std::string path = dir_.Sub("LOCK");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto lock, env_->LockFile(path));
  EXPECT_THAT(env_->LockFile(path),
              StatusIsWithMessage(absl::StatusCode::kFailedPrecondition,
                                  "lock " + path + ": already held"));
  // Another spelling of the same file is the same lock.
  EXPECT_THAT(env_->LockFile(dir_.path() + "//LOCK"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  lock.reset();
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto again, env_->LockFile(path));
}

// In a forked child: 0 if LockFile(path) fails with FailedPrecondition, 1 if
// it succeeds, 2 on any other error.
int LockResultInChild(const std::string& path) {
  pid_t pid = fork();
  if (pid == 0) {
    absl::StatusOr<std::unique_ptr<FileLock>> lock =
        Env::Default()->LockFile(path);
    _exit(lock.ok()                                                       ? 1
          : lock.status().code() == absl::StatusCode::kFailedPrecondition ? 0
                                                                          : 2);
  }
  int wstatus = 0;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) {
    return -1;
  }
  return WEXITSTATUS(wstatus);
}

TEST_F(PosixEnvTest, LockExcludesAnotherProcess) {
  const std::string path = dir_.Sub("LOCK");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto lock, env_->LockFile(path));
  EXPECT_EQ(LockResultInChild(path), 0);
  lock.reset();
  // Released: now the child can take it (and the failed attempt above did
  // not disturb anything).
  EXPECT_EQ(LockResultInChild(path), 1);
}

TEST_F(PosixEnvTest, NowMicrosAdvances) {
  uint64_t a = env_->NowMicros();
  usleep(2000);
  uint64_t b = env_->NowMicros();
  EXPECT_GE(b - a, 1000u);
  EXPECT_LT(b - a, 10u * 1000 * 1000);
}

}  // namespace
}  // namespace ferrisdb
