// Tests of leveled compaction through the DB: the shape of the tree, what
// compaction drops and keeps (snapshots, history horizon, deletions at the
// bottom), files pinned by iterators, CompactRange, write stalls, properties
// and approximate sizes.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/table_entries.h"
#include "testutil/test_dir.h"
#include "version/compaction_picker.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::TestDir;

std::string Key(int i) { return absl::StrFormat("key%08d", i); }

// Bytes that zstd cannot shrink, so file sizes follow the data written.
std::string RandomValue(std::mt19937* rng, size_t size) {
  std::string v(size, '\0');
  for (char& c : v) c = static_cast<char>((*rng)());
  return v;
}

class CompactionTest : public ::testing::Test {
 protected:
  CompactionTest() : path_(dir_.Sub("db")) {
    // Tiny levels: L1 32 KiB, L2 128 KiB, L3 512 KiB, ...
    options_.write_buffer_size = 16 << 10;
    options_.target_file_size = 8 << 10;
    options_.level0_file_num_compaction_trigger = 2;
    options_.max_bytes_for_level_base = 32 << 10;
    options_.max_bytes_for_level_multiplier = 4;
    options_.statistics = statistics_;
  }

  void Open() {
    db_.reset();
    auto db = DB::Open(options_, path_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }
  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }

  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> v = db_->Get(ro, key);
    if (absl::IsNotFound(v.status())) return "NOT_FOUND";
    if (!v.ok()) return "ERROR: " + v.status().ToString();
    return *v;
  }

  int NumFilesAtLevel(int level) {
    auto v =
        db_->GetProperty(absl::StrCat("ferrisdb.num-files-at-level", level));
    EXPECT_THAT(v, IsOk());
    int n = -1;
    EXPECT_TRUE(absl::SimpleAtoi(*v, &n));
    return n;
  }
  int TotalFiles() {
    int n = 0;
    for (int level = 0; level < kNumLevels; ++level)
      n += NumFilesAtLevel(level);
    return n;
  }
  uint64_t TableBytes() {
    const std::shared_ptr<const Version> v = impl()->TEST_CurrentVersion();
    uint64_t bytes = 0;
    for (int level = 0; level < kNumLevels; ++level) {
      bytes += v->NumLevelBytes(level);
    }
    return bytes;
  }
  // User key -> sequence number of its newest entry in the tables of level
  // >= 1 (read from the files).
  std::map<std::string, SequenceNumber> TableSequences() {
    std::map<std::string, SequenceNumber> result;
    const std::shared_ptr<const Version> v = impl()->TEST_CurrentVersion();
    for (int level = 1; level < kNumLevels; ++level) {
      for (const auto& f : v->files(level)) {
        auto entries = ::ferrisdb::testing::ReadTableEntries(path_, *f);
        EXPECT_THAT(entries, IsOk());
        if (!entries.ok()) continue;
        for (const auto& [key, value] : *entries) {
          // The newest entry of each key (the first the scan meets).
          result.emplace(std::string(ExtractUserKey(key)),
                         ExtractSequence(key));
        }
      }
    }
    return result;
  }
  int TableFilesOnDisk() {
    auto children = Env::Default()->GetChildren(path_);
    EXPECT_THAT(children, IsOk());
    return static_cast<int>(std::count_if(
        children->begin(), children->end(), [](const std::string& name) {
          return name.size() > 4 && name.substr(name.size() - 4) == ".sst";
        }));
  }

  // Checks every key of model with Get and the whole DB with a scan each
  // way.
  void Verify(const std::map<std::string, std::string>& model) {
    for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v) << k;
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model.end());
      ASSERT_EQ(it->key(), m->first);
      ASSERT_EQ(it->value(), m->second);
    }
    ASSERT_EQ(m, model.end());
    auto r = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      ASSERT_NE(r, model.rend());
      ASSERT_EQ(it->key(), r->first);
    }
    ASSERT_EQ(r, model.rend());
    ASSERT_THAT(it->status(), IsOk());
  }

  TestDir dir_;
  std::string path_;
  std::shared_ptr<Statistics> statistics_ = std::make_shared<Statistics>();
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(CompactionTest, RandomFillGivesAValidLevelShape) {
  Open();
  std::mt19937 rng(1);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 6000; ++i) {
    const std::string k = Key(static_cast<int>(rng() % 4000));
    const std::string v = RandomValue(&rng, 100);
    ASSERT_THAT(db_->Put({}, k, v), IsOk());
    model[k] = v;
  }
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());

  const std::shared_ptr<const Version> version = impl()->TEST_CurrentVersion();
  const CompactionPicker picker(options_);
  EXPECT_LT(version->files(0).size(),
            static_cast<size_t>(options_.level0_file_num_compaction_trigger));
  int deepest = 0;
  for (int level = 1; level < kNumLevels; ++level) {
    const Version::FileList& files = version->files(level);
    if (!files.empty()) deepest = level;
    for (size_t i = 0; i + 1 < files.size(); ++i) {
      // Sorted, and no user key in two files of a level.
      EXPECT_LT(ExtractUserKey(files[i]->largest),
                ExtractUserKey(files[i + 1]->smallest))
          << "level " << level << "\n"
          << version->DebugString();
    }
    if (level < kNumLevels - 1) {
      EXPECT_LT(picker.Score(*version, level), 1.0) << "level " << level;
    }
  }
  EXPECT_GE(deepest, 2) << version->DebugString();
  EXPECT_GT(statistics_->GetTicker(Ticker::kCompactions), 0u);
  EXPECT_EQ(TableFilesOnDisk(), static_cast<int>(version->NumFiles()));
  Verify(model);
  Open();
  Verify(model);
}

TEST_F(CompactionTest, SequentialFillMovesFilesWithoutRewriting) {
  options_.compression = CompressionType::kNone;
  Open();
  std::mt19937 rng(2);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 100)), IsOk());
  }
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  // Level 0 is compacted as a whole; single files that overlap nothing
  // below move down a level unchanged.
  EXPECT_GT(statistics_->GetTicker(Ticker::kTrivialMoves), 0u);
}

TEST_F(CompactionTest, DeletionsDisappearAtTheBottomLevel) {
  Open();
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 100)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_GT(TotalFiles(), 0);
  for (int i = 0; i < 2000; ++i) ASSERT_THAT(db_->Delete({}, Key(i)), IsOk());
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  // Every value and every tombstone is gone.
  EXPECT_EQ(TotalFiles(), 0) << *db_->GetProperty("ferrisdb.sstables");
  EXPECT_EQ(TableFilesOnDisk(), 0);
  EXPECT_EQ(Get(Key(5)), "NOT_FOUND");
  Open();
  EXPECT_EQ(Get(Key(5)), "NOT_FOUND");
}

TEST_F(CompactionTest, DeletionUnderASnapshotSurvivesCompaction) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  ASSERT_THAT(db_->Put({}, "b", "1"), IsOk());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "a", "2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "b"), IsOk());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "a", "3"), IsOk());
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_GT(TotalFiles(), 0);
  EXPECT_EQ(Get("a", s1), "1");
  EXPECT_EQ(Get("b", s1), "1");
  EXPECT_EQ(Get("a", s2), "2");
  EXPECT_EQ(Get("b", s2), "NOT_FOUND");
  EXPECT_EQ(Get("a"), "3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  db_->ReleaseSnapshot(s1);
  // Once s1 is gone, compaction may drop what only it could see, but s2's
  // view must stay.
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_EQ(Get("a", s2), "2");
  EXPECT_EQ(Get("b", s2), "NOT_FOUND");
  db_->ReleaseSnapshot(s2);
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_EQ(Get("a"), "3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

// The largest sequence number of any table at level >= 1.
SequenceNumber LargestTableSequence(const Version& v) {
  SequenceNumber largest = 0;
  for (int level = 1; level < kNumLevels; ++level) {
    for (const auto& f : v.files(level)) {
      largest = std::max(largest, f->largest_sequence);
    }
  }
  return largest;
}

TEST_F(CompactionTest, BottomEntriesVisibleToEveryReadLoseTheirSequence) {
  Open();
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), absl::StrCat("v", i)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  ASSERT_GT(TotalFiles(), 0);
  EXPECT_EQ(NumFilesAtLevel(0), 0);
  // Nothing below them and no snapshot: every entry is written with 0.
  EXPECT_EQ(LargestTableSequence(*impl()->TEST_CurrentVersion()), 0u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Get(Key(i)), absl::StrCat("v", i));

  // A newer value and a deletion still win over the zeroed entries, before
  // and after they meet them in a compaction.
  ASSERT_THAT(db_->Put({}, Key(1), "new"), IsOk());
  ASSERT_THAT(db_->Delete({}, Key(2)), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  EXPECT_EQ(Get(Key(1)), "new");
  EXPECT_EQ(Get(Key(2)), "NOT_FOUND");
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_EQ(Get(Key(1)), "new");
  EXPECT_EQ(Get(Key(2)), "NOT_FOUND");
  EXPECT_EQ(LargestTableSequence(*impl()->TEST_CurrentVersion()), 0u);

  // Under a snapshot a value newer than it keeps its sequence (the snapshot
  // must not see it); the snapshot reads the older one.
  const Snapshot* snapshot = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, Key(3), "after-snapshot"), IsOk());
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_GT(LargestTableSequence(*impl()->TEST_CurrentVersion()), 0u);
  EXPECT_EQ(Get(Key(3), snapshot), "v3");
  EXPECT_EQ(Get(Key(3)), "after-snapshot");
  const std::map<std::string, SequenceNumber> seqs = TableSequences();
  EXPECT_GT(seqs.at(Key(3)), 0u);
  EXPECT_EQ(seqs.at(Key(4)), 0u);
  db_->ReleaseSnapshot(snapshot);
}

TEST_F(CompactionTest, HistoryHorizonKeepsSequencesAfterIt) {
  options_.history_horizon = 51;
  Open();
  for (int i = 0; i < 100; ++i) {  // Key(i) gets sequence i + 1
    ASSERT_THAT(db_->Put({}, Key(i), absl::StrCat("v", i)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  // A read as of 51 or later sees writes 1..51 alike, so those are zeroed;
  // later ones keep their sequences (a read as of 60 must not see 61).
  const std::map<std::string, SequenceNumber> seqs = TableSequences();
  ASSERT_EQ(seqs.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    const SequenceNumber want = i + 1 <= 51 ? 0 : i + 1;
    EXPECT_EQ(seqs.at(Key(i)), want) << Key(i);
  }
}

TEST_F(CompactionTest, HistoryHorizonKeepsOldVersions) {
  options_.compression = CompressionType::kNone;
  constexpr int kKeys = 50, kRounds = 8;
  auto run = [&](uint64_t horizon) -> uint64_t {
    DestroyDB(path_, options_).IgnoreError();
    options_.history_horizon = horizon;
    Open();
    std::mt19937 rng(4);
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < kKeys; ++i) {
        EXPECT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 1024)), IsOk());
      }
      EXPECT_THAT(db_->Flush(), IsOk());
    }
    EXPECT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
    const uint64_t bytes = TableBytes();
    db_.reset();
    return bytes;
  };
  const uint64_t none = run(UINT64_MAX);  // the default: no history
  const uint64_t all = run(0);            // every version since the start
  // Versions at or after the start of round 4 (sequence 4 * kKeys + 1),
  // plus the one each key had then: 5 rounds' worth.
  const uint64_t half = run(4 * kKeys + 1);
  const uint64_t one_round = kKeys * 1024;
  EXPECT_LT(none, 2 * one_round);
  EXPECT_GT(all, 7 * one_round);
  EXPECT_GT(half, 4 * one_round);
  EXPECT_LT(half, 6 * one_round);
}

TEST_F(CompactionTest, IteratorKeepsItsFilesUntilDestroyed) {
  Open();
  std::mt19937 rng(5);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 1500; ++i) {
    const std::string v = RandomValue(&rng, 100);
    ASSERT_THAT(db_->Put({}, Key(i), v), IsOk());
    model[Key(i)] = v;
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  // Rewrite everything: every file the iterator reads is compacted away.
  for (int i = 0; i < 1500; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), "new"), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    ASSERT_NE(m, model.end());
    ASSERT_EQ(it->key(), m->first);
    ASSERT_EQ(it->value(), m->second);
  }
  EXPECT_EQ(m, model.end());
  ASSERT_THAT(it->status(), IsOk());
  EXPECT_GT(TableFilesOnDisk(), TotalFiles());  // the old files are kept
  it.reset();
  // The next deletion pass (after any flush or compaction) removes them.
  ASSERT_THAT(db_->Put({}, "x", "y"), IsOk());
  ASSERT_THAT(db_->Flush(), IsOk());
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  EXPECT_EQ(TableFilesOnDisk(), TotalFiles());
}

TEST_F(CompactionTest, CompactRangeOfPartOfTheKeys) {
  Open();
  std::mt19937 rng(6);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = Key(static_cast<int>(rng() % 3000));
    if (rng() % 4 == 0) {
      ASSERT_THAT(db_->Delete({}, k), IsOk());
      model.erase(k);
    } else {
      const std::string v = RandomValue(&rng, 80);
      ASSERT_THAT(db_->Put({}, k, v), IsOk());
      model[k] = v;
    }
  }
  ASSERT_THAT(db_->CompactRange(Key(1000), std::nullopt), IsOk());
  ASSERT_THAT(db_->CompactRange(std::nullopt, Key(500)), IsOk());
  ASSERT_THAT(db_->CompactRange(Key(700), Key(900)), IsOk());
  Verify(model);
  EXPECT_EQ(NumFilesAtLevel(0), 0);  // CompactRange flushed and compacted
  Open();
  Verify(model);
}

TEST_F(CompactionTest, WritesSlowDownPastTheLevel0SoftLimit) {
  options_.level0_file_num_compaction_trigger = 1;
  options_.level0_slowdown_writes_trigger = 1;
  options_.level0_stop_writes_trigger = 2;
  Open();
  std::mt19937 rng(7);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = Key(static_cast<int>(rng() % 1000));
    const std::string v = RandomValue(&rng, 100);
    ASSERT_THAT(db_->Put({}, k, v), IsOk());
    model[k] = v;
  }
  // With one level-0 file allowed before slowing down and two before
  // stopping, writers outrun compaction at times.
  EXPECT_GT(statistics_->GetTicker(Ticker::kWriteSlowdowns) +
                statistics_->GetTicker(Ticker::kWriteStops),
            0u);
  EXPECT_GT(statistics_->GetTicker(Ticker::kWriteStallMicros), 0u);
  const std::string stats = *db_->GetProperty("ferrisdb.stats");
  EXPECT_NE(stats.find("Write stalls:"), std::string::npos) << stats;
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  Verify(model);
}

TEST_F(CompactionTest, Properties) {
  Open();
  std::mt19937 rng(8);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 100)), IsOk());
  }
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  EXPECT_THAT(db_->GetProperty("ferrisdb.num-files-at-level7"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(db_->GetProperty("ferrisdb.num-files-at-levelx"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(db_->GetProperty("ferrisdb.no-such-property"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto memory = db_->GetProperty("ferrisdb.approximate-memory-usage");
  ASSERT_THAT(memory, IsOk());
  uint64_t bytes = 0;
  ASSERT_TRUE(absl::SimpleAtoi(*memory, &bytes));
  EXPECT_GT(bytes, 0u);
  auto sstables = db_->GetProperty("ferrisdb.sstables");
  ASSERT_THAT(sstables, IsOk());
  const std::shared_ptr<const Version> version = impl()->TEST_CurrentVersion();
  for (int level = 0; level < kNumLevels; ++level) {
    EXPECT_EQ(NumFilesAtLevel(level),
              static_cast<int>(version->files(level).size()));
    for (const auto& f : version->files(level)) {
      EXPECT_NE(sstables->find(absl::StrFormat("%06d.sst", f->number)),
                std::string::npos);
    }
  }
  auto stats = db_->GetProperty("ferrisdb.stats");
  ASSERT_THAT(stats, IsOk());
  EXPECT_NE(stats->find("write amplification"), std::string::npos) << *stats;
  EXPECT_NE(stats->find("  L1 "), std::string::npos) << *stats;
  EXPECT_NE(stats->find("ferrisdb.compaction.micros"), std::string::npos)
      << *stats;
}

TEST_F(CompactionTest, ApproximateSizesFollowTheData) {
  options_.compression = CompressionType::kNone;
  Open();
  std::mt19937 rng(9);
  for (int i = 0; i < 4000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 200)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  const std::string k0 = Key(0), k1000 = Key(1000), k3000 = Key(3000),
                    k4000 = Key(4000), z = "z";
  const std::vector<DB::Range> ranges = {
      {k0, k4000}, {k0, k1000}, {k1000, k3000}, {k4000, z}, {k3000, k1000}};
  auto sizes = db_->GetApproximateSizes(ranges);
  ASSERT_THAT(sizes, IsOk());
  const double total = static_cast<double>(TableBytes());
  EXPECT_NEAR(static_cast<double>((*sizes)[0]), total, total * 0.05);
  EXPECT_NEAR(static_cast<double>((*sizes)[1]), total / 4, total * 0.05);
  EXPECT_NEAR(static_cast<double>((*sizes)[2]), total / 2, total * 0.05);
  EXPECT_LT((*sizes)[3], 8192u);
  EXPECT_EQ((*sizes)[4], 0u);
}

TEST_F(CompactionTest, StatisticsCountTheWork) {
  Open();
  std::mt19937 rng(10);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 100)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  EXPECT_EQ(statistics_->GetTicker(Ticker::kKeysWritten), 2000u);
  EXPECT_GT(statistics_->GetTicker(Ticker::kBytesWritten), 2000u * 100);
  EXPECT_GT(statistics_->GetTicker(Ticker::kWalBytes),
            statistics_->GetTicker(Ticker::kBytesWritten));
  EXPECT_GT(statistics_->GetTicker(Ticker::kFlushes), 0u);
  EXPECT_GT(statistics_->GetTicker(Ticker::kCompactionBytesWritten), 0u);
  EXPECT_EQ(statistics_->GetHistogramData(HistogramType::kWriteMicros).count,
            2000u);
  EXPECT_EQ(statistics_->GetHistogramData(HistogramType::kFlushMicros).count,
            statistics_->GetTicker(Ticker::kFlushes));

  EXPECT_EQ(Get(Key(7)).size(), 100u);
  EXPECT_EQ(Get(Key(7)).size(), 100u);
  EXPECT_EQ(Get("missing"), "NOT_FOUND");
  EXPECT_EQ(statistics_->GetTicker(Ticker::kGets), 3u);
  EXPECT_EQ(statistics_->GetTicker(Ticker::kGetHits), 2u);
  EXPECT_EQ(statistics_->GetTicker(Ticker::kGetMisses), 1u);
  EXPECT_EQ(statistics_->GetTicker(Ticker::kBytesRead), 200u);
  EXPECT_EQ(statistics_->GetHistogramData(HistogramType::kGetMicros).count, 3u);
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->Seek(Key(10));
  it->Next();
  it->Next();
  it->Prev();
  it->SeekToLast();
  EXPECT_EQ(statistics_->GetTicker(Ticker::kIteratorSeeks), 2u);
  EXPECT_EQ(statistics_->GetTicker(Ticker::kIteratorNexts), 2u);
  EXPECT_EQ(statistics_->GetTicker(Ticker::kIteratorPrevs), 1u);
  EXPECT_EQ(statistics_->GetHistogramData(HistogramType::kSeekMicros).count,
            2u);
}

TEST_F(CompactionTest, ReadsWithoutFillCacheAndCompactionsLeaveTheCacheAlone) {
  // Read with system calls: uncompressed blocks of mapped tables never enter
  // the block cache.
  options_.use_mmap_reads = false;
  Open();
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_THAT(db_->Put({}, Key(i), RandomValue(&rng, 100)), IsOk());
  }
  ASSERT_THAT(db_->CompactRange(std::nullopt, std::nullopt), IsOk());
  ASSERT_THAT(impl()->TEST_WaitForCompactions(), IsOk());
  // Flushes and compactions read tables, but insert no data block.
  EXPECT_EQ(db_->GetBlockCacheStatistics().inserts, 0u);

  ReadOptions no_fill;
  no_fill.fill_cache = false;
  std::unique_ptr<Iterator> it = db_->NewIterator(no_fill);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 3000);
  for (int i = 0; i < 3000; i += 10) {
    ASSERT_THAT(db_->Get(no_fill, Key(i)), IsOk());
  }
  EXPECT_EQ(db_->GetBlockCacheStatistics().inserts, 0u);

  ASSERT_THAT(db_->Get({}, Key(5)), IsOk());  // fill_cache defaults to true
  EXPECT_GT(db_->GetBlockCacheStatistics().inserts, 0u);
}

TEST_F(CompactionTest, BadLevelOptionsAreRejected) {
  options_.level0_file_num_compaction_trigger = 8;
  options_.level0_slowdown_writes_trigger = 4;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options_ = Options();
  options_.level0_file_num_compaction_trigger = 0;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options_ = Options();
  options_.max_bytes_for_level_multiplier = 0.5;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options_ = Options();
  options_.target_file_size = 0;
  EXPECT_THAT(DB::Open(options_, path_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ferrisdb
