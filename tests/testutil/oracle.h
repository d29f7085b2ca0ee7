// Oracle: the model every in-process crash, error and recovery harness checks
// a DB against. It records each write (a Put, a Delete or a batch of several)
// in sequence order, whether it was acknowledged and whether it was synced,
// the points that made earlier writes durable (a synced write, a Flush), and
// the snapshots taken; Verify then reads the whole DB and checks the
// reliability promises of docs/reliability.md:
//
//   (1) every synced, acknowledged write is visible unless later overwritten
//       (a write with WriteOptions::sync that returned OK makes it and every
//       write before it durable; so does a Flush or CompactRange that
//       returned OK, which puts every earlier write in a synced table named
//       by a synced manifest);
//   (2) the state equals the model applied to a prefix of the sequence
//       order, with no holes, and that prefix includes everything in (1);
//   (3) no deleted key comes back, in Get, in a forward or backward scan or
//       in a snapshot (a special case of (2), reported by name);
//   (4) a WriteBatch is applied whole or not at all (the prefix is counted
//       in whole writes);
//   (5) no wrong value: every read returns the model's value at that prefix,
//       a NotFound consistent with it, or (only if allowed) an error.
//
// Typical use with a power loss (FaultInjectionEnv):
//
//   Oracle oracle;
//   FERRISDB_ASSERT_OK(oracle.Put(db.get(), {.sync = true}, "k", "v"));
//   ... more writes, oracle.Flush(db.get()) ...
//   (power loss, reopen)
//   absl::StatusOr<Oracle::Recovered> r = oracle.Verify(db.get());
//   FERRISDB_ASSERT_OK(r);           // the message says what was wrong
//   oracle.Resolve(*r);              // later writes were lost: forget them
//
// Crash points that are not "now": the oracle stamps each event with a
// logical clock, by default a counter of its own. A harness that enumerates
// crash states of a recorded run passes a clock (the number of file-system
// operations recorded so far) and Verify(db, {.crash_mark = k}) then judges a
// crash after the first k operations: a write counts as acknowledged (and a
// Flush as done) only if it returned at a mark <= k, and only writes that
// began at a mark < k may be in the state at all.
//
// On a DB that did not crash, every acknowledged write must be visible: call
// MarkDurable() before Verify to demand it (otherwise unsynced writes may be
// missing from the end, as after a power loss).
//
// Writes whose outcome is unknown: a write that failed (an I/O error can
// strike after its record reached the log, so a reopen may replay it) or
// that had not returned at the crash mark is *undetermined*. Verify lets
// each undetermined write be in the state or not, at its place in the
// sequence order, with at most VerifyOptions::max_undetermined_applied of
// them in it (one by default: after a failed write the DB refuses writes,
// so at most one failed write can reach the log; the kill -9 child, whose
// threads each may have one write in flight, allows one per thread). The
// last write below the crash needs no such choice when it need not be
// durable: the prefix covers it.
// After recovery, Resolve(recovered) fixes each undetermined write as
// applied or never applied, and forgets what the crash lost.
//
// REQUIRES: writes are recorded in the order the DB sequences them (one
// writer thread, or writers serialized by the caller), or at least every
// write that may be lost at a crash is: writes to disjoint keys commute, so
// writers that own disjoint keys may be recorded in any order if every
// acknowledged write is durable (MarkDurable) and the undetermined ones come
// last (the kill -9 verifier). Nothing writes to the DB behind the oracle's
// back. Not thread-safe.
#ifndef FERRISDB_TESTS_TESTUTIL_ORACLE_H_
#define FERRISDB_TESTS_TESTUTIL_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"

namespace ferrisdb::testing {

class Oracle {
 public:
  // One update of a write: value nullopt is a Delete.
  struct Update {
    std::string key;
    std::optional<std::string> value;
  };

  // A write in sequence order.
  struct WriteRecord {
    std::vector<Update> updates;  // applied in order, all or nothing
    bool sync = false;            // WriteOptions::sync
    uint64_t begin_mark = 0;      // clock when the call began
    // Clock when the call returned; unset while in flight.
    std::optional<uint64_t> end_mark;
    absl::Status status;  // what the call returned (OK if acknowledged)
    // Resolve found this failed or unfinished write applied: it is part of
    // the history from then on.
    bool applied_after_all = false;
  };

  // A logical clock: a non-decreasing count of events (see the file comment).
  using Clock = std::function<uint64_t()>;

  // clock: nullptr means a counter the oracle advances by one per event.
  explicit Oracle(Clock clock = nullptr);

  // ---- Recording ----

  // Performs the write on db and records it (begin mark before the call,
  // end mark and status after). Returns what the DB returned.
  absl::Status Put(DB* db, const WriteOptions& options, std::string_view key,
                   std::string_view value);
  absl::Status Delete(DB* db, const WriteOptions& options,
                      std::string_view key);
  // REQUIRES: updates is not empty.
  absl::Status Write(DB* db, const WriteOptions& options,
                     const std::vector<Update>& updates);
  // db->Flush() / db->CompactRange(all); if OK, a durability point for every
  // write recorded before the call.
  absl::Status Flush(DB* db);
  absl::Status CompactRange(DB* db);

  // For harnesses that call the DB themselves: BeginWrite before the call
  // (returns the write's index in sequence order), EndWrite after it.
  size_t BeginWrite(std::vector<Update> updates, bool sync);
  void EndWrite(size_t index, const absl::Status& status);
  // Everything recorded before this call is durable from now on (use it for
  // a call other than Flush that promises as much).
  void MarkDurable();
  // Verify also reads key, though no write may have touched it (a key that
  // must stay absent).
  void AddKey(std::string key) { keys_.insert(std::move(key)); }

  // Takes a snapshot of db, remembering the writes it sees (every write
  // recorded so far). Verify checks it exactly. Release it with
  // ReleaseSnapshot. REQUIRES: no write in flight.
  const Snapshot* GetSnapshot(DB* db);
  void ReleaseSnapshot(DB* db, const Snapshot* snapshot);

  // ---- Checking ----

  struct VerifyOptions {
    // Judge a crash after this clock mark (see the file comment); the
    // default judges "now".
    uint64_t crash_mark = UINT64_MAX;
    // Accept a read that fails with an error other than NotFound (promise
    // (5) allows it); otherwise it is a violation.
    bool allow_read_errors = false;
    // At most this many undetermined writes (see the file comment) may be
    // in the state, besides the last write below the crash.
    size_t max_undetermined_applied = 1;
    // The DB's last sequence number, for a harness that can read it: every
    // update takes one, so the state must hold exactly this many updates
    // (a recovered sequence that ends inside a batch, or counts a write
    // that is not there, is a violation). REQUIRES: the oracle recorded
    // every write since the DB was created.
    std::optional<uint64_t> last_sequence = std::nullopt;
  };

  // What Verify found.
  struct Recovered {
    // The largest prefix (number of writes, in sequence order) the state
    // equals; writes at and after it are absent.
    size_t prefix = 0;
    // The smallest prefix the state equals (several prefixes can give the
    // same state, e.g. a rewrite of the same value).
    size_t min_prefix = 0;
    // Reads that failed (only with allow_read_errors), and the first error.
    size_t read_errors = 0;
    absl::Status first_read_error;
    // Undetermined writes below `prefix` that are in the state, and those
    // that are not (ascending write indices).
    std::vector<size_t> undetermined_applied;
    std::vector<size_t> undetermined_absent;
    // Updates the state holds (the writes of the prefix, less the absent
    // undetermined ones).
    uint64_t updates = 0;
  };

  // Reads the whole of db (Get on every key ever written, a forward and a
  // backward scan, the same through every live snapshot) and checks
  // (1)-(5). On a violation: Internal, with a message naming the key, what
  // was read, what the closest admissible prefix expects and the writes
  // involved.
  absl::StatusOr<Recovered> Verify(DB* db, const VerifyOptions& options) const;
  absl::StatusOr<Recovered> Verify(DB* db) const { return Verify(db, {}); }

  // After a crash (or a reopen) and a Verify that returned `recovered`: the
  // writes from recovered.prefix on were lost, and so were the undetermined
  // writes it found absent; forget them, and the snapshots (they belonged
  // to the DB object before the crash). The undetermined writes it found
  // applied are applied from now on. Durability points are kept, clamped to
  // what remains. REQUIRES: recovered came from this oracle's Verify, with
  // no write recorded since.
  void Resolve(const Recovered& recovered);

  // ---- Inspection ----

  const std::vector<WriteRecord>& writes() const { return writes_; }
  // Every key any write ever touched, sorted.
  const std::set<std::string>& keys() const { return keys_; }
  // The state after the first `prefix` writes, less the writes in `absent`.
  std::map<std::string, std::string> StateAt(
      size_t prefix, const std::set<size_t>& absent = {}) const;
  // The smallest prefix a crash at crash_mark must keep (promise (1)), and
  // the largest it may keep (writes begun before it).
  size_t MinDurablePrefix(uint64_t crash_mark) const;
  size_t MaxPossiblePrefix(uint64_t crash_mark) const;
  // One line per write: "#3 batch{put a=.., del b} sync acked@12".
  std::string DescribeWrites(size_t first, size_t last) const;

 private:
  // A point that made writes [0, writes_before) durable: a synced write that
  // returned OK, a Flush/CompactRange that returned OK, or MarkDurable.
  struct DurablePoint {
    size_t writes_before;
    uint64_t mark;
  };
  struct SnapshotRecord {
    const Snapshot* snapshot;
    size_t prefix;
  };

  // One choice of which undetermined writes are absent, with the number of
  // keys whose read differs from the model at each prefix 0..hi.
  struct Candidate {
    std::set<size_t> absent;
    std::vector<size_t> mismatches_at;
    std::vector<uint64_t> updates_at;
  };

  uint64_t Now();
  absl::Status DurableCall(absl::Status status, size_t writes_before);
  // Whether write i's outcome is unknown at crash_mark.
  bool Undetermined(size_t i, uint64_t crash_mark) const;
  // The candidates Verify considers: every way of leaving out all but at
  // most max_applied of the undetermined writes below hi (below hi - 1 if
  // the prefix may end before the last one, lo < hi).
  // The undetermined writes below this index are choices; the last write
  // below hi needs none if the prefix may end before it.
  static size_t ChoiceEnd(size_t lo, size_t hi) {
    return lo < hi ? hi - 1 : hi;
  }
  absl::StatusOr<std::vector<std::set<size_t>>> AbsentChoices(
      uint64_t crash_mark, size_t lo, size_t hi, size_t max_applied) const;
  // Mismatch and update counts for one choice of absent writes.
  Candidate Evaluate(
      const std::map<std::string, std::optional<std::string>>& observed,
      std::set<size_t> absent) const;
  // Why reading `got` for key is wrong when the closest admissible state is
  // `prefix` less the writes in `absent` (" -- (3) deleted key came back").
  std::string Classify(const std::string& key,
                       const std::optional<std::string>& got, size_t prefix,
                       size_t lo, size_t hi,
                       const std::set<size_t>& absent) const;
  // The body of a violation where no prefix in [lo, hi] of any candidate
  // matches the reads (observed: key -> value or NotFound, for the keys
  // read without error).
  std::string ExplainMismatch(
      const std::map<std::string, std::optional<std::string>>& observed,
      const std::vector<Candidate>& candidates, size_t lo, size_t hi,
      const std::optional<uint64_t>& last_sequence) const;

  Clock clock_;
  uint64_t counter_ = 0;
  std::vector<WriteRecord> writes_;
  std::set<std::string> keys_;
  std::vector<DurablePoint> durable_points_;
  std::vector<SnapshotRecord> snapshots_;
};

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_ORACLE_H_
