// DBIter: the user iterator over an internal stream at a sequence number,
// with iterate_lower_bound / iterate_upper_bound. Unit tests drive it over a
// memtable; model tests compare it (and DB::NewIterator with tables on disk)
// with a std::map under random bounds, in both directions.
#include "db/db_iter.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::TestDir;
using ::ferrisdb::testing::TestSeed;

using Model = std::map<std::string, std::string>;
using Bound = std::optional<std::string>;

// Counts steps taken from an entry outside [lower, upper): a bounded DBIter
// should never step on from there.
class BoundWatchingIterator final : public InternalIterator {
 public:
  BoundWatchingIterator(std::unique_ptr<InternalIterator> base, Bound lower,
                        Bound upper, int* steps_past_bounds)
      : base_(std::move(base)),
        lower_(std::move(lower)),
        upper_(std::move(upper)),
        steps_past_bounds_(steps_past_bounds) {}

  bool Valid() const override { return base_->Valid(); }
  void SeekToFirst() override { base_->SeekToFirst(); }
  void SeekToLast() override { base_->SeekToLast(); }
  void Seek(std::string_view t) override { base_->Seek(t); }
  void SeekForPrev(std::string_view t) override { base_->SeekForPrev(t); }
  void Next() override {
    if (upper_.has_value() && ExtractUserKey(key()) >= *upper_) {
      ++*steps_past_bounds_;
    }
    base_->Next();
  }
  void Prev() override {
    if (lower_.has_value() && ExtractUserKey(key()) < *lower_) {
      ++*steps_past_bounds_;
    }
    base_->Prev();
  }
  std::string_view key() const override { return base_->key(); }
  std::string_view value() const override { return base_->value(); }
  absl::Status status() const override { return base_->status(); }

 private:
  const std::unique_ptr<InternalIterator> base_;
  const Bound lower_;
  const Bound upper_;
  int* const steps_past_bounds_;
};

class DBIterTest : public ::testing::Test {
 protected:
  DBIterTest() : mem_(new MemTable) { mem_->Ref(); }
  ~DBIterTest() override { mem_->Unref(); }

  void Put(std::string_view key, std::string_view value) {
    mem_->Add(++last_sequence_, ValueType::kValue, key, value);
  }
  void Delete(std::string_view key) {
    mem_->Add(++last_sequence_, ValueType::kDeletion, key, "");
  }

  std::unique_ptr<Iterator> NewIter(Bound lower, Bound upper,
                                    SequenceNumber sequence = 0) {
    // The memtable outlives the test's iterators: nothing to pin.
    return NewDBIterator(
        std::make_unique<BoundWatchingIterator>(mem_->NewIterator(), lower,
                                                upper, &steps_past_bounds_),
        sequence == 0 ? last_sequence_ : sequence, nullptr, lower, upper);
  }

  // Keys in iteration order, forward from SeekToFirst.
  static std::string Forward(Iterator* it) {
    std::string out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!out.empty()) out += " ";
      out += it->key();
    }
    EXPECT_THAT(it->status(), IsOk());
    return out;
  }
  static std::string Backward(Iterator* it) {
    std::string out;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (!out.empty()) out += " ";
      out += it->key();
    }
    EXPECT_THAT(it->status(), IsOk());
    return out;
  }

  MemTable* const mem_;
  SequenceNumber last_sequence_ = 0;
  int steps_past_bounds_ = 0;
};

TEST_F(DBIterTest, NoBoundsShowsEverything) {
  Put("a", "1");
  Put("b", "2");
  Put("c", "3");
  Delete("b");
  std::unique_ptr<Iterator> it = NewIter(std::nullopt, std::nullopt);
  EXPECT_EQ(Forward(it.get()), "a c");
  EXPECT_EQ(Backward(it.get()), "c a");
}

TEST_F(DBIterTest, BoundsLimitBothDirections) {
  for (std::string_view k : {"a", "b", "c", "d", "e"}) Put(k, "v");
  std::unique_ptr<Iterator> it = NewIter("b", "d");
  EXPECT_EQ(Forward(it.get()), "b c");
  EXPECT_EQ(Backward(it.get()), "c b");
  EXPECT_EQ(steps_past_bounds_, 0);
}

TEST_F(DBIterTest, BoundsBetweenKeys) {
  for (std::string_view k : {"a", "c", "e", "g"}) Put(k, "v");
  std::unique_ptr<Iterator> it = NewIter("b", "f");
  EXPECT_EQ(Forward(it.get()), "c e");
  EXPECT_EQ(Backward(it.get()), "e c");
  EXPECT_EQ(steps_past_bounds_, 0);
}

TEST_F(DBIterTest, SeekClampsToTheLowerBound) {
  for (std::string_view k : {"a", "b", "c", "d"}) Put(k, "v");
  std::unique_ptr<Iterator> it = NewIter("b", std::nullopt);
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
  it->SeekForPrev("a");  // below the bound: nothing
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("bb");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
}

TEST_F(DBIterTest, SeekForPrevClampsToTheUpperBound) {
  for (std::string_view k : {"a", "b", "c", "d"}) Put(k, "v");
  std::unique_ptr<Iterator> it = NewIter(std::nullopt, "c");
  it->SeekForPrev("z");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->SeekForPrev("c");  // the bound itself is excluded
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("c");
  EXPECT_FALSE(it->Valid());
  it->Seek("bb");
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
  EXPECT_EQ(steps_past_bounds_, 0);
}

TEST_F(DBIterTest, DeletedAndNewerVersionsAtTheBounds) {
  Put("a", "old");
  Put("b", "old");
  Put("c", "old");
  const SequenceNumber before_deletes = last_sequence_;
  Delete("b");
  Put("c", "new");
  Put("bb", "new");
  {
    std::unique_ptr<Iterator> it = NewIter("b", "c");
    EXPECT_EQ(Forward(it.get()), "bb");
    EXPECT_EQ(Backward(it.get()), "bb");
  }
  {
    // As of before the deletion: "b" is still there; "bb" not yet.
    std::unique_ptr<Iterator> it = NewIter("b", "c", before_deletes);
    EXPECT_EQ(Forward(it.get()), "b");
    EXPECT_EQ(Backward(it.get()), "b");
  }
  {
    std::unique_ptr<Iterator> it = NewIter("c", std::nullopt);
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "new");
    it->SeekToLast();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "new");
  }
}

TEST_F(DBIterTest, EmptyRangeShowsNothing) {
  for (std::string_view k : {"a", "b", "c"}) Put(k, "v");
  for (const auto& [lower, upper] :
       std::vector<std::pair<std::string, std::string>>{{"b", "b"},
                                                        {"c", "a"}}) {
    std::unique_ptr<Iterator> it = NewIter(lower, upper);
    EXPECT_EQ(Forward(it.get()), "");
    EXPECT_EQ(Backward(it.get()), "");
    it->Seek("b");
    EXPECT_FALSE(it->Valid());
    it->SeekForPrev("b");
    EXPECT_FALSE(it->Valid());
  }
}

TEST_F(DBIterTest, DirectionChangesAtTheBounds) {
  for (std::string_view k : {"a", "b", "c", "d", "e"}) Put(k, "v");
  std::unique_ptr<Iterator> it = NewIter("b", "e");
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Prev();
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Next();
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Next();
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(), IsOk());
}

// Random operations on `it` against the model restricted to [lower, upper).
void CheckAgainstModel(Iterator* it, const Model& full, const Bound& lower,
                       const Bound& upper, std::mt19937* rng, int key_space) {
  Model model;
  for (const auto& [k, v] : full) {
    if (lower.has_value() && k < *lower) continue;
    if (upper.has_value() && k >= *upper) continue;
    model.emplace(k, v);
  }
  auto pos = model.end();  // the model's position; end() when not valid
  for (int op = 0; op < 200; ++op) {
    const std::string target =
        absl::StrFormat("k%03d", (*rng)() % (key_space + 2));
    switch ((*rng)() % 6) {
      case 0:
        it->SeekToFirst();
        pos = model.begin();
        break;
      case 1:
        it->SeekToLast();
        pos = model.empty() ? model.end() : std::prev(model.end());
        break;
      case 2:
        it->Seek(target);
        pos = model.lower_bound(target);
        break;
      case 3:
        it->SeekForPrev(target);
        pos = model.upper_bound(target);
        pos = pos == model.begin() ? model.end() : std::prev(pos);
        break;
      case 4:
        if (pos == model.end()) continue;
        it->Next();
        ++pos;
        break;
      case 5:
        if (pos == model.end()) continue;
        it->Prev();
        pos = pos == model.begin() ? model.end() : std::prev(pos);
        break;
    }
    ASSERT_EQ(it->Valid(), pos != model.end()) << "op " << op;
    if (it->Valid()) {
      ASSERT_EQ(it->key(), pos->first) << "op " << op;
      ASSERT_EQ(it->value(), pos->second) << "op " << op;
    }
  }
  ASSERT_THAT(it->status(), IsOk());
}

// A random bound over the key space, or none.
Bound RandomBound(std::mt19937* rng, int key_space) {
  if ((*rng)() % 4 == 0) return std::nullopt;
  // Sometimes between two keys ("k012a"), sometimes on one.
  std::string b = absl::StrFormat("k%03d", (*rng)() % (key_space + 2));
  if ((*rng)() % 2 == 0) b += "a";
  return b;
}

TEST_F(DBIterTest, RandomBoundsMatchModel) {
  const uint32_t seed = TestSeed(4242);
  SCOPED_TRACE(absl::StrFormat("seed %u (FERRISDB_TEST_SEED)", seed));
  std::mt19937 rng(seed);
  constexpr int kKeySpace = 50;
  Model model;
  std::vector<std::pair<SequenceNumber, Model>> history;
  for (int i = 0; i < 400; ++i) {
    const std::string key = absl::StrFormat("k%03d", rng() % kKeySpace);
    if (rng() % 4 == 0) {
      Delete(key);
      model.erase(key);
    } else {
      const std::string value = absl::StrFormat("v%d", i);
      Put(key, value);
      model[key] = value;
    }
    if (i % 50 == 0) history.emplace_back(last_sequence_, model);
  }
  history.emplace_back(last_sequence_, model);
  for (int round = 0; round < 60; ++round) {
    const auto& [sequence, visible] = history[rng() % history.size()];
    const Bound lower = RandomBound(&rng, kKeySpace);
    const Bound upper = RandomBound(&rng, kKeySpace);
    SCOPED_TRACE(absl::StrFormat("round %d lower %s upper %s", round,
                                 lower.value_or("-"), upper.value_or("-")));
    std::unique_ptr<Iterator> it = NewIter(lower, upper, sequence);
    CheckAgainstModel(it.get(), visible, lower, upper, &rng, kKeySpace);
  }
  EXPECT_EQ(steps_past_bounds_, 0);
}

// The same through DB::NewIterator, with data spread over the memtable and
// several level-0 tables.
TEST(DBIteratorBoundsTest, RandomBoundsMatchModelAcrossTables) {
  const uint32_t seed = TestSeed(99);
  SCOPED_TRACE(absl::StrFormat("seed %u (FERRISDB_TEST_SEED)", seed));
  std::mt19937 rng(seed);
  TestDir dir;
  Options options;
  options.write_buffer_size = 4096;  // many small tables
  auto opened = DB::Open(options, dir.Sub("db"));
  ASSERT_THAT(opened, IsOk());
  std::unique_ptr<DB> db = *std::move(opened);
  constexpr int kKeySpace = 120;
  Model model;
  for (int i = 0; i < 1500; ++i) {
    const std::string key = absl::StrFormat("k%03d", rng() % kKeySpace);
    if (rng() % 4 == 0) {
      ASSERT_THAT(db->Delete({}, key), IsOk());
      model.erase(key);
    } else {
      const std::string value =
          absl::StrFormat("v%d-%s", i, std::string(rng() % 40, 'x'));
      ASSERT_THAT(db->Put({}, key, value), IsOk());
      model[key] = value;
    }
    if (i == 700) {
      ASSERT_THAT(db->Flush(), IsOk());
    }
  }
  // The data must really span tables (the flush above made at least one).
  ASSERT_GE(static_cast<DBImpl*>(db.get())->TEST_NumTables(), 1u);
  const Snapshot* snapshot = db->GetSnapshot();
  const Model at_snapshot = model;
  // Newer writes the snapshot must not see, left in the memtable.
  for (int i = 0; i < 100; ++i) {
    const std::string key = absl::StrFormat("k%03d", rng() % kKeySpace);
    ASSERT_THAT(db->Delete({}, key), IsOk());
    model.erase(key);
  }
  for (int round = 0; round < 40; ++round) {
    ReadOptions ro;
    ro.iterate_lower_bound = RandomBound(&rng, kKeySpace);
    ro.iterate_upper_bound = RandomBound(&rng, kKeySpace);
    const bool use_snapshot = round % 2 == 0;
    if (use_snapshot) ro.snapshot = snapshot;
    SCOPED_TRACE(absl::StrFormat("round %d lower %s upper %s", round,
                                 ro.iterate_lower_bound.value_or("-"),
                                 ro.iterate_upper_bound.value_or("-")));
    std::unique_ptr<Iterator> it = db->NewIterator(ro);
    // The iterator keeps its own copy of the bounds.
    const Bound lower = ro.iterate_lower_bound;
    const Bound upper = ro.iterate_upper_bound;
    ro.iterate_lower_bound = "zzz";
    ro.iterate_upper_bound.reset();
    CheckAgainstModel(it.get(), use_snapshot ? at_snapshot : model, lower,
                      upper, &rng, kKeySpace);
  }
  db->ReleaseSnapshot(snapshot);
}

}  // namespace
}  // namespace ferrisdb
