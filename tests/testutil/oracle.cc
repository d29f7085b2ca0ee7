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
      absl::StrAppend(&problems, "  Get(", Show(key),
                      ") failed: ", read.error.ToString(), "\n");
    }
  }
  for (const auto* dir : {&r.forward_status, &r.backward_status}) {
    if (!dir->ok() && !allow_read_errors) {
      absl::StrAppend(&problems, "  ",
                      dir == &r.forward_status ? "forward" : "backward",
                      " scan failed: ", dir->ToString(), "\n");
    }
  }
  auto check_scan =
      [&](const std::vector<std::pair<std::string, std::string>>& scan,
          bool forward, const absl::Status& status) {
        const char* name = forward ? "forward" : "backward";
        for (size_t i = 0; i < scan.size(); ++i) {
          const auto& [key, value] = scan[i];
          if (i > 0 &&
              (forward ? scan[i - 1].first >= key : scan[i - 1].first <= key)) {
            absl::StrAppend(&problems, "  ", name, " scan out of order at ",
                            Show(key), " after ", Show(scan[i - 1].first),
                            "\n");
          }
          auto get = r.gets.find(key);
          if (get == r.gets.end()) {
            absl::StrAppend(&problems, "  ", name, " scan shows key ",
                            Show(key), " (value ", Show(value),
                            "), which no write ever touched\n");
          } else if (get->second.error.ok() && get->second.value != value) {
            absl::StrAppend(&problems, "  ", name, " scan shows ", Show(key),
                            "=", Show(value), " but Get returns ",
                            Show(get->second.value), "\n");
          }
        }
        if (!status.ok()) return;  // a failed scan may stop early
        // Every key Get finds must be in a complete scan.
        std::set<std::string> scanned;
        for (const auto& entry : scan) scanned.insert(entry.first);
        for (const auto& [key, read] : r.gets) {
          if (read.error.ok() && read.value.has_value() &&
              !scanned.count(key)) {
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

void Oracle::Resolve(const Recovered& recovered) {
  const std::set<size_t> absent(recovered.undetermined_absent.begin(),
                                recovered.undetermined_absent.end());
  const std::set<size_t> applied(recovered.undetermined_applied.begin(),
                                 recovered.undetermined_applied.end());
  const size_t prefix = std::min(recovered.prefix, writes_.size());
  std::vector<WriteRecord> kept;
  // kept_before[i]: how many of writes [0, i) remain.
  std::vector<size_t> kept_before(writes_.size() + 1, 0);
  for (size_t i = 0; i < writes_.size(); ++i) {
    if (i < prefix && !absent.contains(i)) {
      kept.push_back(std::move(writes_[i]));
      if (applied.contains(i)) kept.back().applied_after_all = true;
    }
    kept_before[i + 1] = kept.size();
  }
  for (DurablePoint& p : durable_points_) {
    p.writes_before = kept_before[std::min(p.writes_before, writes_.size())];
  }
  writes_ = std::move(kept);
  snapshots_.clear();
}

std::map<std::string, std::string> Oracle::StateAt(
    size_t prefix, const std::set<size_t>& absent) const {
  std::map<std::string, std::string> state;
  for (size_t i = 0; i < prefix && i < writes_.size(); ++i) {
    if (absent.contains(i)) continue;
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

bool Oracle::Undetermined(size_t i, uint64_t crash_mark) const {
  const WriteRecord& w = writes_[i];
  if (w.applied_after_all) return false;
  const bool acknowledged =
      w.end_mark.has_value() && *w.end_mark <= crash_mark && w.status.ok();
  return !acknowledged;
}

absl::StatusOr<std::vector<std::set<size_t>>> Oracle::AbsentChoices(
    uint64_t crash_mark, size_t lo, size_t hi, size_t max_applied) const {
  const size_t end = ChoiceEnd(lo, hi);
  std::vector<size_t> undetermined;
  for (size_t i = 0; i < end; ++i) {
    if (Undetermined(i, crash_mark)) undetermined.push_back(i);
  }
  // Every subset of at most max_applied of them is applied, the rest absent;
  // fewest applied first.
  constexpr size_t kMaxChoices = 4096;
  std::vector<std::set<size_t>> choices;
  std::vector<size_t> applied;
  std::function<bool(size_t, size_t)> choose = [&](size_t from,
                                                   size_t left) -> bool {
    if (left == 0) {
      std::set<size_t> absent(undetermined.begin(), undetermined.end());
      for (size_t a : applied) absent.erase(a);
      choices.push_back(std::move(absent));
      return choices.size() <= kMaxChoices;
    }
    for (size_t j = from; j < undetermined.size(); ++j) {
      applied.push_back(undetermined[j]);
      const bool ok = choose(j + 1, left - 1);
      applied.pop_back();
      if (!ok) return false;
    }
    return true;
  };
  for (size_t n = 0; n <= std::min(max_applied, undetermined.size()); ++n) {
    if (!choose(0, n)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "oracle: %d undetermined writes, up to %d of them applied, are "
          "more than %d choices to check",
          undetermined.size(), max_applied, kMaxChoices));
    }
  }
  return choices;
}

Oracle::Candidate Oracle::Evaluate(
    const std::map<std::string, std::optional<std::string>>& observed,
    std::set<size_t> absent) const {
  // For every prefix p, count the keys whose read differs from the model at
  // p (keys whose read failed are not in observed, so never differ).
  // Updating only the keys a write touches keeps this linear in the number
  // of updates.
  Candidate c;
  c.absent = std::move(absent);
  std::map<std::string, std::optional<std::string>> model;  // absent: NotFound
  auto differs = [&](const std::string& key) -> size_t {
    auto o = observed.find(key);
    if (o == observed.end()) return 0;
    auto m = model.find(key);
    const std::optional<std::string> expected =
        m == model.end() ? std::nullopt : m->second;
    return o->second == expected ? 0 : 1;
  };
  size_t mismatches = 0;
  for (const auto& [key, value] : observed) mismatches += differs(key);
  uint64_t updates = 0;
  c.mismatches_at.push_back(mismatches);
  c.updates_at.push_back(updates);
  for (size_t i = 0; i < writes_.size(); ++i) {
    if (!c.absent.contains(i)) {
      const WriteRecord& w = writes_[i];
      std::set<std::string> touched;
      for (const Update& u : w.updates) touched.insert(u.key);
      for (const std::string& key : touched) mismatches -= differs(key);
      for (const Update& u : w.updates) model[u.key] = u.value;
      for (const std::string& key : touched) mismatches += differs(key);
      updates += w.updates.size();
    }
    c.mismatches_at.push_back(mismatches);
    c.updates_at.push_back(updates);
  }
  return c;
}

size_t Oracle::MinDurablePrefix(uint64_t crash_mark) const {
  size_t min_prefix = 0;
  for (const DurablePoint& p : durable_points_) {
    if (p.mark <= crash_mark)
      min_prefix = std::max(min_prefix, p.writes_before);
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
  // A long history is shown by its last writes only.
  constexpr size_t kMaxWritesShown = 200;
  const size_t first_shown =
      writes_.size() > kMaxWritesShown ? writes_.size() - kMaxWritesShown : 0;
  auto violation = [&](const std::string& what) {
    return absl::InternalError(absl::StrFormat(
        "oracle violation (crash mark %s): %s\nadmissible prefixes [%d, %d] "
        "of %d writes (the first %d are synced or flushed and must survive; "
        "only %d began before the crash)\nwrites%s:\n%s",
        options.crash_mark == UINT64_MAX ? "now"
                                         : absl::StrCat(options.crash_mark),
        what, lo, hi, writes_.size(), lo, hi,
        first_shown == 0 ? "" : absl::StrFormat(" from #%d", first_shown),
        DescribeWrites(first_shown, writes_.size())));
  };
  if (lo > hi) {
    return violation(
        "inconsistent record: a durable point lies after the "
        "crash (clock not monotonic?)");
  }
  absl::StatusOr<std::vector<std::set<size_t>>> choices = AbsentChoices(
      options.crash_mark, lo, hi, options.max_undetermined_applied);
  if (!choices.ok()) return choices.status();

  const DbReading reading = ReadEverything(db, keys_, nullptr);
  if (std::string problems =
          CheckReadsAgree(reading, options.allow_read_errors);
      !problems.empty()) {
    return violation("reads disagree or fail:\n" + problems);
  }
  std::map<std::string, std::optional<std::string>> observed;
  Recovered result;
  for (const auto& [key, read] : reading.gets) {
    if (read.error.ok()) {
      observed[key] = read.value;
    } else {
      ++result.read_errors;
      if (result.first_read_error.ok()) result.first_read_error = read.error;
    }
  }
  for (const absl::Status* scan :
       {&reading.forward_status, &reading.backward_status}) {
    if (!scan->ok() && result.first_read_error.ok()) {
      result.first_read_error = *scan;
    }
  }

  std::vector<Candidate> candidates;
  const Candidate* chosen = nullptr;
  bool found = false;
  for (std::set<size_t>& absent : *choices) {
    candidates.push_back(Evaluate(observed, std::move(absent)));
  }
  for (const Candidate& c : candidates) {
    // Every undetermined write this candidate applies must lie below p.
    size_t first_p = lo;
    for (size_t i = 0; i < ChoiceEnd(lo, hi); ++i) {
      if (Undetermined(i, options.crash_mark) && !c.absent.contains(i)) {
        first_p = std::max(first_p, i + 1);
      }
    }
    for (size_t p = first_p; p <= hi; ++p) {
      if (c.mismatches_at[p] != 0) continue;
      if (options.last_sequence.has_value() &&
          c.updates_at[p] != *options.last_sequence) {
        continue;
      }
      if (!found || p < result.min_prefix) result.min_prefix = p;
      if (!found || p > result.prefix) {
        result.prefix = p;
        chosen = &c;
      }
      found = true;
    }
  }
  if (!found) {
    return violation(
        ExplainMismatch(observed, candidates, lo, hi, options.last_sequence));
  }
  for (size_t i = 0; i < result.prefix; ++i) {
    if (!Undetermined(i, options.crash_mark)) continue;
    (chosen->absent.contains(i) ? result.undetermined_absent
                                : result.undetermined_applied)
        .push_back(i);
  }
  result.updates = chosen->updates_at[result.prefix];

  // Snapshots must show exactly the writes recorded before them (less the
  // undetermined writes found absent).
  for (const SnapshotRecord& snap : snapshots_) {
    const DbReading r = ReadEverything(db, keys_, snap.snapshot);
    std::string problems = CheckReadsAgree(r, options.allow_read_errors);
    const std::map<std::string, std::string> expected =
        StateAt(snap.prefix, chosen->absent);
    for (const auto& [key, read] : r.gets) {
      if (!read.error.ok()) continue;
      auto e = expected.find(key);
      const std::optional<std::string> want =
          e == expected.end() ? std::nullopt
                              : std::optional<std::string>(e->second);
      if (read.value != want) {
        absl::StrAppend(
            &problems, "  ", Show(key), ": read ", Show(read.value),
            ", expected ", Show(want),
            Classify(key, read.value, snap.prefix, lo, hi, chosen->absent),
            "\n");
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
                             size_t prefix, size_t lo, size_t hi,
                             const std::set<size_t>& absent) const {
  // Which writes set key to what was read (a NotFound matches deletes).
  std::vector<size_t> sources;
  std::optional<size_t> last_before;  // last write < prefix touching key
  for (size_t i = 0; i < writes_.size(); ++i) {
    for (const Update& u : writes_[i].updates) {
      if (u.key != key) continue;
      if (u.value == got) sources.push_back(i);
      if (i < prefix && !absent.contains(i)) last_before = i;
    }
  }
  if (!sources.empty() &&
      std::all_of(sources.begin(), sources.end(),
                  [&absent](size_t s) { return absent.contains(s); })) {
    return absl::StrFormat(
        " -- value of write #%d, which failed or did not "
        "finish, and whose other updates are not there",
        sources.front());
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
            " -- (3) deleted key came back: write #%d deleted it",
            *last_before);
      }
    }
  }
  if (!sources.empty() && std::all_of(sources.begin(), sources.end(),
                                      [hi](size_t s) { return s >= hi; })) {
    return absl::StrFormat(
        " -- value of write #%d, which began after the "
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
    const std::vector<Candidate>& candidates, size_t lo, size_t hi,
    const std::optional<uint64_t>& last_sequence) const {
  // The closest admissible state: fewest mismatching keys, latest prefix on
  // a tie, fewest undetermined writes applied (the first candidate) next.
  const Candidate* best = &candidates.front();
  size_t best_p = lo;
  for (const Candidate& c : candidates) {
    for (size_t p = lo; p <= hi; ++p) {
      if (c.mismatches_at[p] < best->mismatches_at[best_p] ||
          (c.mismatches_at[p] == best->mismatches_at[best_p] && p > best_p)) {
        best = &c;
        best_p = p;
      }
    }
  }
  std::string out;
  if (best->mismatches_at[best_p] == 0 && last_sequence.has_value()) {
    // The contents match; the sequence number does not.
    return absl::StrFormat(
        "the contents are those of prefix %d (%d updates), but the DB's last "
        "sequence number is %d: it ends inside a batch or counts a write "
        "that is not there\n",
        best_p, best->updates_at[best_p], *last_sequence);
  }
  std::vector<size_t> elsewhere;
  for (size_t p = 0; p < best->mismatches_at.size(); ++p) {
    if (best->mismatches_at[p] == 0) elsewhere.push_back(p);
  }
  if (!elsewhere.empty()) {
    absl::StrAppend(&out, "the state is that of prefix(es)");
    for (size_t p : elsewhere) absl::StrAppend(&out, " ", p);
    absl::StrAppend(&out,
                    elsewhere.back() < lo
                        ? " -- (1) synced or flushed writes were lost"
                        : " -- more than the writes begun before the "
                          "crash",
                    "\n");
  } else {
    absl::StrAppend(&out,
                    "the state is that of no prefix -- (2) a hole, "
                    "(3) a resurrected key, (4) a torn batch or (5) a "
                    "wrong value\n");
  }
  if (!best->absent.empty()) {
    absl::StrAppend(&out, "(with undetermined write(s)");
    for (size_t i : best->absent) absl::StrAppend(&out, " #", i);
    absl::StrAppend(&out, " absent)\n");
  }
  absl::StrAppend(&out, "closest admissible prefix ", best_p, " differs at ",
                  best->mismatches_at[best_p], " key(s):\n");
  const std::map<std::string, std::string> expected =
      StateAt(best_p, best->absent);
  std::set<std::string> differing;
  for (const auto& [key, got] : observed) {
    auto e = expected.find(key);
    const std::optional<std::string> want =
        e == expected.end() ? std::nullopt
                            : std::optional<std::string>(e->second);
    if (got == want) continue;
    differing.insert(key);
    absl::StrAppend(&out, "  ", Show(key), ": read ", Show(got), ", expected ",
                    Show(want),
                    Classify(key, got, best_p, lo, hi, best->absent), "\n");
  }
  // (4): every difference lies in one write (the next, or an undetermined
  // one left out), which shows in part.
  std::vector<size_t> torn_candidates(best->absent.begin(), best->absent.end());
  if (best_p < writes_.size()) torn_candidates.push_back(best_p);
  for (size_t w : torn_candidates) {
    std::set<std::string> write_keys;
    for (const Update& u : writes_[w].updates) write_keys.insert(u.key);
    const bool inside = std::includes(write_keys.begin(), write_keys.end(),
                                      differing.begin(), differing.end());
    if (writes_[w].updates.size() > 1 && inside &&
        differing.size() < write_keys.size()) {
      absl::StrAppend(&out, "  -- (4) batch #", w,
                      " appears applied in part\n");
    }
  }
  return out;
}

}  // namespace ferrisdb::testing
