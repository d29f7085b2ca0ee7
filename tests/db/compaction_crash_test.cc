// Crash and error tests of flush and compaction with the fault-injection Env.
//
// One deterministic workload (seeded writes with a tiny write buffer and tiny
// levels, so that it flushes often, compacts level 0 into level 1, compacts
// deeper levels, moves files trivially and runs CompactRange) is run once to
// record every Env call it makes, then run again for chosen call indices
// with the machine "stopping" right at that call: the call and every later
// one fail without effect, the DB is dropped, and a power loss (one of the
// UnsyncedDataMode forms, rotated) is applied. The reopened database must
// equal the model applied to a prefix of the writes that includes every
// write known durable (acknowledged with sync=true, or followed by a
// successful Flush/CompactRange), with batches whole and no deleted key
// back, by Get of every key and by full forward and backward scans. It must
// then keep working: more writes, a CompactRange, another power loss, and
// an exact check.
//
// The workload waits for background work after every step
// (TEST_WaitForCompactions), so its sequence of Env calls is nearly the
// same from run to run and a call index names the same step each time
// (only between the steps of a CompactRange may a compaction by score
// slip in or not). A crash point that shifts is still a valid crash point.
//
// FERRISDB_LONG_TESTS=1 crashes at every call index (and every matching
// call of the error tests) instead of a sample. Reproduce a failure with the
// printed call index; FERRISDB_TEST_SEED changes the workload.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"
#include "gtest/gtest.h"
#include "testutil/fault_injection_env.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::FaultContext;
using ::ferrisdb::testing::FaultInjectionEnv;
using ::ferrisdb::testing::FaultOp;
using ::ferrisdb::testing::FaultOpName;
using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::PowerLossOptions;
using ::ferrisdb::testing::UnsyncedDataMode;
using Model = std::map<std::string, std::string>;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// ---- The workload ----

struct Update {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
};

struct Step {
  enum class Kind { kWrite, kFlush, kCompactRange };
  Kind kind = Kind::kWrite;
  std::vector<Update> updates;            // kWrite
  bool sync = false;                      // kWrite
  std::optional<std::string> begin, end;  // kCompactRange
};

std::string Value(std::mt19937& rng, const char* tag, int i) {
  return absl::StrFormat("%s%d-%s", tag, i,
                         std::string(60 + rng() % 120, 'a' + rng() % 26));
}

// Tiny everything, so a few hundred writes reach level 3.
Options WorkloadOptions() {
  Options options;
  options.write_buffer_size = 4096;
  options.level0_file_num_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 8;
  options.level0_stop_writes_trigger = 12;
  options.max_bytes_for_level_base = 6 << 10;
  options.max_bytes_for_level_multiplier = 2;
  options.target_file_size = 2 << 10;
  options.compression = CompressionType::kNone;
  options.block_size = 512;
  return options;
}

// Every key the workloads may touch (for Get checks of deleted keys).
std::vector<std::string> AllKeys() {
  std::vector<std::string> keys;
  for (int i = 0; i < 160; ++i) keys.push_back(absl::StrFormat("a%05d", i));
  for (int i = 0; i < 120; ++i) keys.push_back(absl::StrFormat("k%03d", i));
  return keys;
}

void RandomWrites(std::mt19937& rng, int n, const char* tag, int delete_pct,
                  std::vector<Step>* steps) {
  for (int i = 0; i < n; ++i) {
    Step s;
    const int updates = rng() % 5 == 0 ? 2 + rng() % 5 : 1;
    for (int u = 0; u < updates; ++u) {
      std::string key = absl::StrFormat("k%03d", rng() % 120);
      if (static_cast<int>(rng() % 100) < delete_pct) {
        s.updates.push_back({std::move(key), std::nullopt});
      } else {
        s.updates.push_back({std::move(key), Value(rng, tag, i)});
      }
    }
    s.sync = rng() % 8 == 0;
    steps->push_back(std::move(s));
  }
}

// Ascending fresh keys (compactions into empty ranges become trivial moves),
// then random overwrites and deletes, a partial and a full CompactRange, an
// explicit Flush, and more writes after them.
std::vector<Step> MakeWorkload(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Step> steps;
  for (int i = 0; i < 160; ++i) {
    Step s;
    s.updates.push_back({absl::StrFormat("a%05d", i), Value(rng, "asc", i)});
    s.sync = i % 16 == 15;
    steps.push_back(std::move(s));
  }
  RandomWrites(rng, 140, "r1-", 20, &steps);
  Step partial;
  partial.kind = Step::Kind::kCompactRange;
  partial.begin = "k030";
  partial.end = "k080";
  steps.push_back(partial);
  RandomWrites(rng, 80, "r2-", 45, &steps);
  Step flush;
  flush.kind = Step::Kind::kFlush;
  steps.push_back(flush);
  RandomWrites(rng, 30, "r3-", 30, &steps);
  Step full;
  full.kind = Step::Kind::kCompactRange;
  steps.push_back(full);
  RandomWrites(rng, 40, "r4-", 25, &steps);
  return steps;
}

// What a run of the workload did, for the oracle.
struct History {
  // Writes issued, in order: the acknowledged ones, then possibly one that
  // failed (it may or may not be applied after a reopen).
  std::vector<std::vector<Update>> writes;
  // Last sequence number of each write.
  std::vector<SequenceNumber> last_sequence;
  size_t acked = 0;
  // writes[0, durable) must survive a power loss.
  size_t durable = 0;
  SequenceNumber base_sequence = 0;
  Model base_model;
};

void ApplyUpdates(const std::vector<Update>& updates, Model* model) {
  for (const Update& u : updates) {
    if (u.value.has_value()) {
      (*model)[u.key] = *u.value;
    } else {
      model->erase(u.key);
    }
  }
}

Model ModelAt(const History& h, size_t prefix) {
  Model m = h.base_model;
  for (size_t i = 0; i < prefix; ++i) ApplyUpdates(h.writes[i], &m);
  return m;
}

SequenceNumber LastSequence(DB* db) {
  return static_cast<DBImpl*>(db)->TEST_LastSequence();
}

// Runs steps on db, waiting for background work after each, until the end
// or the first failure. Returns the first error (OK if none).
absl::Status RunSteps(DB* db, const std::vector<Step>& steps,
                      History* history) {
  auto* impl = static_cast<DBImpl*>(db);
  for (const Step& step : steps) {
    absl::Status s;
    switch (step.kind) {
      case Step::Kind::kWrite: {
        WriteBatch batch;
        for (const Update& u : step.updates) {
          if (u.value.has_value()) {
            batch.Put(u.key, *u.value);
          } else {
            batch.Delete(u.key);
          }
        }
        const SequenceNumber before = history->last_sequence.empty()
                                          ? history->base_sequence
                                          : history->last_sequence.back();
        WriteOptions wo;
        wo.sync = step.sync;
        s = db->Write(wo, &batch);
        history->writes.push_back(step.updates);
        if (s.ok()) {
          history->last_sequence.push_back(LastSequence(db));
          history->acked = history->writes.size();
          if (step.sync) history->durable = history->acked;
        } else {
          history->last_sequence.push_back(before + step.updates.size());
        }
        break;
      }
      case Step::Kind::kFlush:
        s = db->Flush();
        if (s.ok()) history->durable = history->acked;
        break;
      case Step::Kind::kCompactRange:
        s = db->CompactRange(step.begin, step.end);
        if (s.ok()) history->durable = history->acked;
        break;
    }
    if (!s.ok()) return s;
    s = impl->TEST_WaitForCompactions();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Scans forward and backward, checks Get of every key, and compares with
// expected. Returns a description of the first difference ("" if none).
std::string CompareWithModel(DB* db, const Model& expected) {
  Model forward;
  std::vector<std::pair<std::string, std::string>> backward;
  std::unique_ptr<Iterator> it = db->NewIterator({});
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key(it->key());
    if (!forward.empty() && key <= prev) {
      return "forward scan out of order at " + key;
    }
    prev = key;
    forward.emplace(key, std::string(it->value()));
  }
  if (!it->status().ok()) return "forward scan: " + it->status().ToString();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    backward.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return "backward scan: " + it->status().ToString();
  std::reverse(backward.begin(), backward.end());
  const std::vector<std::pair<std::string, std::string>> forward_list(
      forward.begin(), forward.end());
  if (backward != forward_list) {
    return absl::StrFormat(
        "backward scan (%d keys) differs from forward scan "
        "(%d keys)",
        backward.size(), forward_list.size());
  }
  if (forward != expected) {
    std::ostringstream out;
    out << "scan differs from the model (" << forward.size() << " vs "
        << expected.size() << " keys):";
    int shown = 0;
    std::set<std::string> keys;
    for (const auto& [k, v] : forward) keys.insert(k);
    for (const auto& [k, v] : expected) keys.insert(k);
    for (const std::string& k : keys) {
      auto a = forward.find(k);
      auto e = expected.find(k);
      const std::string got = a == forward.end() ? "<absent>" : a->second;
      const std::string want = e == expected.end() ? "<absent>" : e->second;
      if (got != want && shown++ < 5) {
        out << " [" << k << ": got " << got.substr(0, 12) << " want "
            << want.substr(0, 12) << "]";
      }
    }
    return out.str();
  }
  std::vector<std::string> keys = AllKeys();
  for (const auto& [k, v] : expected) keys.push_back(k);
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> got = db->Get({}, key);
    auto e = expected.find(key);
    if (e == expected.end()) {
      if (!absl::IsNotFound(got.status())) {
        return "Get(" + key + ") of a deleted or absent key: " +
               (got.ok() ? "found " + got->substr(0, 12)
                         : got.status().ToString());
      }
    } else if (!got.ok() || *got != e->second) {
      return "Get(" + key + "): " +
             (got.ok() ? "wrong value " + got->substr(0, 12)
                       : got.status().ToString());
    }
  }
  return "";
}

// Checks a recovered DB against history: a prefix ending at the recovered
// sequence number, at least the durable writes, equal to the model. On
// success *recovered_model is the state found.
// Every table the recovered version names is on disk.
void ExpectTablesExist(DB* db, const std::string& dbname,
                       const std::string& context) {
  std::shared_ptr<const Version> version =
      static_cast<DBImpl*>(db)->TEST_CurrentVersion();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : version->files(level)) {
      const std::string path = TableFileName(dbname, f->number);
      EXPECT_TRUE(Env::Default()->FileExists(path))
          << context << ": the manifest names " << path << " at level " << level
          << ", which is missing";
    }
  }
}

void VerifyRecovered(DB* db, const std::string& dbname, const History& h,
                     const std::string& context, Model* recovered_model,
                     SequenceNumber* recovered_seq) {
  ExpectTablesExist(db, dbname, context);
  const SequenceNumber recovered = LastSequence(db);
  size_t prefix = 0;
  while (prefix < h.writes.size() && h.last_sequence[prefix] <= recovered) {
    ++prefix;
  }
  const SequenceNumber prefix_end =
      prefix == 0 ? h.base_sequence : h.last_sequence[prefix - 1];
  ASSERT_EQ(recovered, prefix_end)
      << context << ": recovered sequence " << recovered
      << " ends inside a batch or past every write";
  ASSERT_GE(prefix, h.durable)
      << context << ": lost " << h.durable - prefix
      << " durable writes (recovered sequence " << recovered << ")";
  const Model expected = ModelAt(h, prefix);
  const std::string diff = CompareWithModel(db, expected);
  if (!diff.empty()) {
    // Say whether the DB matches some other prefix (a hole, or a lost
    // write with a sequence number kept).
    std::string other = "no prefix matches";
    for (size_t p = 0; p <= h.writes.size(); ++p) {
      if (p != prefix && CompareWithModel(db, ModelAt(h, p)).empty()) {
        other = absl::StrFormat("the DB matches prefix %d instead", p);
        break;
      }
    }
    FAIL() << context << ": recovered prefix " << prefix << " of "
           << h.writes.size() << " writes (durable " << h.durable
           << "): " << diff << "; " << other;
  }
  *recovered_model = expected;
  *recovered_seq = recovered;
}

// After a recovery the DB must keep working: writes, a CompactRange, a
// final synced write, a power loss, and an exact check.
void CheckKeepsWorking(const std::string& path, const Model& model,
                       SequenceNumber sequence, uint32_t seed,
                       const std::string& context) {
  FaultInjectionEnv env;
  Options options = WorkloadOptions();
  options.env = &env;
  std::unique_ptr<DB> db;
  {
    auto opened = DB::Open(options, path);
    ASSERT_THAT(opened, IsOk()) << context << ": second open";
    db = *std::move(opened);
  }
  ASSERT_EQ(LastSequence(db.get()), sequence) << context;
  std::mt19937 rng(seed);
  std::vector<Step> steps;
  RandomWrites(rng, 50, "after-", 30, &steps);
  Step compact;
  compact.kind = Step::Kind::kCompactRange;
  steps.push_back(compact);
  RandomWrites(rng, 30, "after2-", 30, &steps);
  steps.back().sync = true;
  History h;
  h.base_model = model;
  h.base_sequence = sequence;
  FERRISDB_ASSERT_OK(RunSteps(db.get(), steps, &h)) << context;
  ASSERT_EQ(h.durable, h.writes.size()) << context;
  env.SetFilesystemActive(false);
  db.reset();
  FERRISDB_ASSERT_OK(env.SimulatePowerLoss({})) << context;
  env.SetFilesystemActive(true);
  env.ResetState();
  {
    auto opened = DB::Open(options, path);
    ASSERT_THAT(opened, IsOk()) << context << ": third open";
    db = *std::move(opened);
  }
  ExpectTablesExist(db.get(), path, context + " (after more writes)");
  ASSERT_EQ(LastSequence(db.get()), h.last_sequence.back()) << context;
  const std::string diff =
      CompareWithModel(db.get(), ModelAt(h, h.writes.size()));
  ASSERT_EQ(diff, "") << context << ": after recovery, writes, CompactRange "
                      << "and another power loss";
}

// ---- Recording the calls of a workload ----

struct RecordedCall {
  uint64_t number;
  FaultOp op;
  std::string path;
  std::thread::id thread;
};

// The crash points of interest: the calls that change what survives.
bool IsInterestingCall(FaultOp op, std::string_view path) {
  switch (op) {
    case FaultOp::kSync:
    case FaultOp::kSyncDir:
    case FaultOp::kRenameFile:
    case FaultOp::kRemoveFile:
    case FaultOp::kNewWritableFile:
      return true;
    case FaultOp::kAppend:
      return path.find("MANIFEST-") != std::string_view::npos;
    default:
      return false;
  }
}

struct PowerLossMode {
  UnsyncedDataMode mode;
  uint64_t alignment;
  const char* name;
};

constexpr PowerLossMode kModes[] = {
    {UnsyncedDataMode::kDrop, 1, "drop"},
    {UnsyncedDataMode::kKeepPrefix, 1, "tear-byte"},
    {UnsyncedDataMode::kZeroFill, 1, "zero-fill"},
    {UnsyncedDataMode::kKeepPrefix, 512, "tear-512"},
    {UnsyncedDataMode::kGarbageFill, 1, "garbage-fill"},
};

class CompactionCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = ::ferrisdb::testing::TestSeed(20261124);
    steps_ = MakeWorkload(seed_);
  }

  // Runs the workload without faults, recording every call.
  void RecordCalls() {
    ::ferrisdb::testing::TestDir dir;
    FaultInjectionEnv env;
    auto stats = std::make_shared<Statistics>();
    Options options = WorkloadOptions();
    options.env = &env;
    options.statistics = stats;
    std::mutex mu;  // the predicate runs under the env's mutex; this is ours
    env.FailWhen(
        [&](const FaultContext& c) {
          std::lock_guard<std::mutex> lock(mu);
          calls_.push_back({c.call_number, c.op, std::string(c.path),
                            std::this_thread::get_id()});
          return false;
        },
        absl::InternalError("never"), /*persistent=*/true);
    auto db = DB::Open(options, dir.Sub("db"));
    ASSERT_THAT(db, IsOk());
    History h;
    FERRISDB_ASSERT_OK(RunSteps(db->get(), steps_, &h));
    total_calls_ = env.call_count();
    db->reset();
    env.ClearFaults();
    // The workload must reach every part of compaction it is meant to.
    EXPECT_GT(stats->GetTicker(Ticker::kFlushes), 10u);
    EXPECT_GT(stats->GetTicker(Ticker::kCompactions), 10u);
    EXPECT_GT(stats->GetTicker(Ticker::kTrivialMoves), 0u);
    stats_text_ = stats->ToString();
  }

  // Crashes a fresh run of the workload where arm() says, applies a power
  // loss, recovers, verifies, and checks the DB keeps working.
  void CrashAndRecover(const std::function<void(FaultInjectionEnv&)>& arm,
                       const PowerLossMode& mode, const std::string& where) {
    const std::string context = absl::StrFormat(
        "seed %d, crash %s, power loss %s", seed_, where, mode.name);
    ::ferrisdb::testing::TestDir dir;
    const std::string path = dir.Sub("db");
    History h;
    {
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      arm(env);
      auto db = DB::Open(options, path);
      if (db.ok()) {
        RunSteps(db->get(), steps_, &h).IgnoreError();
      }
      env.SetFilesystemActive(false);
      db = absl::InternalError("dropped");  // closes the DB, if any
      env.ClearFaults();
      PowerLossOptions loss;
      loss.unsynced_data = mode.mode;
      loss.keep_prefix_alignment = mode.alignment;
      loss.seed = seed_ + static_cast<uint32_t>(h.writes.size());
      FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
      env.SetFilesystemActive(true);
    }
    Model model;
    SequenceNumber sequence = 0;
    {
      // The directory as the machine finds it after the reboot.
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << context << ": reopen after the crash";
      VerifyRecovered(db->get(), path, h, context, &model, &sequence);
      if (HasFatalFailure()) return;
    }
    CheckKeepsWorking(path, model, sequence, seed_ + 7, context);
  }

  uint32_t seed_ = 0;
  std::vector<Step> steps_;
  std::vector<RecordedCall> calls_;
  uint64_t total_calls_ = 0;
  std::string stats_text_;
};

// Crash right at (before) or right after each interesting call: syncs,
// directory syncs, renames, removals, table/log/manifest creation, and
// appends to the manifest. A sample of them by default, all of them with
// FERRISDB_LONG_TESTS.
TEST_F(CompactionCrashTest, PowerLossAtEachSyncRenameRemoveAndManifestWrite) {
  RecordCalls();
  if (HasFatalFailure()) return;
  std::vector<RecordedCall> interesting;
  for (const RecordedCall& c : calls_) {
    if (IsInterestingCall(c.op, c.path)) interesting.push_back(c);
  }
  ASSERT_GT(interesting.size(), 100u);
  const size_t budget =
      ::ferrisdb::testing::LongTestsEnabled() ? interesting.size() : 20;
  const size_t stride = std::max<size_t>(1, interesting.size() / budget);
  int runs = 0;
  for (size_t i = 0; i < interesting.size(); i += stride) {
    // i-th interesting call; by kind and ordinal so the crash point follows
    // the call even if the calls before it were to shift.
    const RecordedCall& target = interesting[i];
    for (const bool after : {false, true}) {
      const uint64_t n = target.number + (after ? 1 : 0);
      const std::string where =
          absl::StrFormat("%s call %d (%s %s)", after ? "after" : "at",
                          target.number, FaultOpName(target.op),
                          target.path.substr(target.path.rfind('/') + 1));
      CrashAndRecover(
          [n](FaultInjectionEnv& env) {
            env.FailCall(n, absl::UnavailableError("power cut"),
                         /*persistent=*/true);
          },
          kModes[(i + (after ? 1 : 0)) % std::size(kModes)], where);
      if (HasFatalFailure()) return;
      ++runs;
    }
  }
  EXPECT_GT(runs, 0);
}

// The same with a crash at every call index, reads included. Long: only
// with FERRISDB_LONG_TESTS; otherwise a dozen evenly spaced indices.
TEST_F(CompactionCrashTest, PowerLossAtEveryCallIndex) {
  RecordCalls();
  if (HasFatalFailure()) return;
  const uint64_t stride =
      ::ferrisdb::testing::LongTestsEnabled() ? 1 : total_calls_ / 12 + 1;
  for (uint64_t n = 1; n <= total_calls_ + 1; n += stride) {
    CrashAndRecover(
        [n](FaultInjectionEnv& env) {
          env.FailCall(n, absl::UnavailableError("power cut"),
                       /*persistent=*/true);
        },
        kModes[(n / stride) % std::size(kModes)],
        absl::StrFormat("at call %d of %d", n, total_calls_));
    if (HasFatalFailure()) return;
  }
}

// A second power loss while the DB recovers from the first: during Open or
// during the flushes and compactions of the replayed logs that follow it.
// What an Open that succeeded showed had been made durable by it, so the
// third Open must show exactly that again; after an Open that failed, any
// state allowed after the first crash is.
TEST_F(CompactionCrashTest, PowerLossDuringRecovery) {
  RecordCalls();
  if (HasFatalFailure()) return;
  std::vector<uint64_t> first_crashes;
  for (const RecordedCall& c : calls_) {
    // Crash right after a write hit the log: there is a log to replay.
    if (c.op == FaultOp::kAppend && EndsWith(c.path, ".log") &&
        c.number > total_calls_ / 4) {
      first_crashes.push_back(c.number + 1);
    }
  }
  ASSERT_GT(first_crashes.size(), 3u);
  const size_t first_count = ::ferrisdb::testing::LongTestsEnabled() ? 12 : 3;
  for (size_t f = 0; f < first_count; ++f) {
    const uint64_t n =
        first_crashes[(f + 1) * first_crashes.size() / (first_count + 1)];
    ::ferrisdb::testing::TestDir dir;
    const std::string crashed = dir.Sub("crashed");
    const std::string path = dir.Sub("db");
    History h;
    {
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      env.FailCall(n, absl::UnavailableError("power cut"), true);
      auto db = DB::Open(options, crashed);
      ASSERT_THAT(db, IsOk());
      RunSteps(db->get(), steps_, &h).IgnoreError();
      env.SetFilesystemActive(false);
      db->reset();
      env.ClearFaults();
      PowerLossOptions loss;
      loss.unsynced_data = kModes[f % std::size(kModes)].mode;
      loss.keep_prefix_alignment = kModes[f % std::size(kModes)].alignment;
      loss.seed = seed_ + static_cast<uint32_t>(f);
      FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss));
    }
    // How many calls a whole recovery makes.
    uint64_t recovery_calls = 0;
    {
      std::filesystem::copy(crashed, path);
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << "first crash at call " << n;
      FERRISDB_ASSERT_OK(
          static_cast<DBImpl*>(db->get())->TEST_WaitForCompactions());
      recovery_calls = env.call_count();
      db->reset();
      std::filesystem::remove_all(path);
    }
    const uint64_t stride =
        ::ferrisdb::testing::LongTestsEnabled() ? 1 : recovery_calls / 8 + 1;
    for (uint64_t m = 1; m <= recovery_calls; m += stride) {
      const PowerLossMode& mode = kModes[(f + m) % std::size(kModes)];
      const std::string context = absl::StrFormat(
          "seed %d, first crash at call %d, second at recovery call %d of "
          "%d, power loss %s",
          seed_, n, m, recovery_calls, mode.name);
      std::filesystem::remove_all(path);
      std::filesystem::copy(crashed, path);
      std::optional<Model> seen;
      SequenceNumber seen_sequence = 0;
      {
        FaultInjectionEnv env;
        Options options = WorkloadOptions();
        options.env = &env;
        env.FailWhen(
            [m](const FaultContext& c) {
              return c.call_number >= m &&
                     ::ferrisdb::testing::IsMutatingOp(c.op);
            },
            absl::UnavailableError("power cut"), /*persistent=*/true);
        auto db = DB::Open(options, path);
        if (db.ok()) {
          Model model;
          VerifyRecovered(db->get(), path, h, context + " (second open)",
                          &model, &seen_sequence);
          if (HasFatalFailure()) return;
          seen = std::move(model);
          static_cast<DBImpl*>(db->get())
              ->TEST_WaitForCompactions()
              .IgnoreError();
        }
        env.SetFilesystemActive(false);
        db = absl::InternalError("dropped");
        env.ClearFaults();
        PowerLossOptions loss;
        loss.unsynced_data = mode.mode;
        loss.keep_prefix_alignment = mode.alignment;
        loss.seed = seed_ + static_cast<uint32_t>(m);
        FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
      }
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      auto db = DB::Open(options, path);
      ASSERT_THAT(db, IsOk()) << context << ": third open";
      Model model;
      SequenceNumber sequence = 0;
      VerifyRecovered(db->get(), path, h, context + " (third open)", &model,
                      &sequence);
      if (HasFatalFailure()) return;
      if (seen.has_value()) {
        ASSERT_EQ(sequence, seen_sequence)
            << context << ": the state the second open showed was not "
            << "durable";
        ASSERT_TRUE(model == *seen) << context;
      }
    }
  }
}

// ---- Error injection during compaction (no power loss) ----

// Fails once the k-th call of kind `op` made by the compaction thread: the
// thread that is neither the test's thread nor the flush thread (the first
// background thread to create a table, since the first table of a new DB
// is always a flush's).
class CompactionCallFault {
 public:
  CompactionCallFault(FaultOp op, int k)
      : op_(op), k_(k), main_(std::this_thread::get_id()) {}

  bool operator()(const FaultContext& c) {
    std::lock_guard<std::mutex> lock(state_->mu);
    const std::thread::id self = std::this_thread::get_id();
    if (self == main_) return false;
    if (!state_->flush_thread.has_value()) {
      if (c.op == FaultOp::kNewWritableFile && EndsWith(c.path, ".sst")) {
        state_->flush_thread = self;
      }
      return false;
    }
    if (self == *state_->flush_thread || c.op != op_) return false;
    return ++state_->seen == k_;
  }

 private:
  struct State {
    std::mutex mu;
    std::optional<std::thread::id> flush_thread;
    int seen = 0;
  };
  const FaultOp op_;
  const int k_;
  const std::thread::id main_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

TEST_F(CompactionCrashTest, FailedCompactionCallIsStickyAndLosesNothing) {
  RecordCalls();
  if (HasFatalFailure()) return;
  // Identify the compaction thread's calls in the recording the same way.
  const std::thread::id main = std::this_thread::get_id();
  std::optional<std::thread::id> flush_thread;
  std::map<FaultOp, int> compaction_calls;
  for (const RecordedCall& c : calls_) {
    if (c.thread == main) continue;
    if (!flush_thread.has_value()) {
      if (c.op == FaultOp::kNewWritableFile && EndsWith(c.path, ".sst")) {
        flush_thread = c.thread;
      }
      continue;
    }
    if (c.thread != *flush_thread) ++compaction_calls[c.op];
  }
  const FaultOp kinds[] = {FaultOp::kSync, FaultOp::kSyncDir,
                           FaultOp::kNewWritableFile, FaultOp::kRenameFile};
  int injected_runs = 0;
  int not_reached = 0;
  for (const FaultOp op : kinds) {
    const int total = compaction_calls[op];
    if (total == 0) {
      // Renames happen only when a new manifest is started, which the
      // compaction thread does only after an earlier manifest failure.
      std::printf("no compaction-thread %s call in the workload\n",
                  std::string(FaultOpName(op)).c_str());
      continue;
    }
    const int samples =
        ::ferrisdb::testing::LongTestsEnabled() ? total : std::min(total, 3);
    for (int s = 0; s < samples; ++s) {
      const int k =
          samples == total ? s + 1 : 1 + s * (total - 1) / (samples - 1);
      std::string context =
          absl::StrFormat("seed %d, failing compaction %s call %d of %d", seed_,
                          FaultOpName(op), k, total);
      ::ferrisdb::testing::TestDir dir;
      FaultInjectionEnv env;
      Options options = WorkloadOptions();
      options.env = &env;
      env.FailWhen(CompactionCallFault(op, k),
                   absl::InternalError("injected EIO"), /*persistent=*/false);
      auto db = DB::Open(options, dir.Sub("db"));
      ASSERT_THAT(db, IsOk()) << context;
      History h;
      const absl::Status run = RunSteps(db->get(), steps_, &h);
      if (env.injected_failure_count() == 0) {
        // Between the steps of a CompactRange the compaction thread may or
        // may not squeeze in a compaction by score, so its calls can differ
        // a little from the recording's.
        std::printf("%s: not reached in this run\n", context.c_str());
        ++not_reached;
        continue;
      }
      ++injected_runs;
      // The error stopped the workload and is sticky.
      EXPECT_FALSE(run.ok()) << context;
      EXPECT_NE(std::string(run.message()).find("injected EIO"),
                std::string::npos)
          << context << ": " << run;
      auto* impl = static_cast<DBImpl*>(db->get());
      EXPECT_FALSE(impl->TEST_WaitForCompactions().ok()) << context;
      EXPECT_FALSE((*db)->Put({}, "k000", "after-error").ok()) << context;
      EXPECT_FALSE((*db)->CompactRange(std::nullopt, std::nullopt).ok())
          << context;
      EXPECT_FALSE((*db)->Flush().ok()) << context;
      // Reads still work and see every acknowledged write.
      EXPECT_EQ(CompareWithModel(db->get(), ModelAt(h, h.acked)), "")
          << context << ": before reopening";
      db->reset();
      env.ClearFaults();

      // Then either a process restart, after which every acknowledged
      // write is there, or a power loss, after which the durable ones are.
      // Either way every table the manifest names exists.
      History expected = h;
      const bool power_loss = (injected_runs % 2) == 0;
      if (power_loss) {
        const PowerLossMode& mode =
            kModes[(injected_runs / 2) % std::size(kModes)];
        PowerLossOptions loss;
        loss.unsynced_data = mode.mode;
        loss.keep_prefix_alignment = mode.alignment;
        loss.seed = seed_ + static_cast<uint32_t>(injected_runs);
        FERRISDB_ASSERT_OK(env.SimulatePowerLoss(loss)) << context;
        env.ResetState();
        context += std::string(", then power loss ") + mode.name;
      } else {
        expected.durable = h.acked;
        context += ", then a process restart";
      }
      Model model;
      SequenceNumber sequence = 0;
      {
        auto reopened = DB::Open(options, dir.Sub("db"));
        ASSERT_THAT(reopened, IsOk()) << context << ": reopen";
        VerifyRecovered(reopened->get(), dir.Sub("db"), expected, context,
                        &model, &sequence);
        if (HasFatalFailure()) return;
      }
      CheckKeepsWorking(dir.Sub("db"), model, sequence, seed_ + 11, context);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GE(injected_runs, 6);
  EXPECT_LE(not_reached, injected_runs / 2 + 1);
}

}  // namespace
}  // namespace ferrisdb
