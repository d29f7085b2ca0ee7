// MergingIterator: the union of children against a brute-force merge (one
// sorted vector of every entry), with random data and random sequences of
// operations in both directions; errors of children.
#include "db/merging_iterator.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::TestSeed;

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string IKey(std::string_view user_key, SequenceNumber seq) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, ValueType::kValue);
  return k;
}

bool EntryLess(const std::pair<std::string, std::string>& a,
               const std::pair<std::string, std::string>& b) {
  return CompareInternalKeys(a.first, b.first) < 0;
}

// Iterates sorted entries. With fail_at set, moving onto entry fail_at makes
// it invalid with an error instead (sticky, like a table iterator).
class VectorIterator final : public InternalIterator {
 public:
  explicit VectorIterator(Entries entries, size_t fail_at = SIZE_MAX)
      : entries_(std::move(entries)), fail_at_(fail_at) {}

  bool Valid() const override { return status_.ok() && pos_ < size(); }
  void SeekToFirst() override { MoveTo(0); }
  void SeekToLast() override { MoveTo(size() == 0 ? size() : size() - 1); }
  void Seek(std::string_view target) override {
    size_t i = 0;
    while (i < size() && CompareInternalKeys(entries_[i].first, target) < 0) {
      ++i;
    }
    MoveTo(i);
  }
  void SeekForPrev(std::string_view target) override {
    size_t i = size();
    while (i > 0 && CompareInternalKeys(entries_[i - 1].first, target) > 0) {
      --i;
    }
    MoveTo(i == 0 ? size() : i - 1);
  }
  void Next() override { MoveTo(pos_ + 1); }
  void Prev() override { MoveTo(pos_ == 0 ? size() : pos_ - 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  absl::Status status() const override { return status_; }

 private:
  size_t size() const { return entries_.size(); }
  void MoveTo(size_t pos) {
    pos_ = pos;
    if (pos_ == fail_at_) {
      status_ = absl::DataLossError(absl::StrFormat("child fails at %d", pos));
    }
  }

  const Entries entries_;
  const size_t fail_at_;
  size_t pos_ = SIZE_MAX;
  absl::Status status_;
};

std::unique_ptr<InternalIterator> Merge(const std::vector<Entries>& children) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (const Entries& c : children) {
    iters.push_back(std::make_unique<VectorIterator>(c));
  }
  return NewMergingIterator(std::move(iters));
}

std::vector<std::string> ForwardKeys(InternalIterator* it) {
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    keys.emplace_back(it->key());
  }
  return keys;
}

TEST(MergingIteratorTest, NoChildrenIsEmpty) {
  std::unique_ptr<InternalIterator> it = NewMergingIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
}

TEST(MergingIteratorTest, InterleavesChildrenInInternalKeyOrder) {
  std::unique_ptr<InternalIterator> it = Merge(
      {{{IKey("a", 3), "a3"}, {IKey("c", 1), "c1"}},
       {},
       {{IKey("a", 5), "a5"}, {IKey("b", 2), "b2"}, {IKey("d", 4), "d4"}}});
  std::vector<std::string> values;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    values.emplace_back(it->value());
  }
  EXPECT_EQ(values, (std::vector<std::string>{"a5", "a3", "b2", "c1", "d4"}));
  values.clear();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    values.emplace_back(it->value());
  }
  EXPECT_EQ(values, (std::vector<std::string>{"d4", "c1", "b2", "a3", "a5"}));
  EXPECT_THAT(it->status(), IsOk());
}

TEST(MergingIteratorTest, DirectionChangesInTheMiddle) {
  std::unique_ptr<InternalIterator> it =
      Merge({{{IKey("a", 1), "a"}, {IKey("d", 1), "d"}},
             {{IKey("b", 1), "b"}, {IKey("e", 1), "e"}},
             {{IKey("c", 1), "c"}}});
  it->Seek(IKey("c", 9));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "c");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "b");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "c");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "d");
  it->Prev();
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "b");
  it->SeekForPrev(IKey("c", 0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "c");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "d");
}

TEST(MergingIteratorTest, ChildErrorStopsTheMergeAndIsReported) {
  // The second child fails when it moves onto its second entry ("c"): the
  // merge must not go on to "d" as if that child had ended.
  std::vector<std::unique_ptr<InternalIterator>> iters;
  iters.push_back(std::make_unique<VectorIterator>(
      Entries{{IKey("a", 1), "a"}, {IKey("d", 1), "d"}}));
  iters.push_back(std::make_unique<VectorIterator>(
      Entries{{IKey("b", 1), "b"}, {IKey("c", 1), "c"}}, /*fail_at=*/1));
  std::unique_ptr<InternalIterator> it = NewMergingIterator(std::move(iters));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "a");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "b");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kDataLoss));
  // The child keeps its error, so repositioning stays stopped.
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MergingIteratorTest, StatusReportsTheFirstChildError) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  iters.push_back(std::make_unique<VectorIterator>(Entries{}));
  iters.push_back(std::make_unique<VectorIterator>(Entries{{IKey("a", 1), "a"}},
                                                   /*fail_at=*/0));
  iters.push_back(std::make_unique<VectorIterator>(Entries{{IKey("b", 1), "b"}},
                                                   /*fail_at=*/0));
  std::unique_ptr<InternalIterator> it = NewMergingIterator(std::move(iters));
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(it->status().message(), "child fails at 0");
}

// Random children and random operations against one sorted vector.
class MergingIteratorModelTest : public ::testing::TestWithParam<int> {};

TEST_P(MergingIteratorModelTest, MatchesBruteForceMerge) {
  const int num_children = GetParam();
  const uint32_t seed = TestSeed(1234 + static_cast<uint32_t>(num_children));
  SCOPED_TRACE(absl::StrFormat("seed %u (FERRISDB_TEST_SEED)", seed));
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    // Unique internal keys: every entry has its own sequence number; user
    // keys repeat across and within children.
    std::vector<Entries> children(static_cast<size_t>(num_children));
    Entries all;
    const int num_entries = static_cast<int>(rng() % 200);
    for (int i = 0; i < num_entries; ++i) {
      std::string entry_key =
          IKey(absl::StrFormat("k%03d", rng() % 60), static_cast<uint64_t>(i));
      std::string value = absl::StrFormat("v%d", i);
      // Skewed: some children get most entries, some none.
      const size_t child =
          std::min(rng() % children.size(), rng() % children.size());
      children[child].emplace_back(entry_key, value);
      all.emplace_back(std::move(entry_key), std::move(value));
    }
    for (Entries& c : children) std::sort(c.begin(), c.end(), EntryLess);
    std::sort(all.begin(), all.end(), EntryLess);
    std::unique_ptr<InternalIterator> it = Merge(children);

    // The model: a position in `all` (all.size() when not valid).
    size_t pos = all.size();
    for (int op = 0; op < 300; ++op) {
      const std::string target =
          IKey(absl::StrFormat("k%03d", rng() % 62), rng() % 220);
      const bool valid = pos < all.size();
      switch (rng() % 6) {
        case 0:
          it->SeekToFirst();
          pos = 0;
          break;
        case 1:
          it->SeekToLast();
          pos = all.empty() ? 0 : all.size() - 1;
          break;
        case 2:
          it->Seek(target);
          pos = static_cast<size_t>(
              std::lower_bound(all.begin(), all.end(),
                               std::make_pair(target, std::string()),
                               EntryLess) -
              all.begin());
          break;
        case 3: {
          it->SeekForPrev(target);
          const size_t after = static_cast<size_t>(
              std::upper_bound(all.begin(), all.end(),
                               std::make_pair(target, std::string()),
                               EntryLess) -
              all.begin());
          pos = after == 0 ? all.size() : after - 1;
          break;
        }
        case 4:
          if (!valid) continue;
          it->Next();
          ++pos;
          break;
        case 5:
          if (!valid) continue;
          it->Prev();
          pos = pos == 0 ? all.size() : pos - 1;
          break;
      }
      if (pos > all.size()) pos = all.size();
      ASSERT_EQ(it->Valid(), pos < all.size())
          << "round " << round << " op " << op;
      if (it->Valid()) {
        ASSERT_EQ(it->key(), all[pos].first)
            << InternalKeyDebugString(it->key()) << " vs "
            << InternalKeyDebugString(all[pos].first);
        ASSERT_EQ(it->value(), all[pos].second);
      }
    }
    ASSERT_THAT(it->status(), IsOk());
    std::vector<std::string> expected;
    for (const auto& e : all) expected.push_back(e.first);
    ASSERT_EQ(ForwardKeys(it.get()), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Children, MergingIteratorModelTest,
                         ::testing::Values(1, 2, 3, 8, 33));

}  // namespace
}  // namespace ferrisdb
