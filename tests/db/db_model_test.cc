// Randomized model test: random Put/Delete/Write/Get/iterate/snapshot
// operations, with close and reopen in between, checked against a std::map.
// Reproduce a failure with FERRISDB_TEST_SEED=<seed printed in the failure>.
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ferrisdb/db.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using Model = std::map<std::string, std::string>;

class ModelTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    seed_ = ::ferrisdb::testing::TestSeed(GetParam());
    rng_.seed(seed_);
    // Switch memtables often, and make levels tiny so that flushes,
    // compactions and trivial moves into several levels happen all along.
    options_.write_buffer_size = 16 << 10;
    options_.target_file_size = 8 << 10;
    options_.level0_file_num_compaction_trigger = 2;
    options_.max_bytes_for_level_base = 32 << 10;
    options_.max_bytes_for_level_multiplier = 4;
    Open();
  }

  void Open() {
    db_.reset();
    auto db = DB::Open(options_, dir_.Sub("db"));
    ASSERT_THAT(db, IsOk()) << "seed " << seed_;
    db_ = *std::move(db);
  }

  std::string RandomKey() {
    // A small key space so keys are overwritten and deleted often; a few
    // binary keys with NULs and 0xff bytes.
    const uint32_t k = rng_() % 1000;
    if (k % 37 == 0) return std::string("\0bin\xff", 5) + std::to_string(k);
    return absl::StrFormat("key%05d", k);
  }

  std::string RandomValue() {
    const size_t len = rng_() % 8 == 0 ? rng_() % 2000 : rng_() % 40;
    std::string v(len, '\0');
    for (char& c : v) c = static_cast<char>('a' + rng_() % 26);
    return v;
  }

  // Checks Get for a key against the model.
  void CheckGet(const std::string& key, const Model& model,
                const Snapshot* snapshot) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> got = db_->Get(ro, key);
    auto it = model.find(key);
    if (it == model.end()) {
      ASSERT_TRUE(absl::IsNotFound(got.status()))
          << "seed " << seed_ << " key " << key << ": expected NotFound, got "
          << (got.ok() ? *got : got.status().ToString());
    } else {
      ASSERT_THAT(got, IsOk()) << "seed " << seed_ << " key " << key;
      ASSERT_EQ(*got, it->second) << "seed " << seed_ << " key " << key;
    }
  }

  // Full scans both ways, then random seeks with a few steps each way;
  // sometimes within random iterate bounds (the model cut to match).
  void CheckIterator(const Model& full_model, const Snapshot* snapshot) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    Model bounded;
    const Model* model_ptr = &full_model;
    if (rng_() % 3 == 0) {
      if (rng_() % 2 == 0) ro.iterate_lower_bound = RandomKey();
      if (rng_() % 2 == 0) ro.iterate_upper_bound = RandomKey();
      auto lo = ro.iterate_lower_bound
                    ? full_model.lower_bound(*ro.iterate_lower_bound)
                    : full_model.begin();
      auto hi = ro.iterate_upper_bound
                    ? full_model.lower_bound(*ro.iterate_upper_bound)
                    : full_model.end();
      if (ro.iterate_lower_bound && ro.iterate_upper_bound &&
          *ro.iterate_upper_bound <= *ro.iterate_lower_bound) {
        hi = lo;  // an empty range
      }
      bounded = Model(lo, hi);
      model_ptr = &bounded;
    }
    const Model& model = *model_ptr;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model.end())
          << "seed " << seed_ << ": extra key " << std::string(it->key());
      ASSERT_EQ(it->key(), m->first) << "seed " << seed_;
      ASSERT_EQ(it->value(), m->second) << "seed " << seed_;
    }
    ASSERT_EQ(m, model.end()) << "seed " << seed_ << ": missing " << m->first;
    auto r = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      ASSERT_NE(r, model.rend()) << "seed " << seed_;
      ASSERT_EQ(it->key(), r->first) << "seed " << seed_;
      ASSERT_EQ(it->value(), r->second) << "seed " << seed_;
    }
    ASSERT_EQ(r, model.rend()) << "seed " << seed_;

    // Positions as indexes into the model's entries; -1 or size(): invalid.
    const std::vector<std::pair<std::string, std::string>> entries(
        model.begin(), model.end());
    const auto n = static_cast<int64_t>(entries.size());
    for (int i = 0; i < 10; ++i) {
      const std::string target = RandomKey();
      int64_t pos;
      if (rng_() % 2 == 0) {
        it->Seek(target);
        pos = std::distance(model.begin(), model.lower_bound(target));
      } else {
        it->SeekForPrev(target);
        pos = std::distance(model.begin(), model.upper_bound(target)) - 1;
      }
      for (int step = 0; step < 8; ++step) {
        const bool expect_valid = pos >= 0 && pos < n;
        ASSERT_EQ(it->Valid(), expect_valid)
            << "seed " << seed_ << " target " << target << " step " << step;
        if (!expect_valid) break;
        ASSERT_EQ(it->key(), entries[pos].first) << "seed " << seed_;
        ASSERT_EQ(it->value(), entries[pos].second) << "seed " << seed_;
        if (rng_() % 2 == 0) {
          it->Next();
          ++pos;
        } else {
          it->Prev();
          --pos;
        }
      }
    }
    ASSERT_THAT(it->status(), IsOk());
  }

  uint32_t seed_ = 0;
  std::mt19937 rng_;
  ::ferrisdb::testing::TestDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_P(ModelTest, RandomOperationsMatchAStdMap) {
  Model model;
  struct HeldSnapshot {
    const Snapshot* snapshot;
    Model state;
  };
  std::vector<HeldSnapshot> snapshots;

  constexpr int kSteps = 6000;
  for (int step = 0; step < kSteps; ++step) {
    const uint32_t op = rng_() % 100;
    WriteOptions wo;
    wo.sync = rng_() % 100 == 0;
    if (op < 40) {
      const std::string k = RandomKey(), v = RandomValue();
      ASSERT_THAT(db_->Put(wo, k, v), IsOk()) << "seed " << seed_;
      model[k] = v;
    } else if (op < 55) {
      const std::string k = RandomKey();
      ASSERT_THAT(db_->Delete(wo, k), IsOk()) << "seed " << seed_;
      model.erase(k);
    } else if (op < 65) {
      WriteBatch batch;
      Model after = model;
      const int n = 1 + rng_() % 10;
      for (int i = 0; i < n; ++i) {
        const std::string k = RandomKey();
        if (rng_() % 3 == 0) {
          batch.Delete(k);
          after.erase(k);
        } else {
          const std::string v = RandomValue();
          batch.Put(k, v);
          after[k] = v;
        }
      }
      ASSERT_THAT(db_->Write(wo, &batch), IsOk()) << "seed " << seed_;
      model = std::move(after);
    } else if (op < 85) {
      CheckGet(RandomKey(), model, nullptr);
    } else if (op < 88) {
      CheckIterator(model, nullptr);
    } else if (op < 91) {
      snapshots.push_back({db_->GetSnapshot(), model});
    } else if (op < 95 && !snapshots.empty()) {
      const size_t i = rng_() % snapshots.size();
      CheckGet(RandomKey(), snapshots[i].state, snapshots[i].snapshot);
      if (rng_() % 4 == 0) {
        CheckIterator(snapshots[i].state, snapshots[i].snapshot);
      }
      if (rng_() % 2 == 0) {
        db_->ReleaseSnapshot(snapshots[i].snapshot);
        snapshots.erase(snapshots.begin() + i);
      }
    } else if (op < 96) {
      for (auto& s : snapshots) db_->ReleaseSnapshot(s.snapshot);
      snapshots.clear();
      Open();
      CheckIterator(model, nullptr);
    } else if (op < 97) {
      // A range (sometimes unbounded) pushed down to the deepest level.
      std::optional<std::string> begin, end;
      if (rng_() % 4 != 0) begin = RandomKey();
      if (rng_() % 4 != 0) end = RandomKey();
      if (begin && end && *end < *begin) std::swap(begin, end);
      ASSERT_THAT(db_->CompactRange(begin, end), IsOk()) << "seed " << seed_;
      CheckIterator(model, nullptr);
    } else if (op < 98 && rng_() % 2 == 0) {
      ASSERT_THAT(db_->Flush(), IsOk()) << "seed " << seed_;
    }
    if (HasFatalFailure()) return;
  }
  for (auto& s : snapshots) {
    CheckIterator(s.state, s.snapshot);
    db_->ReleaseSnapshot(s.snapshot);
  }
  // The data outgrew level 1: compaction pushed it deeper.
  int deepest = 0;
  for (int level = 1; level < 7; ++level) {
    auto files =
        db_->GetProperty(absl::StrCat("ferrisdb.num-files-at-level", level));
    ASSERT_THAT(files, IsOk());
    if (*files != "0") deepest = level;
  }
  EXPECT_GE(deepest, 2) << *db_->GetProperty("ferrisdb.stats");
  Open();
  CheckIterator(model, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest,
                         ::testing::Values(1u, 2u, 3u, 20261124u));

}  // namespace
}  // namespace ferrisdb
