#include "compaction_crash_workload.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_impl.h"

namespace ferrisdb::compaction_crash {
namespace {

std::string Value(std::mt19937& rng, const char* tag, int i) {
  return absl::StrFormat("%s%d-%s", tag, i,
                         std::string(60 + rng() % 120, 'a' + rng() % 26));
}

}  // namespace

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

absl::Status RunSteps(DB* db, const std::vector<Step>& steps,
                      ::ferrisdb::testing::Oracle* oracle) {
  auto* impl = static_cast<DBImpl*>(db);
  for (const Step& step : steps) {
    absl::Status s;
    switch (step.kind) {
      case Step::Kind::kWrite:
        s = oracle->Write(db, {.sync = step.sync}, step.updates);
        break;
      case Step::Kind::kFlush:
        s = oracle->Flush(db);
        break;
      case Step::Kind::kCompactRange:
        // A CompactRange that returns OK has flushed every earlier write.
        s = db->CompactRange(step.begin, step.end);
        if (s.ok()) oracle->MarkDurable();
        break;
    }
    if (!s.ok()) return s;
    s = impl->TEST_WaitForCompactions();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

SequenceNumber LastSequence(DB* db) {
  return static_cast<DBImpl*>(db)->TEST_LastSequence();
}

}  // namespace ferrisdb::compaction_crash
