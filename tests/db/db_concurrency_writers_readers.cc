// The writer and reader threads of the concurrency test, and the ordered
// walk that every scan uses (see db_concurrency_fixture.h).
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "db_concurrency_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"

namespace ferrisdb::db_concurrency {

void ConcurrencyTest::Writer(int w) {
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

void ConcurrencyTest::CheckNotBackwards(Seen* seen, const std::string& key,
                                        const ParsedValue& p,
                                        const char* what) {
  uint64_t& last = (*seen)[{key, p.writer}];
  if (p.counter < last) {
    failures_.Add(
        absl::StrFormat("%s: %s went back from writer %d's counter %d to %d",
                        what, key, p.writer, last, p.counter));
  }
  last = std::max(last, p.counter);
}

std::string ConcurrencyTest::RandomKey(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return SharedKey(rng() % kSharedKeys);
    case 1:
      return GroupKey(rng() % kWriters, rng() % kGroupKeys);
    default:
      return OwnKey(rng() % kWriters, rng() % kOwnKeys);
  }
}

bool ConcurrencyTest::Walk(Iterator* it, bool forward, int limit, Model* state,
                           const char* what) {
  std::optional<std::string> prev;
  for (int n = 0; it->Valid() && n < limit; ++n) {
    std::string key(it->key());
    if (prev && (forward ? key <= *prev : key >= *prev)) {
      failures_.Add(absl::StrFormat("%s: %s scan out of order: %s after %s",
                                    what, forward ? "forward" : "backward", key,
                                    *prev));
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

void ConcurrencyTest::Reader(int r) {
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
      if (it->Valid() && (forward ? it->key() < target : it->key() > target)) {
        failures_.Add(absl::StrFormat("%s(%s) landed on %s",
                                      forward ? "Seek" : "SeekForPrev", target,
                                      std::string(it->key())));
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

}  // namespace ferrisdb::db_concurrency
