#include "testutil/oracle.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ferrisdb/iterator.h"

namespace ferrisdb::testing {
namespace {

// Values can be long or binary: show at most 24 escaped bytes.
std::string Show(std::string_view bytes) {
  constexpr size_t kMax = 24;
  std::string out = absl::CHexEscape(
      absl::string_view(bytes.data(), std::min(bytes.size(), kMax)));
  if (bytes.size() > kMax) absl::StrAppend(&out, "...(", bytes.size(), " B)");
  return absl::StrCat("\"", out, "\"");
}

std::string Show(const std::string& bytes) {
  return Show(std::string_view(bytes));
}

std::string Show(const std::optional<std::string>& value) {
  return value.has_value() ? Show(std::string_view(*value)) : "NotFound";
}

// What one read of a key returned: a value, NotFound (nullopt) or an error.
struct KeyRead {
  absl::Status error;  // not OK: the read failed (not NotFound)
  std::optional<std::string> value;
};

// Everything read from the DB through one ReadOptions.
struct DbReading {
  std::map<std::string, KeyRead> gets;
  std::vector<std::pair<std::string, std::string>> forward;
  absl::Status forward_status;
  std::vector<std::pair<std::string, std::string>> backward;
  absl::Status backward_status;
};

// Scans the whole DB in one direction. A scan longer than limit entries
// (more keys than were ever written) is cut short: it is wrong anyway and
// could be endless.
void Scan(DB* db, const ReadOptions& options, bool forward, size_t limit,
          std::vector<std::pair<std::string, std::string>>* out,
          absl::Status* status) {
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  if (forward) {
    it->SeekToFirst();
  } else {
    it->SeekToLast();
  }
  while (it->Valid() && out->size() <= limit) {
    out->emplace_back(std::string(it->key()), std::string(it->value()));
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  *status = it->status();
}

DbReading ReadEverything(DB* db, const std::set<std::string>& keys,
                         const Snapshot* snapshot) {
  ReadOptions options;
  options.snapshot = snapshot;
  DbReading r;
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> got = db->Get(options, key);
    KeyRead& read = r.gets[key];
    if (got.ok()) {
      read.value = *std::move(got);
    } else if (!absl::IsNotFound(got.status())) {
      read.error = got.status();
    }
  }
  Scan(db, options, /*forward=*/true, keys.size(), &r.forward,
       &r.forward_status);
  Scan(db, options, /*forward=*/false, keys.size(), &r.backward,
       &r.backward_status);
  return r;
}

// Checks that the scans agree with each other and with the Gets, and that
// they hold only keys the oracle knows. Returns "" or what is wrong.
std::string CheckReadsAgree(const DbReading& r, bool allow_read_errors) {
  std::string problems;
  for (const auto& [key, read] : r.gets) {
    if (!read.error.ok() && !allow_read_errors) {
      absl::StrAppend(&problems, "  Get(", Show(key), ") failed: ",
                      read.error.ToString(), "\n");
    }
  }
  for (const auto* dir : {&r.forward_status, &r.backward_status}) {
    if (!dir->ok() && !allow_read_errors) {
      absl::StrAppend(&problems, "  ",
                      dir == &r.forward_status ? "forward" : "backward",
                      " scan failed: ", dir->ToString(), "\n");
    }
  }
  auto check_scan = [&](const std::vector<std::pair<std::string, std::string>>&
                            scan,
                        bool forward, const absl::Status& status) {
    const char* name = forward ? "forward" : "backward";
    for (size_t i = 0; i < scan.size(); ++i) {
      const auto& [key, value] = scan[i];
      if (i > 0 && (forward ? scan[i - 1].first >= key
                            : scan[i - 1].first <= key)) {
        absl::StrAppend(&problems, "  ", name, " scan out of order at ",
                        Show(key), " after ", Show(scan[i - 1].first), "\n");
      }
      auto get = r.gets.find(key);
      if (get == r.gets.end()) {
        absl::StrAppend(&problems, "  ", name, " scan shows key ", Show(key),
                        " (value ", Show(value),
                        "), which no write ever touched\n");
      } else if (get->second.error.ok() && get->second.value != value) {
        absl::StrAppend(&problems, "  ", name, " scan shows ", Show(key), "=",
                        Show(value), " but Get returns ",
                        Show(get->second.value), "\n");
      }
    }
    if (!status.ok()) return;  // a failed scan may stop early
    // Every key Get finds must be in a complete scan.
    std::set<std::string> scanned;
    for (const auto& entry : scan) scanned.insert(entry.first);
    for (const auto& [key, read] : r.gets) {
      if (read.error.ok() && read.value.has_value() && !scanned.count(key)) {
        absl::StrAppend(&problems, "  ", name, " scan misses ", Show(key),
                        " (Get returns ", Show(read.value), ")\n");
      }
    }
  };
  check_scan(r.forward, true, r.forward_status);
  check_scan(r.backward, false, r.backward_status);
  return problems;
}

}  // namespace

Oracle::Oracle(Clock clock) : clock_(std::move(clock)) {}

uint64_t Oracle::Now() { return clock_ ? clock_() : ++counter_; }

size_t Oracle::BeginWrite(std::vector<Update> updates, bool sync) {
  WriteRecord w;
  for (const Update& u : updates) keys_.insert(u.key);
  w.updates = std::move(updates);
  w.sync = sync;
  w.begin_mark = Now();
  writes_.push_back(std::move(w));
  return writes_.size() - 1;
}

void Oracle::EndWrite(size_t index, const absl::Status& status) {
  WriteRecord& w = writes_.at(index);
  w.end_mark = Now();
  w.status = status;
  if (status.ok() && w.sync) {
    durable_points_.push_back({index + 1, *w.end_mark});
  }
}

void Oracle::MarkDurable() {
  durable_points_.push_back({writes_.size(), Now()});
}

absl::Status Oracle::Put(DB* db, const WriteOptions& options,
                         std::string_view key, std::string_view value) {
  const size_t i =
      BeginWrite({{std::string(key), std::string(value)}}, options.sync);
  absl::Status s = db->Put(options, key, value);
  EndWrite(i, s);
  return s;
}

absl::Status Oracle::Delete(DB* db, const WriteOptions& options,
                            std::string_view key) {
  const size_t i = BeginWrite({{std::string(key), std::nullopt}}, options.sync);
  absl::Status s = db->Delete(options, key);
  EndWrite(i, s);
  return s;
}

absl::Status Oracle::Write(DB* db, const WriteOptions& options,
                           const std::vector<Update>& updates) {
  WriteBatch batch;
  for (const Update& u : updates) {
    if (u.value.has_value()) {
      batch.Put(u.key, *u.value);
    } else {
      batch.Delete(u.key);
    }
  }
  const size_t i = BeginWrite(updates, options.sync);
  absl::Status s = db->Write(options, &batch);
  EndWrite(i, s);
  return s;
}

absl::Status Oracle::DurableCall(absl::Status status, size_t writes_before) {
  const uint64_t mark = Now();
  if (status.ok()) durable_points_.push_back({writes_before, mark});
  return status;
}

absl::Status Oracle::Flush(DB* db) {
  const size_t before = writes_.size();
  return DurableCall(db->Flush(), before);
}

absl::Status Oracle::CompactRange(DB* db) {
  const size_t before = writes_.size();
  return DurableCall(db->CompactRange(std::nullopt, std::nullopt), before);
}

const Snapshot* Oracle::GetSnapshot(DB* db) {
  const Snapshot* s = db->GetSnapshot();
  snapshots_.push_back({s, writes_.size()});
  return s;
}

void Oracle::ReleaseSnapshot(DB* db, const Snapshot* snapshot) {
  std::erase_if(snapshots_, [snapshot](const SnapshotRecord& r) {
    return r.snapshot == snapshot;
  });
  db->ReleaseSnapshot(snapshot);
}

void Oracle::Truncate(size_t prefix) {
  writes_.resize(std::min(prefix, writes_.size()));
  for (DurablePoint& p : durable_points_) {
    p.writes_before = std::min(p.writes_before, prefix);
  }
  snapshots_.clear();
}

std::map<std::string, std::string> Oracle::StateAt(size_t prefix) const {
  std::map<std::string, std::string> state;
  for (size_t i = 0; i < prefix && i < writes_.size(); ++i) {
    for (const Update& u : writes_[i].updates) {
      if (u.value.has_value()) {
        state[u.key] = *u.value;
      } else {
        state.erase(u.key);
      }
    }
  }
  return state;
}

size_t Oracle::MinDurablePrefix(uint64_t crash_mark) const {
  size_t min_prefix = 0;
  for (const DurablePoint& p : durable_points_) {
    if (p.mark <= crash_mark) min_prefix = std::max(min_prefix, p.writes_before);
  }
  return min_prefix;
}

size_t Oracle::MaxPossiblePrefix(uint64_t crash_mark) const {
  size_t n = 0;
  while (n < writes_.size() && writes_[n].begin_mark < crash_mark) ++n;
  return n;
}

std::string Oracle::DescribeWrites(size_t first, size_t last) const {
  std::string out;
  for (size_t i = first; i < last && i < writes_.size(); ++i) {
    const WriteRecord& w = writes_[i];
    absl::StrAppend(&out, "  #", i, " ");
    if (w.updates.size() > 1) absl::StrAppend(&out, "batch{");
    for (size_t j = 0; j < w.updates.size(); ++j) {
      const Update& u = w.updates[j];
      if (j > 0) absl::StrAppend(&out, ", ");
      if (u.value.has_value()) {
        absl::StrAppend(&out, "put ", Show(u.key), "=", Show(*u.value));
      } else {
        absl::StrAppend(&out, "delete ", Show(u.key));
      }
    }
    if (w.updates.size() > 1) absl::StrAppend(&out, "}");
    absl::StrAppend(&out, w.sync ? " sync" : " nosync", " began@",
                    w.begin_mark);
    if (!w.end_mark.has_value()) {
      absl::StrAppend(&out, " in flight");
    } else if (w.status.ok()) {
      absl::StrAppend(&out, " acked@", *w.end_mark);
    } else {
      absl::StrAppend(&out, " failed@", *w.end_mark, " (", w.status.ToString(),
                      ")");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

absl::StatusOr<Oracle::Recovered> Oracle::Verify(
    DB* db, const VerifyOptions& options) const {
  const size_t lo = MinDurablePrefix(options.crash_mark);
  const size_t hi = MaxPossiblePrefix(options.crash_mark);
  auto violation = [&](const std::string& what) {
    return absl::InternalError(absl::StrFormat(
        "oracle violation (crash mark %s): %s\nadmissible prefixes [%d, %d] "
        "of %d writes (the first %d are synced or flushed and must survive; "
        "only %d began before the crash)\nwrites:\n%s",
        options.crash_mark == UINT64_MAX ? "now"
                                         : absl::StrCat(options.crash_mark),
        what, lo, hi, writes_.size(), lo, hi,
        DescribeWrites(0, writes_.size())));
  };
  if (lo > hi) {
    return violation("inconsistent record: a durable point lies after the "
                     "crash (clock not monotonic?)");
  }

  const DbReading reading = ReadEverything(db, keys_, nullptr);
  if (std::string problems = CheckReadsAgree(reading, options.allow_read_errors);
      !problems.empty()) {
    return violation("reads disagree or fail:\n" + problems);
  }

  // For every prefix p, count the keys whose Get differs from the model at
  // p (keys whose read failed are not compared). Updating only the keys a
  // write touches keeps this linear in the number of updates.
  std::map<std::string, std::optional<std::string>> model;  // absent: NotFound
  auto matches = [&](const std::string& key) {
    const KeyRead& read = reading.gets.at(key);
    if (!read.error.ok()) return true;
    auto m = model.find(key);
    const std::optional<std::string> expected =
        m == model.end() ? std::nullopt : m->second;
    return read.value == expected;
  };
  size_t mismatches = 0;
  for (const std::string& key : keys_) mismatches += matches(key) ? 0 : 1;
  std::vector<size_t> mismatches_at{mismatches};
  for (const WriteRecord& w : writes_) {
    std::set<std::string> touched;
    for (const Update& u : w.updates) touched.insert(u.key);
    for (const std::string& key : touched) mismatches -= matches(key) ? 0 : 1;
    for (const Update& u : w.updates) model[u.key] = u.value;
    for (const std::string& key : touched) mismatches += matches(key) ? 0 : 1;
    mismatches_at.push_back(mismatches);
  }

  Recovered result;
  bool found = false;
  for (size_t p = lo; p <= hi; ++p) {
    if (mismatches_at[p] != 0) continue;
    if (!found) result.min_prefix = p;
    result.prefix = p;
    found = true;
  }
  for (const auto& [key, read] : reading.gets) {
    if (!read.error.ok()) ++result.read_errors;
  }
  if (!found) {
    std::map<std::string, std::optional<std::string>> observed;
    for (const auto& [key, read] : reading.gets) {
      if (read.error.ok()) observed[key] = read.value;
    }
    return violation(ExplainMismatch(observed, mismatches_at, lo, hi));
  }

  // Snapshots must show exactly the writes recorded before them.
  for (const SnapshotRecord& snap : snapshots_) {
    const DbReading r = ReadEverything(db, keys_, snap.snapshot);
    std::string problems = CheckReadsAgree(r, options.allow_read_errors);
    const std::map<std::string, std::string> expected = StateAt(snap.prefix);
    for (const auto& [key, read] : r.gets) {
      if (!read.error.ok()) continue;
      auto e = expected.find(key);
      const std::optional<std::string> want =
          e == expected.end() ? std::nullopt
                              : std::optional<std::string>(e->second);
      if (read.value != want) {
        absl::StrAppend(&problems, "  ", Show(key), ": read ",
                        Show(read.value), ", expected ", Show(want),
                        Classify(key, read.value, snap.prefix, lo, hi), "\n");
      }
    }
    if (!problems.empty()) {
      return violation(absl::StrFormat(
          "snapshot at sequence %d (taken after %d writes) is wrong:\n%s",
          snap.snapshot->sequence_number(), snap.prefix, problems));
    }
  }
  return result;
}

std::string Oracle::Classify(const std::string& key,
                             const std::optional<std::string>& got,
                             size_t prefix, size_t lo, size_t hi) const {
  // Which writes set key to what was read (a NotFound matches deletes).
  std::vector<size_t> sources;
  std::optional<size_t> last_before;  // last write < prefix touching key
  for (size_t i = 0; i < writes_.size(); ++i) {
    for (const Update& u : writes_[i].updates) {
      if (u.key != key) continue;
      if (u.value == got) sources.push_back(i);
      if (i < prefix) last_before = i;
    }
  }
  if (got.has_value() && sources.empty()) {
    return " -- (5) wrong value: no write ever stored it";
  }
  if (got.has_value() && last_before.has_value()) {
    for (const Update& u : writes_[*last_before].updates) {
      if (u.key == key && !u.value.has_value() &&
          std::any_of(sources.begin(), sources.end(),
                      [&](size_t s) { return s < *last_before; })) {
        return absl::StrFormat(
            " -- (3) deleted key came back: write #%d deleted it", *last_before);
      }
    }
  }
  if (!sources.empty() &&
      std::all_of(sources.begin(), sources.end(),
                  [hi](size_t s) { return s >= hi; })) {
    return absl::StrFormat(" -- value of write #%d, which began after the "
                           "crash",
                           sources.front());
  }
  if (last_before.has_value() && *last_before < lo) {
    return absl::StrFormat(" -- (1) synced write #%d lost or rolled back",
                           *last_before);
  }
  std::string from = "never written";
  if (!sources.empty()) {
    from = "from write";
    for (size_t s : sources) absl::StrAppend(&from, " #", s);
  }
  return absl::StrFormat(" -- (2) not the state of any prefix (%s)", from);
}

std::string Oracle::ExplainMismatch(
    const std::map<std::string, std::optional<std::string>>& observed,
    const std::vector<size_t>& mismatches_at, size_t lo, size_t hi) const {
  // The closest admissible prefix: fewest mismatching keys, latest on a tie.
  size_t best = lo;
  for (size_t p = lo; p <= hi; ++p) {
    if (mismatches_at[p] <= mismatches_at[best]) best = p;
  }
  std::string out;
  std::vector<size_t> elsewhere;
  for (size_t p = 0; p < mismatches_at.size(); ++p) {
    if (mismatches_at[p] == 0) elsewhere.push_back(p);
  }
  if (!elsewhere.empty()) {
    absl::StrAppend(&out, "the state is that of prefix(es)");
    for (size_t p : elsewhere) absl::StrAppend(&out, " ", p);
    absl::StrAppend(&out, elsewhere.back() < lo
                              ? " -- (1) synced or flushed writes were lost"
                              : " -- more than the writes begun before the "
                                "crash",
                    "\n");
  } else {
    absl::StrAppend(&out, "the state is that of no prefix -- (2) a hole, "
                          "(3) a resurrected key, (4) a torn batch or (5) a "
                          "wrong value\n");
  }
  absl::StrAppend(&out, "closest admissible prefix ", best, " differs at ",
                  mismatches_at[best], " key(s):\n");
  const std::map<std::string, std::string> expected = StateAt(best);
  std::set<std::string> differing;
  for (const auto& [key, got] : observed) {
    auto e = expected.find(key);
    const std::optional<std::string> want =
        e == expected.end() ? std::nullopt
                            : std::optional<std::string>(e->second);
    if (got == want) continue;
    differing.insert(key);
    absl::StrAppend(&out, "  ", Show(key), ": read ", Show(got), ", expected ",
                    Show(want), Classify(key, got, best, lo, hi), "\n");
  }
  // (4): every difference lies in the next write, which shows in part.
  if (best < writes_.size()) {
    const WriteRecord& next = writes_[best];
    std::set<std::string> next_keys;
    for (const Update& u : next.updates) next_keys.insert(u.key);
    const bool inside = std::includes(next_keys.begin(), next_keys.end(),
                                      differing.begin(), differing.end());
    if (next.updates.size() > 1 && inside &&
        differing.size() < next_keys.size()) {
      absl::StrAppend(&out, "  -- (4) batch #", best,
                      " appears applied in part\n");
    }
  }
  return out;
}

}  // namespace ferrisdb::testing
