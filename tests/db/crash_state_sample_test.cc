// CrashStateBuilder::Sample and the garbage-filled tail, on a hand-written
// trace: every drawn state must be one the file-system model allows (the
// synced part intact, a tail kept as a prefix or filled whole, directory ops
// persisted only with what they depend on), and the draws must reach every
// kind of outcome the power-loss sampler (crash/power_loss_sampler.cc)
// promises.
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/crash_state_builder.h"
#include "testutil/recording_env.h"

namespace ferrisdb::testing {
namespace {

constexpr char kRoot[] = "/sample-root";

FsOp Op(FsOp::Kind kind, std::string path, uint64_t file_id,
        std::string data = "", std::string target = "") {
  FsOp op;
  op.kind = kind;
  op.path = std::string(kRoot) + "/" + path;
  op.target = target.empty() ? "" : std::string(kRoot) + "/" + target;
  op.file_id = file_id;
  op.data = std::move(data);
  return op;
}

// File "a": 1000 synced bytes, then unsynced appends of 3000 and 5000
// bytes; file "b": created (not durable), one append, renamed to "c" (not
// durable).
std::vector<FsOp> Trace() {
  using K = FsOp::Kind;
  FsOp sync_dir;
  sync_dir.kind = K::kSyncDir;
  sync_dir.path = kRoot;
  return {Op(K::kCreateFile, "a", 1),
          Op(K::kAppend, "a", 1, std::string(1000, 'A')),
          Op(K::kSyncFile, "a", 1),
          sync_dir,
          Op(K::kAppend, "a", 1, std::string(3000, 'B')),
          Op(K::kAppend, "a", 1, std::string(5000, 'C')),
          Op(K::kCreateFile, "b", 2),
          Op(K::kAppend, "b", 2, std::string(100, 'D')),
          Op(K::kRename, "b", 2, "", "c")};
}

TEST(CrashStateSampleTest, DrawsOnlyAllowedStatesAndEveryKindOfOutcome) {
  const std::vector<FsOp> trace = Trace();
  const std::string written =
      std::string(1000, 'A') + std::string(3000, 'B') + std::string(5000, 'C');
  CrashStateBuilder builder(trace, kRoot, FsImage());
  std::mt19937_64 rng(7);
  const auto random = [&rng] { return rng(); };

  std::set<TailOutcome::Kind> kinds;
  std::set<std::string> how;  // "boundary", "sector", "page", "byte"
  bool rename_persisted = false;
  bool create_only = false;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<CutState> state = builder.Replay(trace.size());
    ASSERT_TRUE(state.ok()) << state.status();
    const CrashChoice choice = builder.Sample(&*state, random);
    ASSERT_EQ(state->pending_data().size(), 2u);
    ASSERT_EQ(state->pending_meta().size(), 2u);  // create b, rename b -> c
    ASSERT_EQ(choice.outcome.size(), 2u);
    ASSERT_EQ(choice.persisted.size(), 2u);
    // The rename depends on the create: never persisted without it.
    ASSERT_FALSE(choice.persisted[1] && !choice.persisted[0]);
    rename_persisted = rename_persisted || choice.persisted[1];
    create_only = create_only || (choice.persisted[0] && !choice.persisted[1]);

    const FsImage image = builder.Build(*state, choice);
    EXPECT_EQ(image.files.count("b"),
              choice.persisted[0] && !choice.persisted[1] ? 1u : 0u);
    EXPECT_EQ(image.files.count("c"), choice.persisted[1] ? 1u : 0u);
    ASSERT_EQ(image.files.count("a"), 1u);  // durable since the SyncDir
    const std::string& a = image.files.at("a");
    ASSERT_GE(a.size(), 1000u);
    ASSERT_EQ(a.substr(0, 1000), written.substr(0, 1000))
        << "the synced part changed";

    const TailOutcome& outcome =
        state->pending_data()[0].file_id == 1
            ? state->pending_data()[0].outcomes[choice.outcome[0]]
            : state->pending_data()[1].outcomes[choice.outcome[1]];
    kinds.insert(outcome.kind);
    const std::string tail = a.substr(1000);
    switch (outcome.kind) {
      case TailOutcome::Kind::kPrefix: {
        ASSERT_EQ(a, written.substr(0, a.size()));
        const size_t end = a.size();
        if (end == 1000 || end == 4000 || end == 9000) {
          how.insert("boundary");
        } else if (end % 4096 == 0) {
          how.insert("page");
        } else if (end % 512 == 0) {
          how.insert("sector");
        } else {
          how.insert("byte");
        }
        break;
      }
      case TailOutcome::Kind::kZeroTail:
        ASSERT_EQ(tail, std::string(8000, '\0'));
        break;
      case TailOutcome::Kind::kGarbageTail: {
        ASSERT_EQ(tail.size(), 8000u);
        EXPECT_NE(tail, written.substr(1000));
        EXPECT_NE(tail, std::string(8000, '\0'));
        const std::set<char> distinct(tail.begin(), tail.end());
        EXPECT_GT(distinct.size(), 100u) << "garbage should look random";
        break;
      }
      case TailOutcome::Kind::kHole:
        ASSERT_TRUE(choice.beyond_ordered_fs);
        ASSERT_EQ(a.size(), 9000u);
        ASSERT_TRUE(a == written.substr(0, 1000) + std::string(3000, '\0') +
                             written.substr(4000))
            << "the hole must be the first unsynced append";
        break;
    }
  }
  EXPECT_EQ(kinds.size(), 4u) << "prefix, zeros, garbage and hole all drawn";
  EXPECT_EQ(how, (std::set<std::string>{"boundary", "page", "sector", "byte"}));
  EXPECT_TRUE(rename_persisted);
  EXPECT_TRUE(create_only);
}

TEST(CrashStateSampleTest, EnumerationIncludesAGarbageTail) {
  const std::vector<FsOp> trace = Trace();
  CrashStateBuilder builder(trace, kRoot, FsImage());
  absl::StatusOr<CutState> state = builder.Replay(trace.size());
  ASSERT_TRUE(state.ok()) << state.status();
  EnumerationLimits limits;
  const std::vector<CrashChoice> choices = builder.Enumerate(&*state, limits);
  bool garbage = false;
  for (const CrashChoice& c : choices) {
    for (size_t i = 0; i < c.outcome.size(); ++i) {
      const TailOutcome& o = state->pending_data()[i].outcomes[c.outcome[i]];
      if (o.kind != TailOutcome::Kind::kGarbageTail) continue;
      garbage = true;
      const FsImage image = builder.Build(*state, c);
      const std::string& a = image.files.at("a");
      if (state->pending_data()[i].file_id == 1) {
        EXPECT_EQ(a.size(), 9000u);
        EXPECT_NE(a.substr(1000), std::string(8000, '\0'));
      }
    }
  }
  EXPECT_TRUE(garbage);
  limits.garbage_tail = false;
  for (const CrashChoice& c : builder.Enumerate(&*state, limits)) {
    for (size_t i = 0; i < c.outcome.size(); ++i) {
      EXPECT_NE(state->pending_data()[i].outcomes[c.outcome[i]].kind,
                TailOutcome::Kind::kGarbageTail);
    }
  }
}

}  // namespace
}  // namespace ferrisdb::testing
