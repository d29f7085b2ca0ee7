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
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using Model = std::map<std::string, std::string>;

constexpr int kWriters = 3;
constexpr int kOwnKeys = 150;  // per writer
constexpr int kSharedKeys = 40;
constexpr int kGroupKeys = 4;  // per writer, always written together
constexpr int kCompactRangeCalls = 40;

std::string OwnKey(int writer, int i) {
  return absl::StrFormat("own-w%d-%04d", writer, i);
}
std::string SharedKey(int j) { return absl::StrFormat("shared-%03d", j); }
std::string ProgressKey(int writer) {
  return absl::StrFormat("progress-w%d", writer);
}
std::string GroupKey(int writer, int g) {
  return absl::StrFormat("group-w%d-%d", writer, g);
}

// Values: "<writer>:<counter>:<padding>", padding = counter % 100 + 20
// copies of 'a' + writer. Well-formed means exactly that.
std::string MakeValue(int writer, uint64_t counter) {
  return absl::StrFormat("%d:%d:%s", writer, counter,
                         std::string(counter % 100 + 20, 'a' + writer));
}

struct ParsedValue {
  int writer;
  uint64_t counter;
};

std::optional<ParsedValue> ParseValue(std::string_view v) {
  std::vector<std::string> parts = absl::StrSplit(std::string(v), ':');
  if (parts.size() != 3) return std::nullopt;
  ParsedValue p;
  if (!absl::SimpleAtoi(parts[0], &p.writer) ||
      !absl::SimpleAtoi(parts[1], &p.counter) || p.writer < 0 ||
      p.writer >= kWriters) {
    return std::nullopt;
  }
  if (parts[2] != std::string(p.counter % 100 + 20, 'a' + p.writer)) {
    return std::nullopt;
  }
  return p;
}

// Collects failures from every thread; the threads stop at the first.
class Failures {
 public:
  void Add(std::string message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (messages_.size() < 20) messages_.push_back(std::move(message));
    failed_.store(true, std::memory_order_relaxed);
  }
  bool any() const { return failed_.load(std::memory_order_relaxed); }
  std::string Text() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const std::string& m : messages_) out += m + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
  std::atomic<bool> failed_{false};
};

// What one consistent read (an iterator, or Gets through one snapshot)
// shows must hang together: checks it and returns "" or a problem.
std::string CheckConsistentState(const Model& state) {
  std::map<int, uint64_t> progress;
  for (int w = 0; w < kWriters; ++w) {
    auto it = state.find(ProgressKey(w));
    if (it == state.end()) continue;
    std::optional<ParsedValue> p = ParseValue(it->second);
    if (!p || p->writer != w)
      return "malformed progress value of writer " + std::to_string(w);
    progress[w] = p->counter;
  }
  for (const auto& [key, value] : state) {
    std::optional<ParsedValue> p = ParseValue(value);
    if (!p) return "malformed value at " + key + ": " + value.substr(0, 30);
    if (key.rfind("shared-", 0) == 0) {
      // The write of a shared key also set its writer's progress key.
      auto pr = progress.find(p->writer);
      if (pr == progress.end() || p->counter > pr->second) {
        return absl::StrFormat(
            "%s holds writer %d's counter %d, newer than its progress %s", key,
            p->writer, p->counter,
            pr == progress.end() ? "(absent)" : std::to_string(pr->second));
      }
    }
  }
  for (int w = 0; w < kWriters; ++w) {
    std::optional<std::string> first;
    int present = 0;
    for (int g = 0; g < kGroupKeys; ++g) {
      auto it = state.find(GroupKey(w, g));
      if (it == state.end()) continue;
      ++present;
      if (first && *first != it->second) {
        return absl::StrFormat("group of writer %d seen in part: %s vs %s", w,
                               first->substr(0, 20), it->second.substr(0, 20));
      }
      first = it->second;
    }
    if (present != 0 && present != kGroupKeys) {
      return absl::StrFormat("group of writer %d has %d of %d keys", w, present,
                             kGroupKeys);
    }
  }
  return "";
}

// A set of options the test runs with.
struct Variant {
  const char* name;
  int ops_per_writer;
  void (*apply)(Options*);
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

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

class ConcurrencyTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    seed_ = ::ferrisdb::testing::TestSeed(77031);
    stats_ = std::make_shared<Statistics>();
    options_.statistics = stats_;
    GetParam().apply(&options_);
    auto db = DB::Open(options_, dir_.Sub("db"));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }

  std::string Context() const {
    return absl::StrFormat("seed %d variant %s", seed_, GetParam().name);
  }

  // ---- Writers ----
  struct WriterModel {
    Model own;
    std::map<std::string, uint64_t> last_shared;  // key -> last counter
    std::optional<uint64_t> progress;
    std::optional<uint64_t> group;
  };

  void Writer(int w) {
    std::mt19937 rng(seed_ * 31 + w);
    WriterModel& m = writer_models_[w];
    uint64_t counter = 0;
    for (int op = 0; op < GetParam().ops_per_writer && !failures_.any(); ++op) {
      ++counter;
      WriteBatch batch;
      Model own_after = m.own;
      const int kind = rng() % 100;
      if (kind < 45) {
        const std::string key = OwnKey(w, rng() % kOwnKeys);
        batch.Put(key, MakeValue(w, counter));
        own_after[key] = MakeValue(w, counter);
      } else if (kind < 60) {
        const std::string key = OwnKey(w, rng() % kOwnKeys);
        batch.Delete(key);
        own_after.erase(key);
      } else if (kind < 75) {
        const int n = 2 + rng() % 6;
        for (int i = 0; i < n; ++i) {
          const std::string key = OwnKey(w, rng() % kOwnKeys);
          if (rng() % 3 == 0) {
            batch.Delete(key);
            own_after.erase(key);
          } else {
            batch.Put(key, MakeValue(w, counter));
            own_after[key] = MakeValue(w, counter);
          }
        }
      } else {
        const std::string key = SharedKey(rng() % kSharedKeys);
        batch.Put(key, MakeValue(w, counter));
        batch.Put(ProgressKey(w), MakeValue(w, counter));
        m.last_shared[key] = counter;
        m.progress = counter;
        if (rng() % 2 == 0) {
          for (int g = 0; g < kGroupKeys; ++g) {
            batch.Put(GroupKey(w, g), MakeValue(w, counter));
          }
          m.group = counter;
        }
      }
      WriteOptions wo;
      wo.sync = rng() % 50 == 0;
      absl::Status s = db_->Write(wo, &batch);
      if (!s.ok()) {
        failures_.Add(
            absl::StrFormat("writer %d op %d: %s", w, op, s.ToString()));
        return;
      }
      m.own = std::move(own_after);
    }
  }

  // ---- Readers ----

  // Per reader: the last counter seen per (key, writer); reads "as of now"
  // may never see it go down.
  using Seen = std::map<std::pair<std::string, int>, uint64_t>;

  void CheckNotBackwards(Seen* seen, const std::string& key,
                         const ParsedValue& p, const char* what) {
    uint64_t& last = (*seen)[{key, p.writer}];
    if (p.counter < last) {
      failures_.Add(
          absl::StrFormat("%s: %s went back from writer %d's counter %d to %d",
                          what, key, p.writer, last, p.counter));
    }
    last = std::max(last, p.counter);
  }

  std::string RandomKey(std::mt19937& rng) {
    switch (rng() % 4) {
      case 0:
        return SharedKey(rng() % kSharedKeys);
      case 1:
        return GroupKey(rng() % kWriters, rng() % kGroupKeys);
      default:
        return OwnKey(rng() % kWriters, rng() % kOwnKeys);
    }
  }

  // Reads up to `limit` entries from the iterator's position in one
  // direction, checking the order; stores them in *state.
  bool Walk(Iterator* it, bool forward, int limit, Model* state,
            const char* what) {
    std::optional<std::string> prev;
    for (int n = 0; it->Valid() && n < limit; ++n) {
      std::string key(it->key());
      if (prev && (forward ? key <= *prev : key >= *prev)) {
        failures_.Add(absl::StrFormat("%s: %s scan out of order: %s after %s",
                                      what, forward ? "forward" : "backward",
                                      key, *prev));
        return false;
      }
      state->emplace(key, std::string(it->value()));
      prev = std::move(key);
      forward ? it->Next() : it->Prev();
    }
    if (!it->status().ok()) {
      failures_.Add(std::string(what) + ": " + it->status().ToString());
      return false;
    }
    return true;
  }

  void Reader(int r) {
    std::mt19937 rng(seed_ * 17 + 1000 + r);
    Seen seen;
    for (int round = 0; !writers_done_.load() && !failures_.any(); ++round) {
      const int kind = rng() % 10;
      if (kind < 4) {
        // Gets.
        for (int i = 0; i < 20; ++i) {
          const std::string key = RandomKey(rng);
          absl::StatusOr<std::string> got = db_->Get({}, key);
          if (absl::IsNotFound(got.status())) continue;
          if (!got.ok()) {
            failures_.Add("Get " + key + ": " + got.status().ToString());
            return;
          }
          std::optional<ParsedValue> p = ParseValue(*got);
          if (!p) {
            failures_.Add("Get " + key + ": malformed " + got->substr(0, 30));
            return;
          }
          CheckNotBackwards(&seen, key, *p, "Get");
        }
        continue;
      }
      std::unique_ptr<Iterator> it = db_->NewIterator({});
      Model state;
      if (kind < 6) {
        // Full scan, forward or backward: one consistent state.
        const bool forward = rng() % 2 == 0;
        forward ? it->SeekToFirst() : it->SeekToLast();
        if (!Walk(it.get(), forward, 1 << 30, &state, "full scan")) return;
        const std::string problem = CheckConsistentState(state);
        if (!problem.empty()) {
          failures_.Add("full scan: " + problem);
          return;
        }
      } else if (kind < 8) {
        // Seek / SeekForPrev and a short walk.
        const std::string target = RandomKey(rng);
        const bool forward = rng() % 2 == 0;
        forward ? it->Seek(target) : it->SeekForPrev(target);
        if (it->Valid() &&
            (forward ? it->key() < target : it->key() > target)) {
          failures_.Add(absl::StrFormat("%s(%s) landed on %s",
                                        forward ? "Seek" : "SeekForPrev",
                                        target, std::string(it->key())));
          return;
        }
        if (!Walk(it.get(), forward, 30, &state, "short walk")) return;
        if (rng() % 2 == 0) {
          // The same through a bounded iterator: only keys in
          // [lower, upper), the same values as far as both saw.
          std::string lower = RandomKey(rng), upper = RandomKey(rng);
          if (upper < lower) std::swap(lower, upper);
          ReadOptions ro;
          ro.iterate_lower_bound = lower;
          ro.iterate_upper_bound = upper;
          std::unique_ptr<Iterator> bounded = db_->NewIterator(ro);
          Model in_bounds;
          forward ? bounded->SeekToFirst() : bounded->SeekToLast();
          if (!Walk(bounded.get(), forward, 1 << 30, &in_bounds,
                    "bounded scan")) {
            return;
          }
          for (const auto& [key, value] : in_bounds) {
            if (key < lower || key >= upper) {
              failures_.Add(absl::StrFormat("bounded scan [%s, %s) showed %s",
                                            lower, upper, key));
              return;
            }
            state.emplace(key, value);
          }
        }
      } else {
        // Change direction: Next then Prev comes back to the same key.
        it->Seek(RandomKey(rng));
        for (int step = 0; step < 20 && it->Valid(); ++step) {
          const std::string here(it->key());
          const std::string value(it->value());
          state.emplace(here, value);
          const bool forward = rng() % 2 == 0;
          forward ? it->Next() : it->Prev();
          if (!it->Valid()) break;
          const std::string there(it->key());
          if (forward ? there <= here : there >= here) {
            failures_.Add(
                absl::StrFormat("direction change: %s then %s", here, there));
            return;
          }
          forward ? it->Prev() : it->Next();
          if (!it->Valid() || it->key() != here || it->value() != value) {
            failures_.Add(absl::StrFormat(
                "%s from %s to %s and back lands on %s",
                forward ? "Next/Prev" : "Prev/Next", here, there,
                it->Valid() ? std::string(it->key()) : "<invalid>"));
            return;
          }
          forward ? it->Next() : it->Prev();
        }
        if (!it->status().ok()) {
          failures_.Add("direction change: " + it->status().ToString());
          return;
        }
      }
      for (const auto& [key, value] : state) {
        std::optional<ParsedValue> p = ParseValue(value);
        if (!p) {
          failures_.Add("iterator: malformed value at " + key);
          return;
        }
        CheckNotBackwards(&seen, key, *p, "iterator");
      }
      reader_rounds_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // ---- Snapshots ----

  // Everything visible through snapshot: a full scan, checked against Gets.
  bool ReadSnapshot(const Snapshot* snapshot, Model* state) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    it->SeekToFirst();
    if (!Walk(it.get(), true, 1 << 30, state, "snapshot scan")) return false;
    // Backward scan through the same snapshot shows the same.
    Model backward;
    it->SeekToLast();
    if (!Walk(it.get(), false, 1 << 30, &backward, "snapshot scan")) {
      return false;
    }
    if (backward != *state) {
      failures_.Add("snapshot: backward scan differs from forward scan");
      return false;
    }
    return true;
  }

  bool CheckSnapshotGets(const Snapshot* snapshot, const Model& state,
                         std::mt19937& rng) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    for (int i = 0; i < 30; ++i) {
      const std::string key = RandomKey(rng);
      absl::StatusOr<std::string> got = db_->Get(ro, key);
      auto e = state.find(key);
      const bool ok = e == state.end() ? absl::IsNotFound(got.status())
                                       : got.ok() && *got == e->second;
      if (!ok) {
        failures_.Add(absl::StrFormat(
            "snapshot at %d: Get(%s) = %s, its scan showed %s",
            snapshot->sequence_number(), key,
            got.ok() ? got->substr(0, 20) : got.status().ToString(),
            e == state.end() ? "<absent>" : e->second.substr(0, 20)));
        return false;
      }
    }
    return true;
  }

  void SnapshotHolder() {
    std::mt19937 rng(seed_ * 13 + 5);
    struct Held {
      const Snapshot* snapshot;
      Model state;
    };
    std::vector<Held> held;
    for (int round = 0; !writers_done_.load() && !failures_.any(); ++round) {
      Held h{db_->GetSnapshot(), {}};
      if (!ReadSnapshot(h.snapshot, &h.state)) break;
      const std::string problem = CheckConsistentState(h.state);
      if (!problem.empty()) {
        failures_.Add("snapshot: " + problem);
        break;
      }
      held.push_back(std::move(h));
      if (round % 3 == 0) {
        // Make sure a compaction runs while the snapshots are held.
        absl::Status s = db_->CompactRange(std::nullopt, std::nullopt);
        if (!s.ok()) {
          failures_.Add("snapshot thread CompactRange: " + s.ToString());
          break;
        }
      }
      // Every held snapshot still reads the same.
      for (const Held& old : held) {
        Model again;
        if (!ReadSnapshot(old.snapshot, &again)) break;
        if (again != old.state) {
          failures_.Add(absl::StrFormat(
              "snapshot at %d changed: %d keys first, %d now",
              old.snapshot->sequence_number(), old.state.size(), again.size()));
          break;
        }
        if (!CheckSnapshotGets(old.snapshot, old.state, rng)) break;
        snapshot_rereads_.fetch_add(1, std::memory_order_relaxed);
      }
      if (held.size() > 3 || (held.size() > 1 && rng() % 2 == 0)) {
        const size_t victim = rng() % held.size();
        db_->ReleaseSnapshot(held[victim].snapshot);
        held.erase(held.begin() + victim);
      }
    }
    for (const Held& h : held) db_->ReleaseSnapshot(h.snapshot);
  }

  // ---- Flushes and manual compactions ----

  void Compactor() {
    std::mt19937 rng(seed_ * 7 + 3);
    for (int i = 0;
         i < kCompactRangeCalls && !writers_done_.load() && !failures_.any();
         ++i) {
      absl::Status s;
      if (i % 4 == 3) {
        s = db_->Flush();
      } else {
        std::string a = RandomKey(rng), b = RandomKey(rng);
        if (b < a) std::swap(a, b);
        std::optional<std::string_view> begin = a, end = b;
        if (rng() % 5 == 0) begin = std::nullopt;
        if (rng() % 5 == 0) end = std::nullopt;
        s = db_->CompactRange(begin, end);
      }
      if (!s.ok()) {
        failures_.Add("compactor: " + s.ToString());
        return;
      }
    }
  }

  // ---- Final checks ----

  void VerifyFinalState(const char* when) {
    Model actual;
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    it->SeekToFirst();
    ASSERT_TRUE(Walk(it.get(), true, 1 << 30, &actual, when))
        << failures_.Text();
    it.reset();
    ASSERT_EQ(CheckConsistentState(actual), "") << when;
    Model expected;
    for (int w = 0; w < kWriters; ++w) {
      const WriterModel& m = writer_models_[w];
      expected.insert(m.own.begin(), m.own.end());
      if (m.progress) expected[ProgressKey(w)] = MakeValue(w, *m.progress);
      if (m.group) {
        for (int g = 0; g < kGroupKeys; ++g) {
          expected[GroupKey(w, g)] = MakeValue(w, *m.group);
        }
      }
    }
    // A shared key ends with the last value some writer gave it: the last
    // one that writer wrote there.
    for (int j = 0; j < kSharedKeys; ++j) {
      const std::string key = SharedKey(j);
      auto a = actual.find(key);
      bool written = false;
      for (const WriterModel& m : writer_models_) {
        written = written || m.last_shared.count(key) > 0;
      }
      if (a == actual.end()) {
        EXPECT_FALSE(written) << when << ": " << key << " lost";
        continue;
      }
      std::optional<ParsedValue> p = ParseValue(a->second);
      ASSERT_TRUE(p.has_value()) << when << ": " << key;
      auto last = writer_models_[p->writer].last_shared.find(key);
      ASSERT_NE(last, writer_models_[p->writer].last_shared.end())
          << when << ": " << key;
      EXPECT_EQ(p->counter, last->second)
          << when << ": " << key << " holds an overwritten value of writer "
          << p->writer;
      expected[key] = a->second;
    }
    EXPECT_EQ(actual.size(), expected.size()) << when;
    int shown = 0;
    for (const auto& [key, value] : expected) {
      auto a = actual.find(key);
      if (a == actual.end() || a->second != value) {
        if (shown++ < 10) {
          ADD_FAILURE() << when << ": " << key << " is "
                        << (a == actual.end() ? "<absent>"
                                              : a->second.substr(0, 20))
                        << ", expected " << value.substr(0, 20);
        }
      }
    }
    for (const auto& [key, value] : actual) {
      if (expected.count(key) == 0 && shown++ < 10) {
        ADD_FAILURE() << when << ": " << key << " should be absent";
      }
    }
    // Get agrees for every key, deleted ones included.
    for (int w = 0; w < kWriters; ++w) {
      for (int i = 0; i < kOwnKeys; ++i) {
        const std::string key = OwnKey(w, i);
        absl::StatusOr<std::string> got = db_->Get({}, key);
        auto e = expected.find(key);
        if (e == expected.end()) {
          EXPECT_TRUE(absl::IsNotFound(got.status()))
              << when << ": deleted " << key << " is back";
        } else {
          EXPECT_TRUE(got.ok() && *got == e->second) << when << ": " << key;
        }
      }
    }
  }

  uint32_t seed_ = 0;
  ::ferrisdb::testing::TestDir dir_;
  std::shared_ptr<Statistics> stats_;
  Options options_;
  std::unique_ptr<DB> db_;
  Failures failures_;
  WriterModel writer_models_[kWriters];
  std::atomic<bool> writers_done_{false};
  std::atomic<int> reader_rounds_{0};
  std::atomic<int> snapshot_rereads_{0};
};

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
}  // namespace ferrisdb
