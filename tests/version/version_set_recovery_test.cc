// VersionSet::Recover on manifests and CURRENT files that are well framed but
// wrong in content (no format version, a newer one, missing fields, CURRENT
// naming something else), LogAndApply refusing to add a live file twice, and
// Version::DebugString. Byte damage: version_set_test.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "util/hash.h"
#include "version/version_edit_format.h"
#include "version/version_set.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

constexpr uint64_t kManifestNumber = 7;
constexpr char kManifestName[] = "MANIFEST-000007";
// The first record of a log starts right after the file header fragment
// (log.md "File header").
constexpr uint64_t kFirstRecordOffset =
    kFragmentHeaderSize + kFileHeaderPayloadSize;

FileMetaData MakeFile(uint64_t number, std::string_view lo,
                      std::string_view hi) {
  FileMetaData f;
  f.number = number;
  f.file_size = 100 * number;
  AppendInternalKey(&f.smallest, lo, 5, ValueType::kValue);
  AppendInternalKey(&f.largest, hi, 9, ValueType::kDeletion);
  f.smallest_sequence = 5;
  f.largest_sequence = 9;
  return f;
}

// An edit with everything Recover needs.
VersionEdit CompleteEdit() {
  VersionEdit e;
  e.SetFormatVersion(kManifestFormatVersion);
  e.SetLogNumber(3);
  e.SetNextFileNumber(10);
  e.SetLastSequence(42);
  return e;
}

class VersionSetRecoveryTest : public ::testing::Test {
 protected:
  // Writes MANIFEST-000007 holding edits, and a CURRENT naming it.
  void WriteManifest(const std::vector<VersionEdit>& edits) {
    Env* env = Env::Default();
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        env->NewWritableFile(ManifestFileName(dir_.path(), kManifestNumber));
    ASSERT_THAT(file, IsOk());
    LogWriter writer(*std::move(file), kManifestNumber, LogFileKind::kManifest);
    ASSERT_THAT(writer.WriteHeader(), IsOk());
    for (const VersionEdit& e : edits) {
      std::string record;
      e.EncodeTo(&record);
      ASSERT_THAT(writer.AddRecord(record), IsOk());
    }
    ASSERT_THAT(writer.Close(), IsOk());
    WriteCurrent(EncodeCurrentFile(kManifestNumber));
  }

  void WriteCurrent(const std::string& contents) {
    ASSERT_THAT(WriteStringToFile(Env::Default(), contents,
                                  CurrentFileName(dir_.path()), true),
                IsOk());
  }

  absl::Status Recover() {
    VersionSet vs(dir_.path(), Env::Default());
    return vs.Recover();
  }

  testing::TestDir dir_;
};

TEST_F(VersionSetRecoveryTest, CompleteManifestRecovers) {
  // The baseline the failure cases below differ from by one thing.
  VersionEdit e = CompleteEdit();
  e.AddFile(1, MakeFile(8, "a", "f"));
  WriteManifest({e});
  VersionSet vs(dir_.path(), Env::Default());
  ASSERT_THAT(vs.Recover(), IsOk());
  EXPECT_EQ(vs.log_number(), 3u);
  EXPECT_EQ(vs.last_sequence(), 42u);
  EXPECT_EQ(vs.next_file_number(), 10u);
  EXPECT_EQ(vs.recovered_manifest_number(), kManifestNumber);
  ASSERT_EQ(vs.current()->files(1).size(), 1u);
  EXPECT_EQ(vs.current()->files(1)[0]->number, 8u);
}

TEST_F(VersionSetRecoveryTest, FirstEditWithoutFormatVersionIsDataLoss) {
  VersionEdit e;
  e.SetLogNumber(3);
  e.SetNextFileNumber(10);
  e.SetLastSequence(42);
  WriteManifest({e});
  const absl::Status s = Recover();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(s.message(),
            absl::StrFormat("manifest %s: record at offset %d: the first edit "
                            "has no format version",
                            kManifestName, kFirstRecordOffset));
}

TEST_F(VersionSetRecoveryTest, NewerFormatVersionIsFailedPrecondition) {
  VersionEdit e = CompleteEdit();
  e.SetFormatVersion(kManifestFormatVersion + 1);
  WriteManifest({e});
  const absl::Status s = Recover();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(s.message(),
            absl::StrFormat("manifest %s has format version %d and needs a "
                            "newer FerrisDB",
                            kManifestName, kManifestFormatVersion + 1));
}

TEST_F(VersionSetRecoveryTest, ManifestLackingAFieldIsIncomplete) {
  const std::string expected = absl::StrFormat(
      "manifest %s is incomplete: it lacks the log number, next file number "
      "or last sequence",
      kManifestName);
  for (int missing = 0; missing < 4; ++missing) {
    SCOPED_TRACE(absl::StrFormat("case %d", missing));
    std::vector<VersionEdit> edits;
    if (missing < 3) {
      VersionEdit e;
      e.SetFormatVersion(kManifestFormatVersion);
      if (missing != 0) e.SetLogNumber(3);
      if (missing != 1) e.SetNextFileNumber(10);
      if (missing != 2) e.SetLastSequence(42);
      edits.push_back(e);
    }  // case 3: a manifest with a file header and no edit at all
    WriteManifest(edits);
    const absl::Status s = Recover();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_EQ(s.message(), expected);
  }
}

TEST_F(VersionSetRecoveryTest, EditAddingALiveFileAgainIsDataLossAtItsOffset) {
  VersionEdit first = CompleteEdit();
  first.AddFile(0, MakeFile(8, "a", "f"));
  VersionEdit second;
  second.AddFile(2, MakeFile(8, "x", "z"));
  WriteManifest({first, second});
  std::string first_record;
  first.EncodeTo(&first_record);
  const uint64_t second_offset =
      kFirstRecordOffset + kFragmentHeaderSize + first_record.size();
  const absl::Status s = Recover();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(s.message(),
            absl::StrFormat("manifest %s: record at offset %d: version edit "
                            "adds file 000008, which is already live",
                            kManifestName, second_offset));
}

TEST_F(VersionSetRecoveryTest, LogAndApplyRefusesALiveFileAndKeepsTheState) {
  VersionSet vs(dir_.path(), Env::Default());
  VersionEdit e1;
  e1.AddFile(0, MakeFile(vs.NewFileNumber(), "a", "f"));
  ASSERT_THAT(vs.LogAndApply(&e1), IsOk());
  const uint64_t live = vs.current()->files(0)[0]->number;
  const std::shared_ptr<const Version> before = vs.current();

  VersionEdit e2;
  e2.AddFile(1, MakeFile(live, "m", "p"));
  const absl::Status s = vs.LogAndApply(&e2);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(s.message(),
            absl::StrFormat(
                "version edit adds file %06d, which is already live", live));
  EXPECT_EQ(vs.current(), before);

  // Nothing of the refused edit reached the manifest.
  VersionSet recovered(dir_.path(), Env::Default());
  ASSERT_THAT(recovered.Recover(), IsOk());
  EXPECT_EQ(recovered.current()->NumFiles(), 1u);
  EXPECT_EQ(recovered.current()->files(0).size(), 1u);
}

// CURRENT whose checksum verifies but whose body does not name a manifest.
TEST_F(VersionSetRecoveryTest, CurrentNotNamingAManifestIsDataLoss) {
  for (const std::string body :
       {"MANIFEST_000007 v1", "manifest-000007 v1", "MANIFEST- v1",
        "MANIFEST-000007v1", "MANIFEST-000007 1", "MANIFEST-x v1"}) {
    SCOPED_TRACE(body);
    const std::string contents =
        absl::StrFormat("%s %08x\n", body, Checksum32(body));
    EXPECT_THAT(
        DecodeCurrentFile(contents),
        ::ferrisdb::testing::StatusIsWithMessage(
            absl::StatusCode::kDataLoss, "CURRENT: does not name a manifest"));
    WriteCurrent(contents);
    const absl::Status s = Recover();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_EQ(s.message(), dir_.path() + "/CURRENT: does not name a manifest");
  }
}

TEST_F(VersionSetRecoveryTest, DebugStringListsTheNonEmptyLevels) {
  VersionSet vs(dir_.path(), Env::Default());
  VersionEdit e;
  e.AddFile(0, MakeFile(5, "b", "c"));
  e.AddFile(0, MakeFile(4, "a", "z"));
  e.AddFile(2, MakeFile(6, "k", "l\n"));
  ASSERT_THAT(vs.LogAndApply(&e), IsOk());
  // Level 0 by file number; key bytes escaped.
  EXPECT_EQ(vs.current()->DebugString(),
            "L0: 000004['a' @ 5 : value..'z' @ 9 : deletion]"
            " 000005['b' @ 5 : value..'c' @ 9 : deletion]\n"
            "L2: 000006['k' @ 5 : value..'l\\x0a' @ 9 : deletion]\n");
  EXPECT_EQ(Version().DebugString(), "");
}

}  // namespace
}  // namespace ferrisdb
