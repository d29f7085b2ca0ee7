// The fixture of the concurrency test (db_concurrency_test.cc, whose first
// comment describes the test): the key and value scheme, the check of what
// one consistent read shows, the failure collector, and ConcurrencyTest,
// whose member functions are the test's threads and final checks:
//   Writer, Reader (Walk, RandomKey)  db_concurrency_writers_readers.cc
//   SnapshotHolder, Compactor         db_concurrency_snapshots.cc
//   VerifyFinalState                  db_concurrency_final_state.cc
//   SetUp, the test itself            db_concurrency_test.cc
// Keys, values and CheckConsistentState: db_concurrency_values.cc.
#ifndef FERRISDB_TESTS_DB_DB_CONCURRENCY_FIXTURE_H_
#define FERRISDB_TESTS_DB_DB_CONCURRENCY_FIXTURE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/test_dir.h"

namespace ferrisdb::db_concurrency {

using Model = std::map<std::string, std::string>;

inline constexpr int kWriters = 3;
inline constexpr int kOwnKeys = 150;  // per writer
inline constexpr int kSharedKeys = 40;
inline constexpr int kGroupKeys = 4;  // per writer, always written together
inline constexpr int kCompactRangeCalls = 40;

// The keys: each writer's own keys, the keys all writers share, each
// writer's progress key and its group of keys written together.
std::string OwnKey(int writer, int i);
std::string SharedKey(int j);
std::string ProgressKey(int writer);
std::string GroupKey(int writer, int g);

// Values: "<writer>:<counter>:<padding>", padding = counter % 100 + 20
// copies of 'a' + writer. Well-formed means exactly that.
std::string MakeValue(int writer, uint64_t counter);

struct ParsedValue {
  int writer;
  uint64_t counter;
};

// The writer and counter of a well-formed value; nullopt if v is not one.
std::optional<ParsedValue> ParseValue(std::string_view v);

// Collects failures from every thread; the threads stop at the first.
// Thread-safe.
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
std::string CheckConsistentState(const Model& state);

// A set of options the test runs with.
struct Variant {
  const char* name;
  int ops_per_writer;
  void (*apply)(Options*);
};

// Prints the variant's name (gtest uses it for GetParam() in test lists).
void PrintTo(const Variant& v, std::ostream* os);

class ConcurrencyTest : public ::testing::TestWithParam<Variant> {
 protected:
  // Opens the DB with the variant's options (db_concurrency_test.cc).
  void SetUp() override;

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

  // Writer w's thread: ops_per_writer random writes (puts, deletes and
  // batches of its own keys; shared keys with its progress key and, every
  // other time, its group), recorded in writer_models_[w]: its own keys once
  // the write is acknowledged, the shared, progress and group counters just
  // before it is made. Stops at the first failure anywhere.
  void Writer(int w);

  // ---- Readers ----

  // Per reader: the last counter seen per (key, writer); reads "as of now"
  // may never see it go down.
  using Seen = std::map<std::pair<std::string, int>, uint64_t>;

  // Records the counter p a read showed for key; a failure if it is older
  // than one seen before for the same (key, writer).
  void CheckNotBackwards(Seen* seen, const std::string& key,
                         const ParsedValue& p, const char* what);

  // A key of any kind: shared, group or own.
  std::string RandomKey(std::mt19937& rng);

  // Reads up to `limit` entries from the iterator's position in one
  // direction, checking the order; stores them in *state.
  bool Walk(Iterator* it, bool forward, int limit, Model* state,
            const char* what);

  // Reader r's thread: Gets, full scans, seeks with short walks, bounded
  // iterators and changes of direction until the writers are done.
  void Reader(int r);

  // ---- Snapshots ----

  // Everything visible through snapshot: a full scan, checked against Gets.
  bool ReadSnapshot(const Snapshot* snapshot, Model* state);

  // Gets of random keys through snapshot agree with state, its scan.
  bool CheckSnapshotGets(const Snapshot* snapshot, const Model& state,
                         std::mt19937& rng);

  // The snapshot thread: takes snapshots, forces compactions, and checks
  // that every held snapshot still reads the same.
  void SnapshotHolder();

  // ---- Flushes and manual compactions ----

  // The compaction thread: CompactRange on random ranges, and Flush.
  void Compactor();

  // ---- Final checks ----

  // The DB (scan and Gets) equals the writers' models.
  void VerifyFinalState(const char* when);

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

}  // namespace ferrisdb::db_concurrency

#endif  // FERRISDB_TESTS_DB_DB_CONCURRENCY_FIXTURE_H_
