// Concurrency test: writers, readers, a snapshot holder and a thread forcing
// flushes and compactions, all at once on a DB with a tiny write buffer and
// tiny levels, so that compactions run all the time underneath the reads.
//
//   - Writers own disjoint key sets (puts, deletes, batches), so the final
//     state of those keys is known exactly. They also write shared keys
//     whose values carry (writer, counter), in a batch that also sets the
//     writer's progress key and, every other time, a group of keys that must
//     always be seen together.
//   - Readers Get and iterate in both directions (Seek, SeekForPrev, Next,
//     Prev, changes of direction, bounded iterators) and check what every
//     read can check alone: keys strictly ordered, values well formed,
//     batch groups complete, no shared value newer than its writer's
//     progress, and per (key, writer) counters that never go backwards from
//     one read to the next.
//   - The snapshot thread reads through snapshots (a full scan and Gets),
//     makes compactions happen, and repeats the reads: the answer must be
//     the same every time.
//   - The compaction thread calls CompactRange on random ranges and Flush.
//
// Everything is bounded by operation counts. At the end the DB must equal
// the writers' models, before and after a reopen, and its stats must show
// compactions. It runs with three option sets (tiny levels; constant write
// stalls with all history kept; one open table and a tiny block cache).
// Reproduce with FERRISDB_TEST_SEED=<seed>.
//
// The fixture and the threads: db_concurrency_fixture.h.
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "db_concurrency_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb::db_concurrency {

using ::ferrisdb::testing::IsOk;

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

void ConcurrencyTest::SetUp() {
  seed_ = ::ferrisdb::testing::TestSeed(77031);
  stats_ = std::make_shared<Statistics>();
  options_.statistics = stats_;
  GetParam().apply(&options_);
  auto db = DB::Open(options_, dir_.Sub("db"));
  ASSERT_THAT(db, IsOk());
  db_ = *std::move(db);
}

namespace {

// Compactions all the time; uncompressed; small caches.
void TinyLevels(Options* options) {
  options->write_buffer_size = 8 << 10;
  options->level0_file_num_compaction_trigger = 2;
  options->level0_slowdown_writes_trigger = 6;
  options->level0_stop_writes_trigger = 10;
  options->max_bytes_for_level_base = 16 << 10;
  options->max_bytes_for_level_multiplier = 2;
  options->target_file_size = 4 << 10;
  options->compression = CompressionType::kNone;
  options->block_size = 1024;
  options->block_cache_capacity = 64 << 10;  // evictions too
  options->max_open_files = 20;              // table cache churn
}

// Writers slowed down and stopped all the time (level 0 and pending bytes),
// every version kept (history_horizon 0), index and filter blocks in the
// cache, compression on.
void StallsAndHistory(Options* options) {
  TinyLevels(options);
  options->compression = CompressionType::kZstd;
  options->level0_slowdown_writes_trigger = 2;
  options->level0_stop_writes_trigger = 3;
  options->soft_pending_compaction_bytes_limit = 1;
  options->hard_pending_compaction_bytes_limit = 48 << 10;
  options->history_horizon = 0;
  options->cache_index_and_filter_blocks = true;
}

// One open table and a 2 KiB block cache, so tables are opened, evicted
// and reopened under the readers all the time; tiny blocks, no filters.
void CacheChurn(Options* options) {
  TinyLevels(options);
  options->max_open_files = 1;
  options->block_cache_capacity = 2 << 10;
  options->block_size = 128;
  options->block_restart_interval = 1;
  options->bloom_bits_per_key = 0;
}

TEST_P(ConcurrencyTest, WritersReadersSnapshotsAndCompactions) {
  std::vector<std::thread> writers, others;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([this, w] { Writer(w); });
  for (int r = 0; r < 2; ++r) others.emplace_back([this, r] { Reader(r); });
  others.emplace_back([this] { SnapshotHolder(); });
  others.emplace_back([this] { Compactor(); });
  for (std::thread& t : writers) t.join();
  writers_done_.store(true);
  for (std::thread& t : others) t.join();
  ASSERT_FALSE(failures_.any()) << Context() << "\n" << failures_.Text();
  EXPECT_GT(reader_rounds_.load(), 0);
  EXPECT_GT(snapshot_rereads_.load(), 0);

  FERRISDB_ASSERT_OK(impl()->TEST_WaitForCompactions()) << Context();
  VerifyFinalState("after the run");
  if (HasFatalFailure()) return;

  // Compactions happened, by the stats text (levels >= 1 have a count or
  // moves) and by the statistics.
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string text,
                                db_->GetProperty("ferrisdb.stats"));
  int compactions = 0;
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (const std::string& line : lines) {
    // "  L<n> files size score count moves ..."
    const std::vector<std::string> cols =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cols.size() < 6 || cols[0].size() != 2 || cols[0][0] != 'L' ||
        cols[0][1] == '0') {
      continue;
    }
    int count = 0, moves = 0;
    ASSERT_TRUE(absl::SimpleAtoi(cols[4], &count)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(cols[5], &moves)) << line;
    compactions += count + moves;
  }
  EXPECT_GT(compactions, 10) << text;
  EXPECT_GT(stats_->GetTicker(Ticker::kCompactions), 10u) << text;
  EXPECT_GT(stats_->GetTicker(Ticker::kFlushes), 10u) << text;

  db_.reset();
  auto db = DB::Open(options_, dir_.Sub("db"));
  ASSERT_THAT(db, IsOk()) << Context();
  db_ = *std::move(db);
  VerifyFinalState("after reopening");
  FERRISDB_ASSERT_OK(db_->CompactRange(std::nullopt, std::nullopt));
  VerifyFinalState("after reopening and a full CompactRange");
}

INSTANTIATE_TEST_SUITE_P(
    Options, ConcurrencyTest,
    ::testing::Values(Variant{"tiny_levels", 1500, TinyLevels},
                      Variant{"stalls_and_history", 1000, StallsAndHistory},
                      Variant{"cache_churn", 1000, CacheChurn}),
    [](const ::testing::TestParamInfo<Variant>& param_info) {
      return std::string(param_info.param.name);
    });

}  // namespace
}  // namespace ferrisdb::db_concurrency
