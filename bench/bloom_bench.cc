// Micro benchmarks of the blocked bloom filter (src/table/bloom.h): adding
// keys, building a whole filter, and probing it with member keys (hits) and
// non-member keys (misses, almost all rejected). Keys are 16 bytes, stored
// contiguously; each key's line is random, so probes of large filters miss
// the CPU caches as real lookups would. Record
// figures in docs/performance.md.
//
//   bloom_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "table/bloom.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

constexpr int kBitsPerKey = 10;

constexpr size_t kKeySize = 16;

// n distinct 16-byte keys stored back to back, so that walking them is a
// sequential read and the benchmark measures the filter, not key fetches.
class KeySet {
 public:
  KeySet(size_t n, uint64_t tag) {
    std::vector<uint64_t> order(n);
    for (uint64_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(tag));
    for (uint64_t i : order) {
      PutFixed64(&data_, tag);
      PutFixed64(&data_, i);
    }
  }
  size_t size() const { return data_.size() / kKeySize; }
  std::string_view operator[](size_t i) const {
    return std::string_view(data_).substr(i * kKeySize, kKeySize);
  }

 private:
  std::string data_;
};

// One AddKey per iteration; the builder is finished (untimed) every n keys.
void BM_BloomAddKey(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const KeySet keys(n, 1);
  BloomFilterBuilder builder(kBitsPerKey);
  size_t i = 0;
  for (auto _ : state) {
    builder.AddKey(keys[i]);
    if (++i == n) {
      state.PauseTiming();
      benchmark::DoNotOptimize(builder.Finish());
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BloomAddKey)->Arg(10000)->Arg(1000000);

// n AddKey calls and Finish per iteration; items/s is keys per second.
void BM_BloomBuild(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const KeySet keys(n, 2);
  BloomFilterBuilder builder(kBitsPerKey);
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) builder.AddKey(keys[i]);
    std::string filter = builder.Finish();
    benchmark::DoNotOptimize(filter.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_BloomBuild)->Arg(10000)->Arg(1000000);

// KeyMayMatch (hash + probe) per iteration. range(1): 1 = member keys.
void BM_BloomKeyMayMatch(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const bool hits = state.range(1) == 1;
  const KeySet members(n, 3);
  BloomFilterBuilder builder(kBitsPerKey);
  for (size_t i = 0; i < n; ++i) builder.AddKey(members[i]);
  const std::string filter = builder.Finish();
  const BloomFilterReader reader = BloomFilterReader::Open(filter).value();
  const KeySet non_members(n, 4);
  const KeySet& probes = hits ? members : non_members;
  size_t i = 0;
  uint64_t matches = 0;
  for (auto _ : state) {
    matches += reader.KeyMayMatch(probes[i]) ? 1 : 0;
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(matches);
  state.counters["match_rate"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_BloomKeyMayMatch)
    ->ArgNames({"keys", "hit"})
    ->Args({10000, 1})
    ->Args({10000, 0})
    ->Args({1000000, 1})
    ->Args({1000000, 0});

}  // namespace
}  // namespace ferrisdb

BENCHMARK_MAIN();
