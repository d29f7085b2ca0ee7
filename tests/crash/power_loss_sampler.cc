// ferrisdb_power_loss: power-loss simulation at random points of random
// workloads, checked by the Oracle (docs/reliability.md).
//
// Each run records a random workload on a RecordingEnv: puts (some synced),
// deletes, batches, values up to 3 KiB (log records crossing 32 KiB blocks),
// flushes, CompactRange, reopens, with a tiny write buffer and tiny levels
// (so flushes, compactions and manifest rolls run all the time, in the
// background threads too) and random table settings (block size, bloom
// filter, zstd). Then it draws crash states: a cut after a random number of
// the recorded file-system operations, and for every file with unsynced data
// a random fate of that data (CrashStateBuilder::Sample: dropped, a prefix
// kept whole or torn at a byte, sector or page, zero-filled, garbage-filled,
// or, rarely, a hole), and for every directory operation not yet made durable
// by a directory fsync whether it persisted (creates and renames undone).
// Each state is written to a directory (on tmpfs), opened with paranoid
// checks and verified: synced writes survive, the state is a prefix of the
// writes without holes, batches are whole, no deleted key comes back, no
// wrong value. Every 16th state is driven further after recovery (a
// snapshot, writes, a compaction, a clean reopen) and checked again.
//
//   ferrisdb_power_loss --states=1000000 --seed=7
//
// Exits 1 after the first violations (up to --max_violations) with a
// description of the state and the writes involved; the run, seed and cut
// printed reproduce it. CI runs 2,000 states (ctest PowerLossTest.Sampler);
// scripts/reliability_long.sh runs a million.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"
#include "ferrisdb/options.h"
#include "testutil/crash_state_builder.h"
#include "testutil/crash_state_check.h"
#include "testutil/oracle.h"
#include "testutil/recording_env.h"

ABSL_FLAG(uint64_t, states, 2000, "Crash states to check in all.");
ABSL_FLAG(uint64_t, states_per_run, 250,
          "Crash states drawn from each recorded workload.");
ABSL_FLAG(int32_t, ops, 120, "Operations per recorded workload.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the workloads and of the draws.");
ABSL_FLAG(uint64_t, first_run, 0,
          "Index of the first run (with --seed, reproduces a run printed by "
          "an earlier invocation).");
ABSL_FLAG(int32_t, max_violations, 3, "Stop after this many violations.");
ABSL_FLAG(bool, verbose, false, "A line per run.");

namespace ferrisdb::testing {
namespace {

struct Totals {
  uint64_t runs = 0;
  uint64_t fs_ops = 0;
  uint64_t writes = 0;
  std::set<uint64_t> distinct;  // digests of the states checked
  StateCheckCounts states;
  int violations = 0;
};

Options RandomOptions(std::mt19937_64& rng) {
  Options options;
  options.write_buffer_size = size_t{4096} << (rng() % 4);  // 4-32 KiB
  options.level0_file_num_compaction_trigger = 2 + static_cast<int>(rng() % 3);
  options.max_bytes_for_level_base = 32 << 10;
  options.target_file_size = 8 << 10;
  options.block_size = 256 << (rng() % 4);
  options.bloom_bits_per_key = rng() % 2 == 0 ? 10 : 0;
  options.compression =
      rng() % 3 == 0 ? CompressionType::kZstd : CompressionType::kNone;
  switch (rng() % 3) {
    case 0:
      options.max_manifest_file_size = 1;  // a new manifest at every edit
      break;
    case 1:
      options.max_manifest_file_size = 2048;
      break;
    default:
      break;  // the default: rolls only on reopen
  }
  return options;
}

std::string Value(std::mt19937_64& rng, uint64_t write) {
  // Mostly short; sometimes long enough to cross log blocks.
  const size_t size =
      rng() % 16 == 0 ? 1024 + rng() % 2048 : static_cast<size_t>(rng() % 64);
  std::string v = absl::StrCat("w", write, ":");
  while (v.size() < size) v.push_back(static_cast<char>('a' + rng() % 26));
  return v;
}

// Runs the random workload of (seed, run) on `env` under dbname, recording
// every write in oracle. Fails on any DB error (nothing fails here).
absl::Status RunWorkload(std::mt19937_64& rng, const Options& options,
                         const std::string& dbname, int ops, Oracle* oracle) {
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dbname);
  if (!db.ok()) return db.status();
  const uint64_t keyspace = 20 + rng() % 200;
  auto key = [&] { return absl::StrFormat("k%04d", rng() % keyspace); };
  for (int i = 0; i < ops; ++i) {
    const uint64_t roll = rng() % 100;
    const WriteOptions write{.sync = rng() % 8 == 0};
    const uint64_t n = oracle->writes().size();
    absl::Status s;
    if (roll < 50) {
      s = oracle->Put(db->get(), write, key(), Value(rng, n));
    } else if (roll < 65) {
      s = oracle->Delete(db->get(), write, key());
    } else if (roll < 85) {
      std::vector<Oracle::Update> updates;
      const size_t count = 2 + rng() % 4;
      for (size_t u = 0; u < count; ++u) {
        updates.push_back({key(), rng() % 4 == 0
                                      ? std::nullopt
                                      : std::optional(Value(rng, n))});
      }
      s = oracle->Write(db->get(), write, updates);
    } else if (roll < 91) {
      s = oracle->Flush(db->get());
    } else if (roll < 94) {
      s = oracle->CompactRange(db->get());
    } else if (roll < 96) {
      db->reset();
      db = DB::Open(options, dbname);
      s = db.status();
    } else {
      // A pause, so that background flushes and compactions interleave
      // with the writes at different points.
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// One run: record a workload, then check `states` crash states of it.
// Returns false once max_violations is reached.
bool Run(uint64_t seed, uint64_t run, uint64_t states, int ops,
         const std::string& scratch, Totals* totals) {
  std::mt19937_64 rng(seed * 1000003 + run);
  const std::string root = scratch + "/run";
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  std::filesystem::create_directories(root);
  absl::StatusOr<FsImage> initial = FsImage::Load(Env::Default(), root);
  if (!initial.ok()) {
    std::fprintf(stderr, "cannot read %s: %s\n", root.c_str(),
                 initial.status().ToString().c_str());
    std::exit(2);
  }
  RecordingEnv env;
  Options options = RandomOptions(rng);
  Options recorded = options;
  recorded.env = &env;
  Oracle oracle([&env] { return env.op_count(); });
  absl::Status s = RunWorkload(rng, recorded, root + "/db", ops, &oracle);
  if (!s.ok()) {
    std::fprintf(stderr, "run %llu (seed %llu): the workload failed: %s\n",
                 static_cast<unsigned long long>(run),
                 static_cast<unsigned long long>(seed), s.ToString().c_str());
    std::exit(2);
  }
  CrashStateBuilder builder(env.Trace(), root, *std::move(initial));
  ++totals->runs;
  totals->fs_ops += builder.trace_size();
  totals->writes += oracle.writes().size();
  if (absl::GetFlag(FLAGS_verbose)) {
    std::printf("run %llu: %zu file-system ops, %zu writes\n",
                static_cast<unsigned long long>(run), builder.trace_size(),
                oracle.writes().size());
  }
  const std::function<uint64_t()> random = [&rng] { return rng(); };
  for (uint64_t i = 0; i < states; ++i) {
    const size_t cut = static_cast<size_t>(rng() % (builder.trace_size() + 1));
    absl::StatusOr<CutState> state = builder.Replay(cut);
    if (!state.ok()) {
      std::fprintf(stderr, "replay of cut %zu failed: %s\n", cut,
                   state.status().ToString().c_str());
      std::exit(2);
    }
    const CrashChoice choice = builder.Sample(&*state, random);
    const FsImage image = builder.Build(*state, choice);
    totals->distinct.insert(image.Digest());
    const std::string dir = scratch + "/state";
    std::filesystem::remove_all(dir, ignored);
    s = image.Materialize(Env::Default(), dir);
    if (!s.ok()) {
      std::fprintf(stderr, "cannot write a state: %s\n", s.ToString().c_str());
      std::exit(2);
    }
    const bool drive_further = (totals->states.checked + 1) % 16 == 0;
    const std::string problem = CheckCrashState(options, oracle, dir + "/db",
                                                cut, choice.beyond_ordered_fs,
                                                drive_further, &totals->states);
    if (problem.empty()) continue;
    ++totals->violations;
    std::printf(
        "VIOLATION (seed %llu, run %llu, state %llu):\n%s  files on disk: "
        "%s\n%s\n",
        static_cast<unsigned long long>(seed),
        static_cast<unsigned long long>(run),
        static_cast<unsigned long long>(i),
        builder.Describe(*state, choice).c_str(), image.Describe().c_str(),
        problem.c_str());
    if (totals->violations >= absl::GetFlag(FLAGS_max_violations)) {
      return false;
    }
  }
  return true;
}

int Main() {
  const uint64_t want = absl::GetFlag(FLAGS_states);
  const uint64_t per_run =
      std::max<uint64_t>(1, absl::GetFlag(FLAGS_states_per_run));
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const int ops = absl::GetFlag(FLAGS_ops);
  ScratchDir scratch;
  if (scratch.path().empty()) {
    std::fprintf(stderr, "cannot create a scratch directory\n");
    return 2;
  }
  Totals totals;
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  for (uint64_t run = absl::GetFlag(FLAGS_first_run);
       totals.states.checked < want; ++run) {
    const uint64_t n = std::min(per_run, want - totals.states.checked);
    if (!Run(seed, run, n, ops, scratch.path(), &totals)) break;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::seconds(60)) {
      last_report = now;
      std::printf("... %llu states, %llu runs, %d violations, %.0f s\n",
                  static_cast<unsigned long long>(totals.states.checked),
                  static_cast<unsigned long long>(totals.runs),
                  totals.violations,
                  std::chrono::duration<double>(now - start).count());
      std::fflush(stdout);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "power loss: %llu states checked (%zu distinct) from %llu random "
      "workloads (%llu writes, %llu file-system ops recorded), seed %llu; "
      "%zu driven further after recovery, %zu open failures accepted on "
      "beyond-ordered (hole) states; %d violations; %.1f s\n",
      static_cast<unsigned long long>(totals.states.checked),
      totals.distinct.size(), static_cast<unsigned long long>(totals.runs),
      static_cast<unsigned long long>(totals.writes),
      static_cast<unsigned long long>(totals.fs_ops),
      static_cast<unsigned long long>(seed), totals.states.driven_further,
      totals.states.open_failures_accepted, totals.violations, seconds);
  return totals.violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ferrisdb::testing

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "power-loss simulation at random points of random workloads; see "
      "tests/crash/power_loss_sampler.cc and docs/reliability.md");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "unexpected argument %s\n", rest[1]);
    return 2;
  }
  return ferrisdb::testing::Main();
}
