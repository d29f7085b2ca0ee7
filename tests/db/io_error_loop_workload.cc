#include "io_error_loop_workload.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "env/io_error.h"

namespace ferrisdb::io_error_loop {

std::string Key(int i) { return absl::StrFormat("k%03d", i); }

const char* StepName(Step::Kind kind) {
  switch (kind) {
    case Step::Kind::kOpen:
      return "open";
    case Step::Kind::kWrite:
      return "write";
    case Step::Kind::kFlush:
      return "flush";
    case Step::Kind::kCompactRange:
      return "compact-range";
    case Step::Kind::kRead:
      return "read";
    case Step::Kind::kClose:
      return "close";
  }
  return "?";
}

Options LoopOptions(Env* env) {
  Options options;
  options.env = env;
  options.write_buffer_size = 4 << 10;
  options.target_file_size = 4 << 10;
  options.level0_file_num_compaction_trigger = 2;
  options.max_bytes_for_level_base = 16 << 10;
  options.compression = CompressionType::kNone;
  options.block_size = 1024;
  return options;
}

namespace {

void AddWrites(std::mt19937& rng, int n, const char* tag, int delete_pct,
               std::vector<Step>* steps) {
  for (int i = 0; i < n; ++i) {
    Step s;
    // One in five is a batch of 2..4 updates.
    const int updates = rng() % 5 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
    for (int u = 0; u < updates; ++u) {
      std::string key = Key(static_cast<int>(rng() % kNumKeys));
      if (static_cast<int>(rng() % 100) < delete_pct) {
        s.updates.push_back({std::move(key), std::nullopt});
      } else {
        // Unique values, so a value seen after recovery names its write.
        s.updates.push_back(
            {std::move(key),
             absl::StrFormat("%s%d.%d-%s", tag, i, u,
                             std::string(70 + rng() % 60, 'a' + rng() % 26))});
      }
    }
    s.sync = rng() % 8 == 0;
    steps->push_back(std::move(s));
  }
}

}  // namespace

std::vector<Step> MakeSequence(uint32_t seed, int scale) {
  std::mt19937 rng(seed);
  std::vector<Step> steps;
  auto add = [&steps](Step::Kind kind) {
    Step s;
    s.kind = kind;
    steps.push_back(std::move(s));
  };
  add(Step::Kind::kOpen);  // of a fresh DB
  AddWrites(rng, 45 * scale, "a", 15, &steps);
  add(Step::Kind::kFlush);
  AddWrites(rng, 20 * scale, "b", 35, &steps);
  add(Step::Kind::kRead);
  add(Step::Kind::kCompactRange);
  AddWrites(rng, 8 * scale, "c", 25, &steps);
  add(Step::Kind::kClose);
  add(Step::Kind::kOpen);
  AddWrites(rng, 10 * scale, "d", 25, &steps);
  steps.back().sync = true;
  add(Step::Kind::kRead);
  add(Step::Kind::kClose);
  return steps;
}

absl::Status InjectedError(const ErrorKind& kind) {
  return internal::IOError("injected", "I/O fault", kind.err);
}

}  // namespace ferrisdb::io_error_loop
