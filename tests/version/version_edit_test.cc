#include "version/version_edit.h"

#include <string>

#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "util/coding.h"
#include "version/version_edit_format.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

std::string IKey(std::string_view user_key, SequenceNumber seq) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, ValueType::kValue);
  return k;
}

VersionEdit FullEdit() {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetLogNumber(7);
  edit.SetNextFileNumber(12);
  edit.SetLastSequence(1000);
  edit.DeleteFile(0, 4);
  edit.DeleteFile(3, 5);
  FileMetaData f;
  f.number = 9;
  f.file_size = 123456;
  f.smallest = IKey(std::string("a\0b", 3), 17);
  f.largest = IKey("zz\xff", 900);
  f.smallest_sequence = 17;
  f.largest_sequence = 900;
  edit.AddFile(0, f);
  f.number = 10;
  edit.AddFile(6, f);
  return edit;
}

TEST(VersionEditTest, RoundTripsEveryField) {
  const VersionEdit edit = FullEdit();
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit decoded;
  ASSERT_THAT(decoded.DecodeFrom(encoded), IsOk());
  std::string reencoded;
  decoded.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);
  EXPECT_EQ(decoded.DebugString(), edit.DebugString());
  EXPECT_EQ(*decoded.log_number(), 7u);
  EXPECT_EQ(*decoded.next_file_number(), 12u);
  EXPECT_EQ(*decoded.last_sequence(), 1000u);
  ASSERT_EQ(decoded.new_files().size(), 2u);
  EXPECT_EQ(decoded.new_files()[1].first, 6);
  EXPECT_EQ(decoded.new_files()[1].second.smallest,
            edit.new_files()[1].second.smallest);
  EXPECT_EQ(decoded.deleted_files().size(), 2u);
}

TEST(VersionEditTest, EmptyEditIsValid) {
  VersionEdit decoded;
  ASSERT_THAT(decoded.DecodeFrom(""), IsOk());
  EXPECT_FALSE(decoded.log_number().has_value());
}

TEST(VersionEditTest, TruncationInsideAFieldIsDataLoss) {
  VersionEdit edit;
  FileMetaData f;
  f.number = 300;
  f.file_size = 1 << 20;
  f.smallest = IKey("apple", 1);
  f.largest = IKey("banana", 2);
  f.smallest_sequence = 1;
  f.largest_sequence = 2;
  edit.AddFile(1, f);
  std::string encoded;
  edit.EncodeTo(&encoded);
  for (size_t len = 1; len < encoded.size(); ++len) {
    VersionEdit decoded;
    EXPECT_THAT(decoded.DecodeFrom(encoded.substr(0, len)),
                StatusIs(absl::StatusCode::kDataLoss))
        << "length " << len;
  }
}

TEST(VersionEditTest, RejectsImpossibleValues) {
  std::string bad_level;
  PutVarint32(&bad_level, static_cast<uint32_t>(EditTag::kDeletedFile));
  PutVarint32(&bad_level, kNumLevels);
  PutVarint64(&bad_level, 1);
  VersionEdit decoded;
  EXPECT_THAT(decoded.DecodeFrom(bad_level),
              StatusIs(absl::StatusCode::kDataLoss));

  VersionEdit reversed;
  FileMetaData f;
  f.number = 1;
  f.smallest = IKey("z", 1);
  f.largest = IKey("a", 1);
  reversed.AddFile(0, f);
  std::string encoded;
  reversed.EncodeTo(&encoded);
  EXPECT_THAT(decoded.DecodeFrom(encoded),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(VersionEditTest, UnknownFieldsAreSkippedOnlyWhenMarkedSafe) {
  std::string encoded;
  FullEdit().EncodeTo(&encoded);
  std::string ignorable = encoded;
  PutVarint32(&ignorable, 42 | kEditTagSafeToIgnoreBit);
  PutLengthPrefixed(&ignorable, "future data");
  VersionEdit decoded;
  ASSERT_THAT(decoded.DecodeFrom(ignorable), IsOk());
  EXPECT_EQ(decoded.DebugString(), FullEdit().DebugString());

  std::string required = encoded;
  PutVarint32(&required, 42);
  PutVarint64(&required, 1);
  EXPECT_THAT(decoded.DecodeFrom(required),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ferrisdb
