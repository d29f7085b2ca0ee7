// Tests of tests/testutil/fault_injection_env.h: that each simulated fault
// does exactly what it promises to the bytes on disk.
#include "testutil/fault_injection_env.h"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "ferrisdb/env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Pattern(size_t n, uint32_t salt = 0) {
  std::string s(n, '\0');
  uint32_t x = 88172645u + salt;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x | 1);  // Never '\0', so zero fill shows.
  }
  return s;
}

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  // Reads through the real Env, bypassing the fault env's counters.
  std::string OnDisk(const std::string& path) {
    absl::StatusOr<std::string> contents =
        ReadFileToString(Env::Default(), path);
    EXPECT_TRUE(contents.ok()) << contents.status();
    return contents.ok() ? *contents : "<error>";
  }

  // Creates path through the fault env with `synced` appended and synced,
  // then `unsynced` appended (and closed), and syncs the directory so that
  // only the data is at risk.
  void WriteFile(const std::string& path, std::string_view synced,
                 std::string_view unsynced) {
    FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
    FERRISDB_ASSERT_OK(file->Append(synced));
    FERRISDB_ASSERT_OK(file->Sync());
    FERRISDB_ASSERT_OK(file->Append(unsynced));
    FERRISDB_ASSERT_OK(file->Close());
    FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  }

  TestDir dir_;
  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, AppendReachesTheFileAtOnce) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("abc"));
  // No Flush: the wrapper must not leave it in the base's buffer.
  EXPECT_EQ(OnDisk(path), "abc");
}

TEST_F(FaultInjectionEnvTest, TracksSizeAndSyncedSize) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("12345"));
  FERRISDB_ASSERT_OK(file->Sync());
  FERRISDB_ASSERT_OK(file->Append("678"));
  auto tracked = env_.GetTrackedSize(path);
  ASSERT_TRUE(tracked.has_value());
  EXPECT_EQ(tracked->size, 8u);
  EXPECT_EQ(tracked->synced_size, 5u);
  EXPECT_THAT(env_.FilesWithUnsyncedData(), ElementsAre(path));
  FERRISDB_ASSERT_OK(file->Sync());
  EXPECT_THAT(env_.FilesWithUnsyncedData(), IsEmpty());
  EXPECT_FALSE(env_.GetTrackedSize(dir_.Sub("other")).has_value());
}

TEST_F(FaultInjectionEnvTest, DropTruncatesToSyncedSize) {
  const std::string path = dir_.Sub("f");
  WriteFile(path, "synced|", "unsynced");
  FERRISDB_ASSERT_OK(
      env_.SimulatePowerLoss({.unsynced_data = UnsyncedDataMode::kDrop}));
  EXPECT_EQ(OnDisk(path), "synced|");
}

TEST_F(FaultInjectionEnvTest, ZeroFillKeepsSizeAndZeroesUnsyncedBytes) {
  const std::string path = dir_.Sub("f");
  WriteFile(path, "synced|", "unsynced");
  FERRISDB_ASSERT_OK(
      env_.SimulatePowerLoss({.unsynced_data = UnsyncedDataMode::kZeroFill}));
  EXPECT_EQ(OnDisk(path), "synced|" + std::string(8, '\0'));
}

TEST_F(FaultInjectionEnvTest, GarbageFillKeepsSizeAndReplacesUnsyncedBytes) {
  const std::string path = dir_.Sub("f");
  const std::string unsynced = Pattern(64);
  WriteFile(path, "synced|", unsynced);
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss(
      {.unsynced_data = UnsyncedDataMode::kGarbageFill, .seed = 7}));
  std::string after = OnDisk(path);
  ASSERT_EQ(after.size(), 7 + unsynced.size());
  EXPECT_EQ(after.substr(0, 7), "synced|");
  EXPECT_NE(after.substr(7), unsynced);
  EXPECT_NE(after.substr(7), std::string(64, '\0'));
}

TEST_F(FaultInjectionEnvTest, KeepPrefixCutsAtAlignedBoundaries) {
  const std::string path = dir_.Sub("f");
  const std::string synced = Pattern(100);
  const std::string unsynced = Pattern(2900, 1);  // Ends at 3000.
  std::set<uint64_t> cuts;
  for (uint32_t seed = 0; seed < 40; ++seed) {
    WriteFile(path, synced, unsynced);
    FERRISDB_ASSERT_OK(
        env_.SimulatePowerLoss({.unsynced_data = UnsyncedDataMode::kKeepPrefix,
                                .keep_prefix_alignment = 512,
                                .seed = seed}));
    std::string after = OnDisk(path);
    EXPECT_EQ(after, (synced + unsynced).substr(0, after.size()));
    cuts.insert(after.size());
  }
  // Possible cuts: 100, 512, 1024, 1536, 2048, 2560, 3000.
  for (uint64_t cut : cuts) {
    EXPECT_TRUE(cut == 100 || cut == 3000 || cut % 512 == 0) << cut;
  }
  EXPECT_GE(cuts.size(), 4u) << "the cut point should vary with the seed";
}

TEST_F(FaultInjectionEnvTest, KeepPrefixAtAnyByte) {
  const std::string path = dir_.Sub("f");
  const std::string all = Pattern(1000);
  std::set<uint64_t> cuts;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    WriteFile(path, std::string_view(all).substr(0, 10),
              std::string_view(all).substr(10));
    FERRISDB_ASSERT_OK(env_.SimulatePowerLoss(
        {.unsynced_data = UnsyncedDataMode::kKeepPrefix, .seed = seed}));
    std::string after = OnDisk(path);
    ASSERT_GE(after.size(), 10u);
    EXPECT_EQ(after, all.substr(0, after.size()));
    cuts.insert(after.size());
  }
  EXPECT_GE(cuts.size(), 10u);
}

TEST_F(FaultInjectionEnvTest, SameSeedSameDamage) {
  const std::string path = dir_.Sub("f");
  std::string results[2];
  for (std::string& result : results) {
    WriteFile(path, "s", Pattern(5000));
    FERRISDB_ASSERT_OK(env_.SimulatePowerLoss(
        {.unsynced_data = UnsyncedDataMode::kGarbageFill, .seed = 42}));
    result = OnDisk(path);
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST_F(FaultInjectionEnvTest, SyncedFilesAreNeverTouched) {
  const std::string path = dir_.Sub("f");
  const std::string data = Pattern(10000);
  for (UnsyncedDataMode mode :
       {UnsyncedDataMode::kDrop, UnsyncedDataMode::kKeepPrefix,
        UnsyncedDataMode::kZeroFill, UnsyncedDataMode::kGarbageFill}) {
    WriteFile(path, data, "");
    FERRISDB_ASSERT_OK(env_.SimulatePowerLoss({.unsynced_data = mode}));
    EXPECT_EQ(OnDisk(path), data) << static_cast<int>(mode);
  }
}

TEST_F(FaultInjectionEnvTest, AppendableFileStartsWithExistingSizeSynced) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(Env::Default(), "old", path, true));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewAppendableFile(path));
  FERRISDB_ASSERT_OK(file->Append("new"));
  file.reset();
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(path), "old");
}

TEST_F(FaultInjectionEnvTest, ReopenedForAppendKeepsUnsyncedState) {
  const std::string path = dir_.Sub("f");
  WriteFile(path, "a", "b");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewAppendableFile(path));
  FERRISDB_ASSERT_OK(file->Append("c"));
  FERRISDB_ASSERT_OK(file->Close());
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(path), "a");
}

TEST_F(FaultInjectionEnvTest, UnsyncedFileCreationIsUndone) {
  const std::string path = dir_.Sub("000007.log");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("data"));
  FERRISDB_ASSERT_OK(file->Sync());  // Data synced, directory entry not.
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_THAT(env_.UnsyncedDirEntries(), ElementsAre(path));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_FALSE(Env::Default()->FileExists(path));
}

TEST_F(FaultInjectionEnvTest, DirSyncMakesCreationDurable) {
  const std::string path = dir_.Sub("000007.log");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("data"));
  FERRISDB_ASSERT_OK(file->Sync());
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path() + "/"));  // Any spelling.
  EXPECT_THAT(env_.UnsyncedDirEntries(), IsEmpty());
  file.reset();
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(path), "data");
}

TEST_F(FaultInjectionEnvTest, CreationKeptWhenUndoDisabled) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "data", path, true));
  FERRISDB_ASSERT_OK(
      env_.SimulatePowerLoss({.undo_unsynced_dir_entries = false}));
  EXPECT_EQ(OnDisk(path), "data");
}

TEST_F(FaultInjectionEnvTest, SyncingAnotherDirDoesNotHelp) {
  const std::string sub = dir_.Sub("sub");
  FERRISDB_ASSERT_OK(env_.CreateDirIfMissing(sub));
  const std::string path = sub + "/f";
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "data", path, true));
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_FALSE(Env::Default()->FileExists(path));
  EXPECT_TRUE(Env::Default()->IsDirectory(sub));  // Directories are durable.
}

TEST_F(FaultInjectionEnvTest, UnsyncedRenameOverExistingFileIsUndone) {
  const std::string current = dir_.Sub("CURRENT");
  const std::string tmp = dir_.Sub("CURRENT.tmp");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "old", current, true));
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "new", tmp, true));
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  FERRISDB_ASSERT_OK(env_.RenameFile(tmp, current));
  EXPECT_THAT(env_.UnsyncedDirEntries(), ElementsAre(current));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(current), "old");
  EXPECT_EQ(OnDisk(tmp), "new");
}

TEST_F(FaultInjectionEnvTest, SyncedRenameSurvives) {
  const std::string current = dir_.Sub("CURRENT");
  const std::string tmp = dir_.Sub("CURRENT.tmp");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "old", current, true));
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "new", tmp, true));
  FERRISDB_ASSERT_OK(env_.RenameFile(tmp, current));
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(current), "new");
  EXPECT_FALSE(Env::Default()->FileExists(tmp));
}

TEST_F(FaultInjectionEnvTest, UnsyncedRenameOfNewFileRemovesBoth) {
  const std::string current = dir_.Sub("CURRENT");
  const std::string tmp = dir_.Sub("CURRENT.tmp");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "new", tmp, true));
  FERRISDB_ASSERT_OK(env_.RenameFile(tmp, current));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_FALSE(Env::Default()->FileExists(current));
  EXPECT_FALSE(Env::Default()->FileExists(tmp));
}

TEST_F(FaultInjectionEnvTest, UnsyncedDataFollowsRename) {
  const std::string from = dir_.Sub("a");
  const std::string to = dir_.Sub("b");
  WriteFile(from, "synced", "unsynced");
  FERRISDB_ASSERT_OK(env_.RenameFile(from, to));
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  EXPECT_THAT(env_.FilesWithUnsyncedData(), ElementsAre(to));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(to), "synced");
}

TEST_F(FaultInjectionEnvTest, RemoveForgetsTheFile) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "data", path, false));
  FERRISDB_ASSERT_OK(env_.RemoveFile(path));
  EXPECT_THAT(env_.FilesWithUnsyncedData(), IsEmpty());
  EXPECT_THAT(env_.UnsyncedDirEntries(), IsEmpty());
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_FALSE(Env::Default()->FileExists(path));
}

TEST_F(FaultInjectionEnvTest, TruncateOfTrackedFileLowersSyncedSize) {
  const std::string path = dir_.Sub("f");
  WriteFile(path, "0123456789", "abc");
  FERRISDB_ASSERT_OK(env_.TruncateFile(path, 4));
  auto tracked = env_.GetTrackedSize(path);
  ASSERT_TRUE(tracked.has_value());
  EXPECT_EQ(tracked->size, 4u);
  EXPECT_EQ(tracked->synced_size, 4u);
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(path), "0123");
}

TEST_F(FaultInjectionEnvTest, InactiveFilesystemRefusesWritesWithoutEffect) {
  const std::string path = dir_.Sub("f");
  const std::string other = dir_.Sub("other");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "other", other, true));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("before"));

  env_.SetFilesystemActive(false);
  EXPECT_FALSE(env_.IsFilesystemActive());
  const auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_THAT(file->Append("after"),
              StatusIsWithMessage(kUnavailable, "simulated crash"));
  EXPECT_THAT(file->Flush(), StatusIs(kUnavailable));
  EXPECT_THAT(file->Sync(), StatusIs(kUnavailable));
  EXPECT_THAT(file->Close(), StatusIs(kUnavailable));
  EXPECT_THAT(env_.NewWritableFile(other), StatusIs(kUnavailable));
  EXPECT_THAT(env_.NewAppendableFile(dir_.Sub("new")), StatusIs(kUnavailable));
  EXPECT_THAT(env_.RemoveFile(other), StatusIs(kUnavailable));
  EXPECT_THAT(env_.RenameFile(other, dir_.Sub("x")), StatusIs(kUnavailable));
  EXPECT_THAT(env_.TruncateFile(other, 0), StatusIs(kUnavailable));
  EXPECT_THAT(env_.CreateDirIfMissing(dir_.Sub("d")), StatusIs(kUnavailable));
  EXPECT_THAT(env_.RemoveDir(dir_.path()), StatusIs(kUnavailable));
  EXPECT_THAT(env_.SyncDir(dir_.path()), StatusIs(kUnavailable));
  EXPECT_THAT(env_.LockFile(dir_.Sub("LOCK")), StatusIs(kUnavailable));
  EXPECT_THAT(WriteStringToFile(&env_, "x", dir_.Sub("y"), true),
              StatusIs(kUnavailable));
  file.reset();  // Like a DB destructor: must not write either.

  // Reads still work.
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string contents,
                                ReadFileToString(&env_, other));
  EXPECT_EQ(contents, "other");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto children, env_.GetChildren(dir_.path()));
  EXPECT_THAT(children, ::testing::UnorderedElementsAre("f", "other"));

  EXPECT_EQ(OnDisk(path), "before");
  EXPECT_FALSE(Env::Default()->FileExists(dir_.Sub("new")));
  EXPECT_FALSE(Env::Default()->FileExists(dir_.Sub("d")));

  // The power loss itself works while inactive.
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_FALSE(Env::Default()->FileExists(path));  // Never dir-synced.
  EXPECT_FALSE(Env::Default()->FileExists(other));
  env_.SetFilesystemActive(true);
  FERRISDB_EXPECT_OK(WriteStringToFile(&env_, "x", dir_.Sub("y"), true));
}

TEST_F(FaultInjectionEnvTest, NoWriteLandsAfterDeactivationReturns) {
  constexpr int kThreads = 4;
  constexpr int kRecordsBeforeCrash = 20;
  auto path = [&](int t) { return dir_.Sub("w" + std::to_string(t)); };
  absl::Mutex mu;
  int busy_writers = 0;  // Writers with kRecordsBeforeCrash records; mu.
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      auto file = env_.NewWritableFile(path(t));
      if (!file.ok()) return;
      const std::string record(100, static_cast<char>('a' + t));
      for (int n = 1; (*file)->Append(record).ok(); ++n) {
        if (n == kRecordsBeforeCrash) {
          absl::MutexLock lock(&mu);
          ++busy_writers;
        }
      }
    });
  }
  {
    // Wait until every writer is busy, without sleeping.
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* busy) { return *busy == kThreads; }, &busy_writers));
  }
  env_.SetFilesystemActive(false);
  std::vector<uint64_t> sizes;
  for (int t = 0; t < kThreads; ++t) {
    sizes.push_back(Env::Default()->GetFileSize(path(t)).value_or(0));
  }
  for (std::thread& writer : writers) writer.join();
  for (int t = 0; t < kThreads; ++t) {
    FERRISDB_ASSERT_OK_AND_ASSIGN(uint64_t size,
                                  Env::Default()->GetFileSize(path(t)));
    EXPECT_EQ(size, sizes[t]) << path(t);
    EXPECT_GE(size, 100u * kRecordsBeforeCrash) << path(t);
    EXPECT_EQ(size % 100, 0u) << path(t);  // Whole records only.
    EXPECT_EQ(env_.GetTrackedSize(path(t))->size, size) << path(t);
  }
}

TEST_F(FaultInjectionEnvTest, FilesOpenedBeforePowerLossAreDead) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(env_.SyncDir(dir_.path()));
  FERRISDB_ASSERT_OK(file->Append("lost"));
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_THAT(file->Append("late"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(file->Sync(), StatusIs(absl::StatusCode::kUnavailable));
  file.reset();
  EXPECT_EQ(OnDisk(path), "");
}

TEST_F(FaultInjectionEnvTest, ResetStateMakesEverythingDurable) {
  const std::string closed = dir_.Sub("closed");
  const std::string open = dir_.Sub("open");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "closed", closed, false));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(open));
  FERRISDB_ASSERT_OK(file->Append("durable"));
  env_.ResetState();
  EXPECT_THAT(env_.FilesWithUnsyncedData(), IsEmpty());
  EXPECT_THAT(env_.UnsyncedDirEntries(), IsEmpty());
  // The open file is still tracked: later appends are at risk again.
  FERRISDB_ASSERT_OK(file->Append("+unsynced"));
  EXPECT_THAT(env_.FilesWithUnsyncedData(), ElementsAre(open));
  FERRISDB_ASSERT_OK(file->Close());
  FERRISDB_ASSERT_OK(env_.SimulatePowerLoss());
  EXPECT_EQ(OnDisk(closed), "closed");
  EXPECT_EQ(OnDisk(open), "durable");
}

TEST_F(FaultInjectionEnvTest, CountsCallsOfEnvAndFiles) {
  const uint64_t start = env_.call_count();
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(dir_.Sub("f")));
  FERRISDB_ASSERT_OK(file->Append("x"));
  FERRISDB_ASSERT_OK(file->Sync());
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_TRUE(env_.FileExists(dir_.Sub("f")));  // Not counted.
  FERRISDB_ASSERT_OK(env_.GetFileSize(dir_.Sub("f")).status());
  EXPECT_EQ(env_.call_count() - start, 5u);
}

TEST_F(FaultInjectionEnvTest, FailCallOnceFailsOnlyThatCallWithoutEffect) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  env_.FailCall(2, absl::InternalError("injected"), /*persistent=*/false);
  FERRISDB_ASSERT_OK(file->Append("1"));
  EXPECT_THAT(file->Append("2"),
              StatusIsWithMessage(absl::StatusCode::kInternal, "injected"));
  FERRISDB_ASSERT_OK(file->Append("3"));
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(OnDisk(path), "13");
  EXPECT_EQ(env_.injected_failure_count(), 1u);
}

TEST_F(FaultInjectionEnvTest, PersistentFailCallFailsEveryLaterCall) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  env_.FailCall(2, absl::ResourceExhaustedError("disk full"),
                /*persistent=*/true);
  FERRISDB_ASSERT_OK(file->Append("1"));
  const auto kExhausted = absl::StatusCode::kResourceExhausted;
  EXPECT_THAT(file->Append("2"), StatusIs(kExhausted));
  EXPECT_THAT(file->Sync(), StatusIs(kExhausted));
  EXPECT_THAT(env_.GetFileSize(path), StatusIs(kExhausted));
  EXPECT_THAT(env_.RemoveFile(path), StatusIs(kExhausted));
  EXPECT_EQ(OnDisk(path), "1");
  env_.ClearFaults();
  FERRISDB_ASSERT_OK(file->Append("3"));
  FERRISDB_ASSERT_OK(file->Close());
  EXPECT_EQ(OnDisk(path), "13");
}

TEST_F(FaultInjectionEnvTest, FailWhenMatchesOpAndPath) {
  const std::string log = dir_.Sub("000005.log");
  const std::string table = dir_.Sub("000006.sst");
  env_.FailWhen(
      [](const FaultContext& c) {
        return c.op == FaultOp::kSync && c.path.ends_with(".log");
      },
      absl::InternalError("log sync failed"), /*persistent=*/true);
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto log_file, env_.NewWritableFile(log));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto table_file, env_.NewWritableFile(table));
  FERRISDB_ASSERT_OK(log_file->Append("rec"));
  FERRISDB_ASSERT_OK(table_file->Append("blk"));
  EXPECT_THAT(log_file->Sync(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(log_file->Sync(), StatusIs(absl::StatusCode::kInternal));
  FERRISDB_EXPECT_OK(table_file->Sync());
  EXPECT_THAT(env_.FilesWithUnsyncedData(), ElementsAre(log));
  EXPECT_EQ(env_.injected_failure_count(), 2u);
}

TEST_F(FaultInjectionEnvTest, FailWhenSeesRenameTarget) {
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "x", dir_.Sub("a"), false));
  env_.FailWhen(
      [](const FaultContext& c) {
        return c.op == FaultOp::kRenameFile && c.target.ends_with("/CURRENT");
      },
      absl::InternalError("no"), /*persistent=*/false);
  EXPECT_THAT(env_.RenameFile(dir_.Sub("a"), dir_.Sub("CURRENT")),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(Env::Default()->FileExists(dir_.Sub("a")));
  FERRISDB_EXPECT_OK(env_.RenameFile(dir_.Sub("a"), dir_.Sub("CURRENT")));
}

TEST_F(FaultInjectionEnvTest, ShortWriteLeavesHalfTheData) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewWritableFile(path));
  FERRISDB_ASSERT_OK(file->Append("head|"));
  env_.SetShortWriteOnFault(true);
  env_.FailWhen([](const FaultContext& c) { return c.op == FaultOp::kAppend; },
                absl::ResourceExhaustedError("disk full"),
                /*persistent=*/false);
  EXPECT_THAT(file->Append("0123456789"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(OnDisk(path), "head|01234");
  EXPECT_EQ(env_.GetTrackedSize(path)->size, 10u);
}

TEST_F(FaultInjectionEnvTest, InjectedReadFailure) {
  const std::string path = dir_.Sub("f");
  FERRISDB_ASSERT_OK(WriteStringToFile(&env_, "data", path, false));
  env_.FailWhen([](const FaultContext& c) { return c.op == FaultOp::kRead; },
                absl::DataLossError("bad sector"), /*persistent=*/false);
  EXPECT_THAT(ReadFileToString(&env_, path),
              StatusIs(absl::StatusCode::kDataLoss));
  FERRISDB_ASSERT_OK_AND_ASSIGN(auto file, env_.NewRandomAccessFile(path));
  char scratch[4];
  std::string_view result;
  FERRISDB_ASSERT_OK(file->Read(0, 4, &result, scratch));
  EXPECT_EQ(result, "data");
}

}  // namespace
}  // namespace ferrisdb::testing
