// The snapshot thread of the concurrency test (snapshots re-read across
// the compactions it forces) and the compaction thread (CompactRange and
// Flush); see db_concurrency_fixture.h.
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "db_concurrency_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"

namespace ferrisdb::db_concurrency {

bool ConcurrencyTest::ReadSnapshot(const Snapshot* snapshot, Model* state) {
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

bool ConcurrencyTest::CheckSnapshotGets(const Snapshot* snapshot,
                                        const Model& state, std::mt19937& rng) {
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

void ConcurrencyTest::SnapshotHolder() {
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

void ConcurrencyTest::Compactor() {
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

}  // namespace ferrisdb::db_concurrency
