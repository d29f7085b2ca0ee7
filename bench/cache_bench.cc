// Micro benchmarks of the sharded LRU block cache (src/table/lru_cache.h):
// the hit path (Lookup + Value + Release) from 1 and 2 threads, with one
// shard (every thread on one lock) and with 16 shards. 10,000 keys of 16
// bytes, all resident. Record figures in docs/performance.md.
//
//   cache_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ferrisdb/cache.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

constexpr size_t kNumKeys = 10000;

void NoopDeleter(std::string_view, void*) {}

struct Fixture {
  explicit Fixture(int shard_bits)
      : cache(NewLRUCache(size_t{64} << 20, shard_bits)) {
    for (uint64_t i = 0; i < kNumKeys; ++i) {
      std::string key;
      PutFixed64(&key, 7);
      PutFixed64(&key, i * 4096);
      cache->Release(cache->Insert(key, reinterpret_cast<void*>(i + 1), 4096,
                                   &NoopDeleter));
      keys.push_back(std::move(key));
    }
  }
  std::shared_ptr<Cache> cache;
  std::vector<std::string> keys;
};

// Made once per shard count and shared by the benchmark's threads
// (function-local statics: thread-safe initialization).
Fixture& GetFixture(int shard_bits) {
  static Fixture one_shard(0);
  static Fixture sixteen_shards(4);
  return shard_bits == 0 ? one_shard : sixteen_shards;
}

void BM_CacheLookupHit(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  // Threads walk the keys from different starting points with a stride
  // coprime to kNumKeys, so consecutive lookups hit different shards.
  size_t i = static_cast<size_t>(state.thread_index()) * 4999;
  uint64_t sum = 0;
  for (auto _ : state) {
    Cache::Handle* h = f.cache->Lookup(f.keys[i % kNumKeys]);
    sum += reinterpret_cast<uintptr_t>(f.cache->Value(h));
    f.cache->Release(h);
    i += 7919;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CacheLookupHit)
    ->ArgName("shard_bits")
    ->Arg(0)
    ->Arg(4)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// Insert of a new key into a full cache: one eviction per insert.
void BM_CacheInsertEvict(benchmark::State& state) {
  auto cache = NewLRUCache(size_t{4} << 20, 0);
  std::string key;
  uint64_t n = 0;
  for (auto _ : state) {
    key.clear();
    PutFixed64(&key, 9);
    PutFixed64(&key, n++);
    cache->Release(cache->Insert(key, nullptr, 4096, &NoopDeleter));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CacheInsertEvict);

}  // namespace
}  // namespace ferrisdb

// --mutex_deadlock_detection=0 turns off abseil's deadlock detection, which
// Debian's abseil (built without NDEBUG) runs on every Mutex::Lock.
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--mutex_deadlock_detection=0") {
      absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
      argv[i--] = argv[--argc];
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
