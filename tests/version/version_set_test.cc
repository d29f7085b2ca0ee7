#include "version/version_set.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "db/filename.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;

FileMetaData MakeFile(uint64_t number, std::string_view lo,
                      std::string_view hi) {
  FileMetaData f;
  f.number = number;
  f.file_size = 1000 + number;
  AppendInternalKey(&f.smallest, lo, 5, ValueType::kValue);
  AppendInternalKey(&f.largest, hi, 9, ValueType::kValue);
  f.smallest_sequence = 5;
  f.largest_sequence = 9;
  return f;
}

class VersionSetTest : public ::testing::Test {
 protected:
  VersionSetTest() : dbname_(dir_.path()) {}

  // Creates a database with two L0 files and one L1 file, one L0 file then
  // removed again.
  void Populate(Env* env) {
    VersionSet vs(dbname_, env);
    EXPECT_FALSE(vs.DatabaseExists());
    VersionEdit e1;
    e1.AddFile(0, MakeFile(vs.NewFileNumber(), "a", "m"));
    e1.AddFile(0, MakeFile(vs.NewFileNumber(), "c", "z"));
    e1.SetLogNumber(3);
    e1.SetLastSequence(50);
    ASSERT_THAT(vs.LogAndApply(&e1), IsOk());
    EXPECT_TRUE(vs.DatabaseExists());
    VersionEdit e2;
    const uint64_t l1 = vs.NewFileNumber();
    e2.AddFile(1, MakeFile(l1, "a", "k"));
    e2.DeleteFile(0, vs.current()->files(0)[0]->number);
    e2.SetLastSequence(60);
    ASSERT_THAT(vs.LogAndApply(&e2), IsOk());
    EXPECT_EQ(vs.current()->files(0).size(), 1u);
    EXPECT_EQ(vs.current()->files(1).size(), 1u);
    expected_next_file_ = vs.next_file_number();
  }

  testing::TestDir dir_;
  std::string dbname_;
  uint64_t expected_next_file_ = 0;
};

TEST_F(VersionSetTest, RecoverRebuildsTheState) {
  Populate(Env::Default());
  VersionSet vs(dbname_, Env::Default());
  ASSERT_THAT(vs.Recover(), IsOk());
  EXPECT_EQ(vs.current()->files(0).size(), 1u);
  ASSERT_EQ(vs.current()->files(1).size(), 1u);
  EXPECT_EQ(ExtractUserKey(vs.current()->files(1)[0]->largest), "k");
  EXPECT_EQ(vs.log_number(), 3u);
  EXPECT_EQ(vs.last_sequence(), 60u);
  EXPECT_GE(vs.next_file_number(), expected_next_file_);
  EXPECT_NE(vs.recovered_manifest_number(), 0u);

  // The next edit starts a new manifest; both generations recover.
  VersionEdit e;
  e.SetLastSequence(70);
  ASSERT_THAT(vs.LogAndApply(&e), IsOk());
  EXPECT_NE(vs.manifest_number(), vs.recovered_manifest_number());
  VersionSet again(dbname_, Env::Default());
  ASSERT_THAT(again.Recover(), IsOk());
  EXPECT_EQ(again.last_sequence(), 70u);
  EXPECT_EQ(again.current()->NumFiles(), 2u);
}

TEST_F(VersionSetTest, ManifestRollsAtItsSizeLimit) {
  // A 200-byte limit: the snapshot plus a few edits fill a manifest.
  VersionSet vs(dbname_, Env::Default(), /*max_manifest_file_size=*/200);
  std::set<uint64_t> manifests;
  for (int i = 0; i < 12; ++i) {
    VersionEdit e;
    const std::string key = "k" + std::to_string(100 + i);
    e.AddFile(1, MakeFile(vs.NewFileNumber(), key, key + "z"));
    e.SetLastSequence(100 + i);
    ASSERT_THAT(vs.LogAndApply(&e), IsOk());
    manifests.insert(vs.manifest_number());
  }
  EXPECT_GE(manifests.size(), 3u) << "the manifest never rolled";
  // CURRENT names the newest manifest, whose snapshot plus edits give the
  // whole state.
  std::remove(ManifestFileName(dbname_, *manifests.begin()).c_str());
  VersionSet again(dbname_, Env::Default());
  ASSERT_THAT(again.Recover(), IsOk());
  EXPECT_EQ(again.recovered_manifest_number(), *manifests.rbegin());
  EXPECT_EQ(again.current()->files(1).size(), 12u);
  EXPECT_EQ(again.last_sequence(), 111u);
}

TEST_F(VersionSetTest, DeletingAMissingFileIsRefused) {
  VersionSet vs(dbname_, Env::Default());
  VersionEdit e;
  e.DeleteFile(2, 77);
  EXPECT_THAT(vs.LogAndApply(&e), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(vs.current()->NumFiles(), 0u);
}

TEST_F(VersionSetTest, CurrentFileRoundTripsAndRejectsDamage) {
  const std::string content = EncodeCurrentFile(42);
  ASSERT_THAT(DecodeCurrentFile(content), IsOk());
  EXPECT_EQ(*DecodeCurrentFile(content), 42u);
  for (size_t i = 0; i < content.size(); ++i) {
    std::string damaged = content;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(DecodeCurrentFile(damaged).ok()) << "byte " << i;
  }
  for (size_t len = 0; len < content.size(); ++len) {
    EXPECT_FALSE(DecodeCurrentFile(content.substr(0, len)).ok()) << len;
  }
}

TEST_F(VersionSetTest, CurrentFromANewerFormatIsFailedPrecondition) {
  const std::string body =
      "MANIFEST-000007 v" + std::to_string(kManifestFormatVersion + 1);
  char checksum[16];
  std::snprintf(checksum, sizeof(checksum), "%08x", Checksum32(body));
  EXPECT_THAT(DecodeCurrentFile(body + " " + checksum + "\n"),
              StatusIsWithMessage(absl::StatusCode::kFailedPrecondition,
                                  "newer FerrisDB"));
}

TEST_F(VersionSetTest, DamagedCurrentIsDataLossNamingIt) {
  Populate(Env::Default());
  std::ofstream(CurrentFileName(dbname_)) << "MANIFEST-000099\n";
  VersionSet vs(dbname_, Env::Default());
  EXPECT_THAT(vs.Recover(),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, "CURRENT"));
}

TEST_F(VersionSetTest, MissingManifestIsDataLoss) {
  Populate(Env::Default());
  VersionSet probe(dbname_, Env::Default());
  ASSERT_THAT(probe.Recover(), IsOk());
  ASSERT_THAT(Env::Default()->RemoveFile(
                  ManifestFileName(dbname_, probe.recovered_manifest_number())),
              IsOk());
  VersionSet vs(dbname_, Env::Default());
  EXPECT_THAT(vs.Recover(), StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                                "does not exist"));
}

TEST_F(VersionSetTest, EveryByteOfTheManifestIsProtected) {
  Populate(Env::Default());
  VersionSet probe(dbname_, Env::Default());
  ASSERT_THAT(probe.Recover(), IsOk());
  const std::string path =
      ManifestFileName(dbname_, probe.recovered_manifest_number());
  auto original = ReadFileToString(Env::Default(), path);
  ASSERT_THAT(original, IsOk());
  for (size_t i = 0; i < original->size(); ++i) {
    std::string damaged = *original;
    damaged[i] ^= 0xff;
    ASSERT_THAT(WriteStringToFile(Env::Default(), damaged, path, false),
                IsOk());
    VersionSet vs(dbname_, Env::Default());
    absl::Status s = vs.Recover();
    if (s.ok()) {
      // Only damage to the last edit's tail can read as a torn (never
      // acknowledged) append: the state is then the one before that edit.
      EXPECT_EQ(vs.current()->files(1).size(), 0u) << "byte " << i;
      EXPECT_EQ(vs.last_sequence(), 50u) << "byte " << i;
    } else {
      EXPECT_TRUE(absl::IsDataLoss(s) || absl::IsFailedPrecondition(s))
          << "byte " << i << ": " << s;
    }
  }
}

TEST_F(VersionSetTest, CrashBeforeCurrentIsRenamedKeepsTheOldState) {
  testing::FaultInjectionEnv env;
  Populate(&env);
  VersionSet vs(dbname_, &env);
  ASSERT_THAT(vs.Recover(), IsOk());
  // The new manifest is written, CURRENT is not switched (rename fails).
  env.FailWhen(
      [](const testing::FaultContext& c) {
        return c.op == testing::FaultOp::kRenameFile;
      },
      absl::InternalError("injected"), false);
  VersionEdit e;
  e.AddFile(2, MakeFile(vs.NewFileNumber(), "p", "q"));
  EXPECT_FALSE(vs.LogAndApply(&e).ok());
  env.SetFilesystemActive(false);
  ASSERT_THAT(env.SimulatePowerLoss({}), IsOk());
  env.SetFilesystemActive(true);
  VersionSet after(dbname_, &env);
  ASSERT_THAT(after.Recover(), IsOk());
  EXPECT_EQ(after.current()->files(2).size(), 0u);
  EXPECT_EQ(after.current()->NumFiles(), 2u);
}

TEST_F(VersionSetTest, PowerLossAtEveryCallOfAnEditLeavesOldOrNewState) {
  for (uint64_t n = 1;; ++n) {
    testing::TestDir dir;
    testing::FaultInjectionEnv env;
    {
      VersionSet vs(dir.path(), &env);
      VersionEdit e1;
      e1.AddFile(0, MakeFile(vs.NewFileNumber(), "a", "b"));
      e1.SetLastSequence(10);
      ASSERT_THAT(vs.LogAndApply(&e1), IsOk());
      env.FailCall(n, absl::InternalError("crash here"), true);
      VersionEdit e2;
      e2.AddFile(0, MakeFile(vs.NewFileNumber(), "c", "d"));
      e2.SetLastSequence(20);
      const bool applied = vs.LogAndApply(&e2).ok();
      env.ClearFaults();
      env.SetFilesystemActive(false);
      ASSERT_THAT(env.SimulatePowerLoss({}), IsOk());
      env.SetFilesystemActive(true);
      VersionSet after(dir.path(), &env);
      ASSERT_THAT(after.Recover(), IsOk()) << "call " << n;
      const uint64_t seq = after.last_sequence();
      ASSERT_TRUE(seq == 10 || seq == 20) << "call " << n;
      EXPECT_EQ(after.current()->NumFiles(), seq == 10 ? 1u : 2u);
      if (applied) {
        EXPECT_EQ(seq, 20u) << "an acknowledged edit was lost, call " << n;
        break;  // the failure point is past the edit's last call
      }
    }
    ASSERT_LT(n, 100u);
  }
}

}  // namespace
}  // namespace ferrisdb
