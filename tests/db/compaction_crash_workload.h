// The workload of the compaction crash test (compaction_crash_test.cc):
// seeded writes with a tiny write buffer and tiny levels, so that it
// flushes often, compacts level 0 into level 1, compacts deeper levels,
// moves files trivially and runs CompactRange; and the runner that records
// each write and durability point in the shared oracle.
#ifndef FERRISDB_TESTS_DB_COMPACTION_CRASH_WORKLOAD_H_
#define FERRISDB_TESTS_DB_COMPACTION_CRASH_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "memtable/internal_key.h"
#include "testutil/oracle.h"

namespace ferrisdb::compaction_crash {

using Update = ::ferrisdb::testing::Oracle::Update;

struct Step {
  enum class Kind { kWrite, kFlush, kCompactRange };
  Kind kind = Kind::kWrite;
  std::vector<Update> updates;            // kWrite
  bool sync = false;                      // kWrite
  std::optional<std::string> begin, end;  // kCompactRange
};

// Tiny everything, so a few hundred writes reach level 3.
Options WorkloadOptions();

// Every key the workloads may touch (Get checks them, deleted or not).
std::vector<std::string> AllKeys();

// Appends n random writes (one in five a batch of 2-6 updates, one in eight
// synced) of keys k000..k119, delete_pct percent of them deletes, with
// values tagged `tag`.
void RandomWrites(std::mt19937& rng, int n, const char* tag, int delete_pct,
                  std::vector<Step>* steps);

// Ascending fresh keys (compactions into empty ranges become trivial moves),
// then random overwrites and deletes, a partial and a full CompactRange, an
// explicit Flush, and more writes after them.
std::vector<Step> MakeWorkload(uint32_t seed);

// Runs steps on db, recording them in oracle, waiting for background work
// after each, until the end or the first failure. Returns the first error
// (OK if none).
absl::Status RunSteps(DB* db, const std::vector<Step>& steps,
                      ::ferrisdb::testing::Oracle* oracle);

// The DB's last sequence number (DBImpl's).
SequenceNumber LastSequence(DB* db);

}  // namespace ferrisdb::compaction_crash

#endif  // FERRISDB_TESTS_DB_COMPACTION_CRASH_WORKLOAD_H_
