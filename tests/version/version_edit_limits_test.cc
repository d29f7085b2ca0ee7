// VersionEdit::DecodeFrom at the limits of two fields: the last sequence
// number (at most kMaxSequenceNumber) and a skippable field whose length
// prefix runs past the record. Other damage: version_edit_test.
#include <string>

#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "testutil/status_matchers.h"
#include "util/coding.h"
#include "version/version_edit.h"
#include "version/version_edit_format.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

TEST(VersionEditLimitsTest, LastSequenceAboveTheMaximumIsDataLoss) {
  std::string record;
  PutVarint32(&record, static_cast<uint32_t>(EditTag::kLogNumber));
  PutVarint64(&record, 3);
  const size_t field_offset = record.size();
  PutVarint32(&record, static_cast<uint32_t>(EditTag::kLastSequence));
  PutVarint64(&record, kMaxSequenceNumber + 1);
  VersionEdit edit;
  const absl::Status s = edit.DecodeFrom(record);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(s.message(), "version edit: bad last sequence at byte " +
                             std::to_string(field_offset) + " of the record");

  // The maximum itself is valid.
  std::string max_record;
  PutVarint32(&max_record, static_cast<uint32_t>(EditTag::kLastSequence));
  PutVarint64(&max_record, kMaxSequenceNumber);
  ASSERT_THAT(edit.DecodeFrom(max_record), IsOk());
  EXPECT_EQ(edit.last_sequence(), kMaxSequenceNumber);
}

TEST(VersionEditLimitsTest, IgnorableFieldRunningPastTheRecordIsDataLoss) {
  std::string record;
  PutVarint32(&record, static_cast<uint32_t>(EditTag::kNextFileNumber));
  PutVarint64(&record, 9);
  const size_t field_offset = record.size();
  PutVarint32(&record, 42 | kEditTagSafeToIgnoreBit);
  PutVarint32(&record, 10);  // claims 10 bytes, 4 follow
  record += "abcd";
  VersionEdit edit;
  const absl::Status s = edit.DecodeFrom(record);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(s.message(), "version edit: truncated ignorable field at byte " +
                             std::to_string(field_offset) + " of the record");
}

}  // namespace
}  // namespace ferrisdb
