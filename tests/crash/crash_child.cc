// ferrisdb_crash_child: the process that tests/crash/crash_test.sh kills with
// SIGKILL, and the verifier it runs afterwards.
//
//   --mode=run --db=DIR --oracle=FILE --seed=N
//     Random writes (Put, Delete, batches of 1-10 updates, ~10% synced) and
//     reads (Get, short scans, snapshots) from --threads threads until killed.
//     Thread t owns keys [t*keys, (t+1)*keys) and its own oracle file
//     (FILE for thread 0, FILE.t<t> for the others, see crash_oracle.h), so
//     each thread's history is sequential and verified independently. Reads
//     of a thread's own keys are checked on the fly (nobody else writes them).
//     Exits 2 on any error; only SIGKILL is an expected end.
//   --mode=run ... --kill_point=NAME [--kill_after=N]
//     The same, but the process SIGKILLs itself the N-th time it passes the
//     named kill point (white-box crash; --list_kill_points names them).
//   --mode=verify --db=DIR --oracle=FILE
//     Opens the DB and checks, per thread, that it holds exactly the
//     acknowledged writes, plus the write in flight at the kill either whole
//     or not at all (forward scan, backward scan, Get of every key). On
//     success rewrites each oracle as the verified base state, so the next run
//     continues from it. Exits 0 on success, 1 on a mismatch or error.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "crash/crash_oracle.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"
#include "util/kill_point.h"

ABSL_FLAG(std::string, mode, "", "run | verify");
ABSL_FLAG(std::string, db, "", "database directory");
ABSL_FLAG(std::string, oracle, "", "oracle file (thread t>0 uses FILE.t<t>)");
ABSL_FLAG(uint64_t, seed, 1, "random seed of the run mode");
ABSL_FLAG(int, threads, 2, "writer threads; must be the same in every mode");
ABSL_FLAG(int, keys, 2000, "keys per writer thread");
ABSL_FLAG(std::string, kill_point, "",
          "run mode: SIGKILL this process at the named kill point "
          "(util/kill_point.h) instead of waiting to be killed");
ABSL_FLAG(int, kill_after, 1,
          "with --kill_point: die the N-th time the point is passed");
ABSL_FLAG(bool, list_kill_points, false,
          "print the kill point names, one per line, and exit");

namespace ferrisdb::crash {
namespace {

struct Config {
  std::string db;
  std::string oracle;
  uint64_t seed = 0;
  int threads = 0;
  uint32_t keys = 0;
  std::string kill_point;  // empty: wait to be killed from outside
  int kill_after = 1;
};

std::string OraclePath(const Config& config, int thread) {
  return thread == 0 ? config.oracle
                     : absl::StrFormat("%s.t%d", config.oracle, thread);
}

Options DbOptions() {
  Options options;
  options.create_if_missing = true;
  // Flushes and compactions all the time, into several levels.
  options.write_buffer_size = 16 << 10;
  options.target_file_size = 8 << 10;
  options.level0_file_num_compaction_trigger = 2;
  options.max_bytes_for_level_base = 32 << 10;
  options.max_bytes_for_level_multiplier = 4;
  return options;
}

// The white-box crash: the kill point to die at, and how many passes left.
std::string kill_point_target;
std::atomic<int> kill_point_countdown{0};

void DieAtKillPoint(std::string_view name) {
  if (name != kill_point_target) return;
  if (kill_point_countdown.fetch_sub(1) == 1) kill(getpid(), SIGKILL);
}

std::string Describe(const std::optional<ValueId>& id) {
  if (!id.has_value()) return "absent";
  return absl::StrFormat("value of write %d (update %d)", id->write_id,
                         id->update_index);
}

std::optional<ValueId> Lookup(const Model& model, uint32_t key) {
  auto it = model.find(key);
  if (it == model.end()) return std::nullopt;
  return it->second;
}

// Parses "k%06d" into its index; nullopt for anything else.
std::optional<uint32_t> ParseKey(std::string_view key) {
  if (key.size() != 7 || key[0] != 'k') return std::nullopt;
  uint32_t index = 0;
  for (char c : key.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + (c - '0');
  }
  return index;
}

// ---------------------------------------------------------------- run mode

[[noreturn]] void DieInRun(int thread, const std::string& message) {
  std::fprintf(stderr, "crash_child run, thread %d: %s\n", thread,
               message.c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

class Writer {
 public:
  Writer(const Config& config, DB* db, int thread, OracleState state,
         OracleWriter oracle)
      : db_(db),
        thread_(thread),
        first_key_(thread * config.keys),
        keys_(config.keys),
        model_(std::move(state.acked)),
        next_write_id_(state.next_write_id),
        oracle_(std::move(oracle)),
        rng_(config.seed * 1000003 + thread) {}

  [[noreturn]] void Run() {
    for (;;) {
      if (rng_() % 100 < 65) {
        Write();
      } else {
        Read();
      }
      if (snapshot_ != nullptr && --snapshot_countdown_ == 0) {
        CheckSnapshot();
      }
    }
  }

 private:
  uint32_t RandomKey() { return first_key_ + rng_() % keys_; }

  void Write() {
    Intent intent;
    intent.write_id = next_write_id_++;
    const uint32_t kind = rng_() % 10;
    const int n = kind < 6 ? 1 : 1 + rng_() % 10;
    for (int i = 0; i < n; ++i) {
      intent.updates.push_back(Update{rng_() % 10 < 7, RandomKey()});
    }
    absl::Status s = oracle_.AppendIntent(intent);
    if (!s.ok()) DieInRun(thread_, s.ToString());

    WriteOptions wo;
    wo.sync = rng_() % 10 == 0;
    if (kind < 6) {
      const Update& u = intent.updates[0];
      s = u.put ? db_->Put(wo, KeyName(u.key_index),
                           MakeValue(u.key_index, ValueId{intent.write_id, 0}))
                : db_->Delete(wo, KeyName(u.key_index));
    } else {
      WriteBatch batch;
      for (size_t i = 0; i < intent.updates.size(); ++i) {
        const Update& u = intent.updates[i];
        if (u.put) {
          batch.Put(KeyName(u.key_index),
                    MakeValue(u.key_index, ValueId{intent.write_id,
                                                   static_cast<uint32_t>(i)}));
        } else {
          batch.Delete(KeyName(u.key_index));
        }
      }
      s = db_->Write(wo, &batch);
    }
    if (!s.ok()) {
      DieInRun(thread_, absl::StrFormat("write %d failed: %s", intent.write_id,
                                        s.ToString()));
    }
    s = oracle_.AppendAck(intent.write_id);
    if (!s.ok()) DieInRun(thread_, s.ToString());
    ApplyIntent(intent, &model_);
  }

  // Checks a value read for key under `model` if the key is this thread's.
  void CheckRead(const Model& model, std::string_view key,
                 const absl::StatusOr<std::string>& got, const char* how) {
    if (!got.ok() && !absl::IsNotFound(got.status())) {
      DieInRun(thread_, absl::StrFormat("%s of %s failed: %s", how, key,
                                        got.status().ToString()));
    }
    const std::optional<uint32_t> index = ParseKey(key);
    if (!index.has_value() || *index < first_key_ ||
        *index >= first_key_ + keys_) {
      return;  // another thread's key, racing with its writes
    }
    const std::optional<ValueId> want = Lookup(model, *index);
    const bool match = want.has_value()
                           ? got.ok() && *got == MakeValue(*index, *want)
                           : !got.ok();
    if (!match) {
      DieInRun(thread_, absl::StrFormat("live %s of %s: expected %s, got %s",
                                        how, key, Describe(want),
                                        got.ok() ? DescribeValue(*index, *got)
                                                 : got.status().ToString()));
    }
  }

  void Scan(const ReadOptions& ro, const Model& model) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    const bool forward = rng_() % 2 == 0;
    const std::string start = KeyName(rng_() % (keys_ * 2 + 10));
    if (forward) {
      it->Seek(start);
    } else {
      it->SeekForPrev(start);
    }
    for (int i = 0; i < 8 && it->Valid(); ++i) {
      CheckRead(model, it->key(), std::string(it->value()), "scan");
      if (forward) {
        it->Next();
      } else {
        it->Prev();
      }
    }
    if (!it->status().ok()) {
      DieInRun(thread_, "iterator: " + it->status().ToString());
    }
  }

  void Read() {
    switch (rng_() % 4) {
      case 0: {
        const std::string key = KeyName(RandomKey());
        CheckRead(model_, key, db_->Get({}, key), "Get");
        break;
      }
      case 1: {  // any key, including other threads' and missing ones
        const std::string key = KeyName(rng_() % (keys_ * 4));
        CheckRead(model_, key, db_->Get({}, key), "Get");
        break;
      }
      case 2:
        Scan({}, model_);
        break;
      case 3:
        if (snapshot_ == nullptr) {
          snapshot_ = db_->GetSnapshot();
          snapshot_model_ = model_;
          snapshot_countdown_ = 1 + rng_() % 50;
        }
        break;
    }
  }

  // Reads through the held snapshot, which must show the model as it was
  // when the snapshot was taken, then releases it.
  void CheckSnapshot() {
    ReadOptions ro;
    ro.snapshot = snapshot_;
    for (int i = 0; i < 5; ++i) {
      const std::string key = KeyName(RandomKey());
      CheckRead(snapshot_model_, key, db_->Get(ro, key), "snapshot Get");
    }
    Scan(ro, snapshot_model_);
    db_->ReleaseSnapshot(snapshot_);
    snapshot_ = nullptr;
  }

  DB* const db_;
  const int thread_;
  const uint32_t first_key_;
  const uint32_t keys_;
  Model model_;
  uint64_t next_write_id_;
  OracleWriter oracle_;
  std::mt19937_64 rng_;
  const Snapshot* snapshot_ = nullptr;
  Model snapshot_model_;
  int snapshot_countdown_ = 0;
};

int RunMode(const Config& config) {
  if (!config.kill_point.empty()) {
    kill_point_target = config.kill_point;
    kill_point_countdown = config.kill_after;
    internal::SetKillPointHook(&DieAtKillPoint);
  }
  std::vector<std::unique_ptr<Writer>> writers;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(DbOptions(), config.db);
  if (!db.ok()) DieInRun(0, "DB::Open: " + db.status().ToString());
  for (int t = 0; t < config.threads; ++t) {
    absl::StatusOr<OracleState> state = ReadOracle(OraclePath(config, t));
    if (!state.ok()) DieInRun(t, state.status().ToString());
    if (!state->compacted || state->torn_tail) {
      DieInRun(t, "oracle " + OraclePath(config, t) +
                      " holds unverified writes; run --mode=verify first");
    }
    absl::StatusOr<OracleWriter> oracle =
        OracleWriter::Open(OraclePath(config, t));
    if (!oracle.ok()) DieInRun(t, oracle.status().ToString());
    writers.push_back(std::make_unique<Writer>(
        config, db->get(), t, *std::move(state), *std::move(oracle)));
  }
  std::fprintf(stderr, "crash_child run: seed %llu, %d threads\n",
               static_cast<unsigned long long>(config.seed), config.threads);
  std::vector<std::thread> threads;
  for (auto& writer : writers) {
    threads.emplace_back([w = writer.get()] { w->Run(); });
  }
  for (std::thread& thread : threads) thread.join();  // never: Run loops
  return 2;
}

// ------------------------------------------------------------- verify mode

// Lines describing how observed (key index -> value) differs from model, for
// the keys of [first, first + n).
std::vector<std::string> Diff(const Model& model,
                              const std::map<uint32_t, std::string>& observed,
                              uint32_t first, uint32_t n) {
  std::vector<std::string> lines;
  for (uint32_t key = first; key < first + n; ++key) {
    const std::optional<ValueId> want = Lookup(model, key);
    auto got = observed.find(key);
    const bool match =
        want.has_value()
            ? got != observed.end() && got->second == MakeValue(key, *want)
            : got == observed.end();
    if (!match) {
      lines.push_back(absl::StrFormat(
          "key %s: expected %s, got %s", KeyName(key), Describe(want),
          got == observed.end() ? "absent" : DescribeValue(key, got->second)));
    }
  }
  return lines;
}

void PrintLines(const std::vector<std::string>& lines) {
  const size_t kMax = 25;
  for (size_t i = 0; i < lines.size() && i < kMax; ++i) {
    std::printf("    %s\n", lines[i].c_str());
  }
  if (lines.size() > kMax) {
    std::printf("    ... and %zu more\n", lines.size() - kMax);
  }
}

int Fail(const std::string& message) {
  std::printf("VERIFY FAILED: %s\n", message.c_str());
  std::fflush(stdout);
  return 1;
}

int VerifyMode(const Config& config) {
  std::vector<OracleState> states;
  for (int t = 0; t < config.threads; ++t) {
    absl::StatusOr<OracleState> state = ReadOracle(OraclePath(config, t));
    if (!state.ok()) return Fail(state.status().ToString());
    states.push_back(*std::move(state));
  }
  absl::StatusOr<std::unique_ptr<DB>> opened = DB::Open(DbOptions(), config.db);
  if (!opened.ok()) return Fail("DB::Open: " + opened.status().ToString());
  std::unique_ptr<DB> db = *std::move(opened);

  // Full scans, both directions.
  std::vector<std::pair<std::string, std::string>> forward;
  {
    std::unique_ptr<Iterator> it = db->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!forward.empty() && forward.back().first >= it->key()) {
        return Fail(absl::StrFormat("forward scan: key %s after %s", it->key(),
                                    forward.back().first));
      }
      forward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    if (!it->status().ok()) {
      return Fail("forward scan: " + it->status().ToString());
    }
    size_t i = forward.size();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (i == 0 || forward[i - 1].first != it->key() ||
          forward[i - 1].second != it->value()) {
        return Fail(absl::StrFormat(
            "backward scan: entry %d from the end is %s, forward scan had %s",
            forward.size() - i, it->key(),
            i == 0 ? std::string("nothing") : forward[i - 1].first));
      }
      --i;
    }
    if (!it->status().ok()) {
      return Fail("backward scan: " + it->status().ToString());
    }
    if (i != 0) {
      return Fail(
          absl::StrFormat("backward scan stopped after %d of %d entries",
                          forward.size() - i, forward.size()));
    }
  }

  std::map<uint32_t, std::string> observed;
  for (auto& [key, value] : forward) {
    const std::optional<uint32_t> index = ParseKey(key);
    if (!index.has_value() ||
        *index >= static_cast<uint32_t>(config.threads) * config.keys) {
      return Fail(absl::StrFormat("unexpected key \"%s\" in the DB",
                                  absl::CHexEscape(key)));
    }
    observed.emplace(*index, std::move(value));
  }

  std::vector<Model> verified;
  std::vector<std::string> summary;
  bool ok = true;
  for (int t = 0; t < config.threads; ++t) {
    const OracleState& state = states[t];
    const uint32_t first = t * config.keys;
    std::vector<std::string> not_applied =
        Diff(state.acked, observed, first, config.keys);
    std::string outcome = "no write in flight";
    Model model = state.acked;
    if (state.in_flight.has_value()) {
      Model applied = state.acked;
      ApplyIntent(*state.in_flight, &applied);
      std::vector<std::string> with_in_flight =
          Diff(applied, observed, first, config.keys);
      if (not_applied.empty()) {
        outcome = absl::StrFormat("in-flight write %d not applied",
                                  state.in_flight->write_id);
      } else if (with_in_flight.empty()) {
        outcome = absl::StrFormat("in-flight write %d applied",
                                  state.in_flight->write_id);
        model = std::move(applied);
        not_applied.clear();
      } else {
        std::printf("%s", absl::StrFormat(
                              "thread %d: DB matches neither model. Against "
                              "the acknowledged writes only (in-flight write "
                              "%d not applied):\n",
                              t, state.in_flight->write_id)
                              .c_str());
        PrintLines(not_applied);
        std::printf("%s", absl::StrFormat("  against the acknowledged writes "
                                          "plus write %d:\n",
                                          state.in_flight->write_id)
                              .c_str());
        PrintLines(with_in_flight);
        ok = false;
        continue;
      }
    } else if (!not_applied.empty()) {
      std::printf("thread %d: DB differs from the acknowledged writes:\n", t);
      PrintLines(not_applied);
      ok = false;
      continue;
    }

    // Point reads of every key agree with the scans.
    std::vector<std::string> get_errors;
    for (uint32_t key = first; key < first + config.keys; ++key) {
      const absl::StatusOr<std::string> got = db->Get({}, KeyName(key));
      const std::optional<ValueId> want = Lookup(model, key);
      if (!got.ok() && !absl::IsNotFound(got.status())) {
        get_errors.push_back(absl::StrFormat("Get %s: %s", KeyName(key),
                                             got.status().ToString()));
      } else if (want.has_value() ? !got.ok() || *got != MakeValue(key, *want)
                                  : got.ok()) {
        get_errors.push_back(absl::StrFormat(
            "Get %s: expected %s, got %s (the scans agreed with the model)",
            KeyName(key), Describe(want),
            got.ok() ? DescribeValue(key, *got) : "NotFound"));
      }
    }
    if (!get_errors.empty()) {
      std::printf("thread %d: point reads disagree:\n", t);
      PrintLines(get_errors);
      ok = false;
      continue;
    }
    summary.push_back(absl::StrFormat(
        "t%d: %d acked writes, %s, %d keys%s", t, state.acked_writes, outcome,
        model.size(), state.torn_tail ? ", torn oracle tail" : ""));
    verified.push_back(std::move(model));
  }
  if (!ok) return Fail("DB content is not a state the writes could produce");
  db.reset();

  for (int t = 0; t < config.threads; ++t) {
    const absl::Status s = WriteBaseOracle(OraclePath(config, t), verified[t],
                                           states[t].next_write_id);
    if (!s.ok()) return Fail(s.ToString());
  }
  std::printf("verify OK: %zu entries; %s\n", forward.size(),
              absl::StrJoin(summary, "; ").c_str());
  return 0;
}

}  // namespace
}  // namespace ferrisdb::crash

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_list_kill_points)) {
    for (std::string_view name : ferrisdb::internal::kKillPointNames) {
      std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
    }
    return 0;
  }
  ferrisdb::crash::Config config;
  config.kill_point = absl::GetFlag(FLAGS_kill_point);
  config.kill_after = absl::GetFlag(FLAGS_kill_after);
  if (!config.kill_point.empty() &&
      std::find(ferrisdb::internal::kKillPointNames.begin(),
                ferrisdb::internal::kKillPointNames.end(), config.kill_point) ==
          ferrisdb::internal::kKillPointNames.end()) {
    std::fprintf(stderr, "unknown --kill_point=%s (see --list_kill_points)\n",
                 config.kill_point.c_str());
    return 2;
  }
  config.db = absl::GetFlag(FLAGS_db);
  config.oracle = absl::GetFlag(FLAGS_oracle);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.threads = absl::GetFlag(FLAGS_threads);
  const int keys = absl::GetFlag(FLAGS_keys);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (config.db.empty() || config.oracle.empty() || config.threads < 1 ||
      config.threads > 8 || keys < 1 || keys > 100000 ||
      (mode != "run" && mode != "verify")) {
    std::fprintf(stderr,
                 "usage: %s --mode=run|verify --db=DIR --oracle=FILE "
                 "[--seed=N] [--threads=N] [--keys=N]\n",
                 argv[0]);
    return 2;
  }
  config.keys = static_cast<uint32_t>(keys);
  return mode == "run" ? ferrisdb::crash::RunMode(config)
                       : ferrisdb::crash::VerifyMode(config);
}
