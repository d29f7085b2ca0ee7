#include "ferrisdb/write_batch.h"

#include <string>
#include <vector>

#include "db/write_batch_internal.h"
#include "ferrisdb/options.h"
#include "gtest/gtest.h"
#include "memtable/memtable.h"
#include "testutil/status_matchers.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::StatusIs;
using internal::WriteBatchInternal;

// Records the updates a batch delivers, in order.
class RecordingHandler : public WriteBatch::Handler {
 public:
  absl::Status Put(std::string_view key, std::string_view value) override {
    log.push_back("Put(" + std::string(key) + "," + std::string(value) + ")");
    return absl::OkStatus();
  }
  absl::Status Delete(std::string_view key) override {
    log.push_back("Delete(" + std::string(key) + ")");
    return absl::OkStatus();
  }
  std::vector<std::string> log;
};

std::vector<std::string> Contents(const WriteBatch& batch) {
  RecordingHandler handler;
  EXPECT_TRUE(batch.Iterate(&handler).ok());
  return handler.log;
}

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch batch;
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_TRUE(Contents(batch).empty());
  EXPECT_EQ(WriteBatchInternal::ByteSize(batch), internal::kBatchHeaderSize);
}

TEST(WriteBatchTest, UpdatesComeBackInOrder) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Put("a", "2");
  EXPECT_EQ(batch.Count(), 3u);
  EXPECT_EQ(Contents(batch),
            (std::vector<std::string>{"Put(a,1)", "Delete(b)", "Put(a,2)"}));
}

TEST(WriteBatchTest, BinaryKeysAndValuesSurvive) {
  WriteBatch batch;
  const std::string key("k\0\xff", 3);
  const std::string value("\0\0v", 3);
  batch.Put(key, value);
  struct Check : WriteBatch::Handler {
    absl::Status Put(std::string_view k, std::string_view v) override {
      got_key = std::string(k);
      got_value = std::string(v);
      return absl::OkStatus();
    }
    absl::Status Delete(std::string_view) override {
      return absl::InternalError("unexpected delete");
    }
    std::string got_key, got_value;
  } check;
  ASSERT_TRUE(batch.Iterate(&check).ok());
  EXPECT_EQ(check.got_key, key);
  EXPECT_EQ(check.got_value, value);
}

TEST(WriteBatchTest, ClearEmptiesTheBatch) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_TRUE(Contents(batch).empty());
}

TEST(WriteBatchTest, AppendConcatenates) {
  WriteBatch a, b;
  a.Put("x", "1");
  b.Delete("y");
  b.Put("z", "3");
  a.Append(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(Contents(a),
            (std::vector<std::string>{"Put(x,1)", "Delete(y)", "Put(z,3)"}));
}

TEST(WriteBatchTest, SequenceRoundTrips) {
  WriteBatch batch;
  batch.Put("a", "1");
  WriteBatchInternal::SetSequence(&batch, 123456789012345);
  EXPECT_EQ(WriteBatchInternal::Sequence(batch), 123456789012345u);
}

TEST(WriteBatchTest, SetContentsRejectsEveryTruncation) {
  WriteBatch batch;
  batch.Put("key1", "value1");
  batch.Delete("key2");
  const std::string rep(WriteBatchInternal::Contents(batch));
  for (size_t len = 0; len < rep.size(); ++len) {
    WriteBatch decoded;
    EXPECT_THAT(WriteBatchInternal::SetContents(&decoded, rep.substr(0, len)),
                StatusIs(absl::StatusCode::kDataLoss))
        << "length " << len;
  }
  WriteBatch decoded;
  EXPECT_TRUE(WriteBatchInternal::SetContents(&decoded, rep).ok());
  EXPECT_EQ(Contents(decoded), Contents(batch));
}

TEST(WriteBatchTest, SetContentsRejectsWrongCountAndUnknownTag) {
  WriteBatch batch;
  batch.Put("a", "1");
  std::string rep(WriteBatchInternal::Contents(batch));
  std::string wrong_count = rep;
  wrong_count[8] = 2;
  WriteBatch decoded;
  EXPECT_THAT(WriteBatchInternal::SetContents(&decoded, wrong_count),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string bad_tag = rep;
  bad_tag[internal::kBatchHeaderSize] = 0x7f;
  EXPECT_THAT(WriteBatchInternal::SetContents(&decoded, bad_tag),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(WriteBatchTest, ValidateRejectsOversizedKeysAndValues) {
  WriteBatch ok_batch;
  ok_batch.Put(std::string(kMaxKeySize, 'k'), "v");
  EXPECT_TRUE(WriteBatchInternal::ValidateForWrite(ok_batch).ok());

  WriteBatch long_key;
  long_key.Put("fine", "v");
  long_key.Delete(std::string(kMaxKeySize + 1, 'k'));
  EXPECT_THAT(WriteBatchInternal::ValidateForWrite(long_key),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WriteBatchTest, InsertIntoAssignsConsecutiveSequences) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("a", "2");
  batch.Delete("b");
  WriteBatchInternal::SetSequence(&batch, 100);
  MemTable* mem = new MemTable();
  mem->Ref();
  ASSERT_TRUE(WriteBatchInternal::InsertInto(batch, mem).ok());
  std::string value;
  EXPECT_EQ(mem->Get(LookupKey("a", 100), &value), MemTable::GetResult::kFound);
  EXPECT_EQ(value, "1");
  EXPECT_EQ(mem->Get(LookupKey("a", 101), &value), MemTable::GetResult::kFound);
  EXPECT_EQ(value, "2");
  EXPECT_EQ(mem->Get(LookupKey("b", 101), &value),
            MemTable::GetResult::kNotPresent);
  EXPECT_EQ(mem->Get(LookupKey("b", 102), &value),
            MemTable::GetResult::kDeleted);
  mem->Unref();
}

}  // namespace
}  // namespace ferrisdb
