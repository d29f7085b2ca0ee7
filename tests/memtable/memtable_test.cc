#include "memtable/memtable.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using GetResult = MemTable::GetResult;

// Holds the memtable's reference for the test.
class MemTableTest : public ::testing::Test {
 protected:
  MemTableTest() : mem_(new MemTable()) { mem_->Ref(); }
  ~MemTableTest() override { mem_->Unref(); }

  GetResult Get(std::string_view user_key, SequenceNumber seq,
                std::string* value) {
    return mem_->Get(LookupKey(user_key, seq), value);
  }
  // "NOT_PRESENT", "DELETED" or the value.
  std::string GetString(std::string_view user_key, SequenceNumber seq) {
    std::string value;
    switch (Get(user_key, seq, &value)) {
      case GetResult::kNotPresent:
        return "NOT_PRESENT";
      case GetResult::kDeleted:
        return "DELETED";
      case GetResult::kFound:
        return value;
    }
    return "?";
  }

  MemTable* mem_;
};

TEST_F(MemTableTest, EmptyMemTable) {
  EXPECT_EQ(GetString("a", kMaxSequenceNumber), "NOT_PRESENT");
  EXPECT_EQ(mem_->num_entries(), 0u);
  EXPECT_EQ(mem_->num_deletions(), 0u);
  EXPECT_EQ(mem_->first_sequence(), 0u);
  EXPECT_EQ(mem_->last_sequence(), 0u);
  auto it = mem_->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), testing::IsOk());
}

TEST_F(MemTableTest, GetSeesVersionsAsOfTheLookupSequence) {
  mem_->Add(10, ValueType::kValue, "k", "v10");
  mem_->Add(20, ValueType::kDeletion, "k", "");
  mem_->Add(30, ValueType::kValue, "k", "v30");
  mem_->Add(15, ValueType::kValue, "other", "o15");

  EXPECT_EQ(GetString("k", 9), "NOT_PRESENT");
  EXPECT_EQ(GetString("k", 10), "v10");
  EXPECT_EQ(GetString("k", 19), "v10");
  EXPECT_EQ(GetString("k", 20), "DELETED");
  EXPECT_EQ(GetString("k", 29), "DELETED");
  EXPECT_EQ(GetString("k", 30), "v30");
  EXPECT_EQ(GetString("k", kMaxSequenceNumber), "v30");
  EXPECT_EQ(GetString("other", 14), "NOT_PRESENT");
  EXPECT_EQ(GetString("other", 15), "o15");
  // Neighbours and prefixes of stored keys are absent.
  EXPECT_EQ(GetString("", kMaxSequenceNumber), "NOT_PRESENT");
  EXPECT_EQ(GetString("j", kMaxSequenceNumber), "NOT_PRESENT");
  EXPECT_EQ(GetString("kk", kMaxSequenceNumber), "NOT_PRESENT");
  EXPECT_EQ(GetString("othe", kMaxSequenceNumber), "NOT_PRESENT");
  EXPECT_EQ(GetString("z", kMaxSequenceNumber), "NOT_PRESENT");

  EXPECT_EQ(mem_->num_entries(), 4u);
  EXPECT_EQ(mem_->num_deletions(), 1u);
  EXPECT_EQ(mem_->first_sequence(), 10u);
  EXPECT_EQ(mem_->last_sequence(), 30u);
}

TEST_F(MemTableTest, GetLeavesValueUntouchedWhenNotFound) {
  mem_->Add(1, ValueType::kDeletion, "k", "");
  std::string value = "sentinel";
  EXPECT_EQ(Get("k", 5, &value), GetResult::kDeleted);
  EXPECT_EQ(value, "sentinel");
  EXPECT_EQ(Get("x", 5, &value), GetResult::kNotPresent);
  EXPECT_EQ(value, "sentinel");
}

TEST_F(MemTableTest, EmptyKeysAndValues) {
  mem_->Add(1, ValueType::kValue, "", "empty-key");
  mem_->Add(2, ValueType::kValue, "k", "");
  mem_->Add(3, ValueType::kValue, std::string_view("\0", 1), "nul");
  std::string value = "x";
  EXPECT_EQ(Get("k", 2, &value), GetResult::kFound);
  EXPECT_EQ(value, "");
  EXPECT_EQ(GetString("", 1), "empty-key");
  EXPECT_EQ(GetString(std::string_view("\0", 1), 3), "nul");
  EXPECT_EQ(GetString(std::string_view("\0\0", 2), 3), "NOT_PRESENT");
}

TEST_F(MemTableTest, KeysWithNulAndHighBytes) {
  const std::vector<std::string> keys = {
      std::string("a\0b", 3),     std::string("a\0", 2),  "a",
      std::string("\xff\xff", 2), std::string("\x80", 1), "a\x7f"};
  SequenceNumber seq = 1;
  for (const std::string& k : keys) mem_->Add(seq++, ValueType::kValue, k, k);
  for (const std::string& k : keys) {
    EXPECT_EQ(GetString(k, kMaxSequenceNumber), k);
  }
  // Iteration is in unsigned bytewise order of the user keys.
  auto it = mem_->NewIterator();
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.emplace_back(ExtractUserKey(it->key()));
  }
  const std::vector<std::string> expected = {
      "a",     std::string("a\0", 2),  std::string("a\0b", 3),
      "a\x7f", std::string("\x80", 1), std::string("\xff\xff", 2)};
  EXPECT_EQ(seen, expected);
}

TEST_F(MemTableTest, LargeValues) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 13);
  const size_t before = mem_->ApproximateMemoryUsage();
  mem_->Add(1, ValueType::kValue, "big", big);
  mem_->Add(2, ValueType::kValue, "small", "s");
  EXPECT_GE(mem_->ApproximateMemoryUsage(), before + big.size());
  std::string value;
  ASSERT_EQ(Get("big", 5, &value), GetResult::kFound);
  EXPECT_EQ(value, big);
  EXPECT_EQ(GetString("small", 5), "s");
  // A large key too.
  const std::string big_key(100000, 'k');
  mem_->Add(3, ValueType::kValue, big_key, "bk");
  EXPECT_EQ(GetString(big_key, 3), "bk");
  EXPECT_EQ(GetString(big_key, 2), "NOT_PRESENT");
}

TEST_F(MemTableTest, MemoryUsageGrows) {
  const size_t initial = mem_->ApproximateMemoryUsage();
  size_t last = initial;
  size_t grew = 0;
  const std::string value(100, 'v');
  for (int i = 0; i < 20000; ++i) {
    mem_->Add(static_cast<SequenceNumber>(i + 1), ValueType::kValue,
              "key" + std::to_string(i), value);
    const size_t now = mem_->ApproximateMemoryUsage();
    ASSERT_GE(now, last);
    if (now > last) ++grew;
    last = now;
  }
  EXPECT_GT(grew, 10u);
  // At least the bytes stored, and not wildly more.
  const size_t payload = 20000 * (100 + 8 + 8);
  EXPECT_GE(last - initial, payload);
  EXPECT_LE(last, 2 * payload + initial);
}

TEST_F(MemTableTest, IteratorOrdersByInternalKey) {
  const uint32_t seed = testing::TestSeed(4242);
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  std::mt19937 rnd(seed);
  // Model: internal key -> value, ordered by the internal key order.
  std::map<std::string, std::string, InternalKeyComparator::Less> model;
  for (SequenceNumber seq = 1; seq <= 2000; ++seq) {
    const std::string user_key = "k" + std::to_string(rnd() % 300);
    const ValueType type =
        rnd() % 4 == 0 ? ValueType::kDeletion : ValueType::kValue;
    const std::string value =
        type == ValueType::kValue ? "v" + std::to_string(seq) : "";
    mem_->Add(seq, type, user_key, value);
    std::string ikey;
    AppendInternalKey(&ikey, user_key, seq, type);
    model[ikey] = value;
  }

  auto it = mem_->NewIterator();
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    ASSERT_NE(m, model.end());
    ASSERT_EQ(it->key(), m->first) << InternalKeyDebugString(it->key());
    ASSERT_EQ(it->value(), m->second);
  }
  EXPECT_EQ(m, model.end());

  auto r = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
    ASSERT_NE(r, model.rend());
    ASSERT_EQ(it->key(), r->first);
  }
  EXPECT_EQ(r, model.rend());

  // Seek / SeekForPrev with internal keys, including lookup-style targets.
  for (int q = 0; q < 500; ++q) {
    std::string target;
    AppendInternalKey(&target, "k" + std::to_string(rnd() % 310), rnd() % 2100,
                      kValueTypeForSeek);
    it->Seek(target);
    auto lb = model.lower_bound(target);
    ASSERT_EQ(it->Valid(), lb != model.end());
    if (it->Valid()) {
      ASSERT_EQ(it->key(), lb->first);
    }

    it->SeekForPrev(target);
    auto ub = model.upper_bound(target);
    ASSERT_EQ(it->Valid(), ub != model.begin());
    if (it->Valid()) {
      ASSERT_EQ(it->key(), std::prev(ub)->first);
    }
  }
}

TEST_F(MemTableTest, GetMatchesModelAtEverySequence) {
  const uint32_t seed = testing::TestSeed(777);
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  std::mt19937 rnd(seed);
  struct Version {
    SequenceNumber seq;
    ValueType type;
    std::string value;
  };
  std::map<std::string, std::vector<Version>> history;  // oldest first
  // Sequences unique but added out of order, as a DB's concurrent batches
  // might not; the memtable must not care.
  std::vector<SequenceNumber> seqs;
  for (SequenceNumber s = 1; s <= 1000; ++s) seqs.push_back(s);
  std::shuffle(seqs.begin(), seqs.end(), rnd);
  for (SequenceNumber seq : seqs) {
    const std::string user_key = "user" + std::to_string(rnd() % 50);
    const ValueType type =
        rnd() % 3 == 0 ? ValueType::kDeletion : ValueType::kValue;
    const std::string value =
        type == ValueType::kValue ? "val" + std::to_string(seq) : "";
    mem_->Add(seq, type, user_key, value);
    history[user_key].push_back({seq, type, value});
  }
  EXPECT_EQ(mem_->first_sequence(), 1u);
  EXPECT_EQ(mem_->last_sequence(), 1000u);
  for (int q = 0; q < 2000; ++q) {
    const std::string user_key = "user" + std::to_string(rnd() % 55);
    const SequenceNumber at = rnd() % 1002;
    std::string expected = "NOT_PRESENT";
    SequenceNumber best = 0;
    bool any = false;
    for (const Version& v : history[user_key]) {
      if (v.seq <= at && (!any || v.seq > best)) {
        any = true;
        best = v.seq;
        expected = v.type == ValueType::kValue ? v.value : "DELETED";
      }
    }
    ASSERT_EQ(GetString(user_key, at), expected) << user_key << " at " << at;
  }
}

TEST(MemTableRefTest, LastUnrefDeletes) {
  // Run under ASan, a missing delete leaks and a double delete crashes.
  auto* mem = new MemTable();
  mem->Ref();
  mem->Ref();
  mem->Add(1, ValueType::kValue, "k", "v");
  mem->Unref();
  std::string value;
  EXPECT_EQ(mem->Get(LookupKey("k", 1), &value), MemTable::GetResult::kFound);
  mem->Unref();
}

}  // namespace
}  // namespace ferrisdb
