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
//     Opens the DB and checks with the shared oracle (testutil/oracle.h)
//     that it holds exactly the acknowledged writes, plus each thread's
//     write in flight at the kill either whole or not at all (Get of every
//     key, forward and backward scans). On success rewrites each oracle file
//     as the verified base state, so the next run continues from it. Exits 0
//     on success, 1 on a mismatch or error.
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
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "crash/crash_oracle.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"
#include "testutil/oracle.h"
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

// The shared oracle's form of an intent's updates.
std::vector<testing::Oracle::Update> OracleUpdates(const Intent& intent) {
  std::vector<testing::Oracle::Update> updates;
  for (size_t i = 0; i < intent.updates.size(); ++i) {
    const Update& u = intent.updates[i];
    std::optional<std::string> value;
    if (u.put) {
      value = MakeValue(u.key_index,
                        ValueId{intent.write_id, static_cast<uint32_t>(i)});
    }
    updates.push_back({KeyName(u.key_index), std::move(value)});
  }
  return updates;
}

int Fail(const std::string& message) {
  std::printf("VERIFY FAILED: %s\n", message.c_str());
  std::fflush(stdout);
  return 1;
}

// The shared oracle (testutil/oracle.h) rebuilt from the threads' files:
// each thread's verified base state and acknowledged writes, then the write
// each may have had in flight at the kill. Threads own disjoint keys, so the
// order of different threads' writes does not matter, and a process crash
// loses nothing acknowledged (the OS keeps what was written), so every
// acknowledged write is durable; each write in flight may be applied (whole)
// or not, independently. *in_flight_index[t] is thread t's write in flight
// in the oracle's numbering.
testing::Oracle BuildOracle(
    const Config& config, const std::vector<OracleState>& states,
    std::vector<std::optional<size_t>>* in_flight_index) {
  testing::Oracle oracle;
  for (uint32_t k = 0; k < static_cast<uint32_t>(config.threads) * config.keys;
       ++k) {
    oracle.AddKey(KeyName(k));
  }
  auto record = [&oracle](std::vector<testing::Oracle::Update> updates,
                          bool acknowledged) {
    const size_t i = oracle.BeginWrite(std::move(updates), /*sync=*/false);
    if (acknowledged) oracle.EndWrite(i, absl::OkStatus());
    return i;
  };
  for (const OracleState& state : states) {
    std::vector<testing::Oracle::Update> base;
    for (const auto& [key, id] : state.base) {
      base.push_back({KeyName(key), MakeValue(key, id)});
    }
    if (!base.empty()) record(std::move(base), true);
    for (const Intent& intent : state.acked_intents) {
      record(OracleUpdates(intent), true);
    }
  }
  oracle.MarkDurable();
  for (const OracleState& state : states) {
    in_flight_index->push_back(std::nullopt);
    if (state.in_flight.has_value()) {
      in_flight_index->back() = record(OracleUpdates(*state.in_flight), false);
    }
  }
  return oracle;
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

  std::vector<std::optional<size_t>> in_flight_index;
  const testing::Oracle oracle = BuildOracle(config, states, &in_flight_index);
  // Get of every key, scans both ways, against the oracle.
  absl::StatusOr<testing::Oracle::Recovered> recovered = oracle.Verify(
      db.get(),
      {.max_undetermined_applied = static_cast<size_t>(config.threads)});
  if (!recovered.ok()) {
    std::printf("%s\n", std::string(recovered.status().message()).c_str());
    return Fail("DB content is not a state the writes could produce");
  }
  db.reset();

  std::vector<std::string> summary;
  for (int t = 0; t < config.threads; ++t) {
    const OracleState& state = states[t];
    Model model = state.acked;
    std::string outcome = "no write in flight";
    if (in_flight_index[t].has_value()) {
      const bool applied = std::find(recovered->undetermined_applied.begin(),
                                     recovered->undetermined_applied.end(),
                                     *in_flight_index[t]) !=
                           recovered->undetermined_applied.end();
      if (applied) ApplyIntent(*state.in_flight, &model);
      outcome =
          absl::StrFormat("in-flight write %d %s", state.in_flight->write_id,
                          applied ? "applied" : "not applied");
    }
    summary.push_back(absl::StrFormat(
        "t%d: %d acked writes, %s, %d keys%s", t, state.acked_writes, outcome,
        model.size(), state.torn_tail ? ", torn oracle tail" : ""));
    const absl::Status s =
        WriteBaseOracle(OraclePath(config, t), model, state.next_write_id);
    if (!s.ok()) return Fail(s.ToString());
  }
  std::printf("verify OK: %zu writes checked; %s\n", oracle.writes().size(),
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
