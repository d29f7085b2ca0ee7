// Micro benchmarks of the skiplist and the memtable: inserts with sequential
// and random keys, lookups that hit and miss. Memtable keys are 16 bytes,
// values 100 bytes. Record figures in docs/performance.md.
//
//   memtable_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "memtable/skiplist.h"
#include "util/arena.h"

namespace ferrisdb {
namespace {

constexpr size_t kKeySize = 16;
constexpr size_t kValueSize = 100;
// Insert benchmarks start a new table after this many entries, so a long run
// measures tables of realistic size (~64 MiB memtable) rather than one huge
// table.
constexpr uint64_t kEntriesPerTable = 400000;

// A bijection on uint64 that scatters consecutive inputs (splitmix64's
// finalizer): random keys without repeats.
uint64_t Scatter(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58'476d'1ce4'e5b9;
  x = (x ^ (x >> 27)) * 0x94d0'49bb'1331'11eb;
  return x ^ (x >> 31);
}

// 16 lowercase hex digits: bytewise order equals numeric order.
void FormatKey(uint64_t n, char* key) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    key[i] = kHex[n & 0xf];
    n >>= 4;
  }
}

struct U64Comparator {
  int operator()(uint64_t a, uint64_t b) const {
    return a < b ? -1 : (a > b ? 1 : 0);
  }
};
using U64List = SkipList<uint64_t, U64Comparator>;

// A fresh arena and list.
struct ListHolder {
  Arena arena;
  U64List list{U64Comparator(), &arena};
  uint64_t size = 0;
};

void BM_SkipListInsert(benchmark::State& state) {
  const bool random = state.range(0) != 0;
  auto holder = std::make_unique<ListHolder>();
  uint64_t i = 0;
  for (auto _ : state) {
    if (holder->size == kEntriesPerTable) {
      state.PauseTiming();
      holder = std::make_unique<ListHolder>();
      state.ResumeTiming();
    }
    holder->list.Insert(random ? Scatter(i) : i);
    ++holder->size;
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(random ? "random" : "sequential");
}
BENCHMARK(BM_SkipListInsert)->Arg(0)->Arg(1)->ArgName("random");

void BM_SkipListContains(benchmark::State& state) {
  const bool hit = state.range(0) != 0;
  const auto n = static_cast<uint64_t>(state.range(1));
  ListHolder holder;
  // Even indices are present; odd ones are the misses.
  for (uint64_t i = 0; i < n; ++i) holder.list.Insert(Scatter(2 * i));
  uint64_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    const uint64_t index = Scatter(i++ ^ 0x5555) % n;
    found += holder.list.Contains(Scatter(2 * index + (hit ? 0 : 1)));
  }
  if (found != (hit ? static_cast<int64_t>(state.iterations()) : 0)) {
    state.SkipWithError("unexpected lookup result");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SkipListContains)
    ->ArgNames({"hit", "n"})
    ->Args({1, 100000})
    ->Args({0, 100000})
    ->Args({1, 1000000})
    ->Args({0, 1000000});

// A Ref'd memtable that is Unref'd on destruction.
struct MemTableHolder {
  MemTableHolder() : mem(new MemTable()) { mem->Ref(); }
  ~MemTableHolder() { mem->Unref(); }
  MemTableHolder(const MemTableHolder&) = delete;
  MemTableHolder& operator=(const MemTableHolder&) = delete;
  MemTable* mem;
};

void BM_MemTableAdd(benchmark::State& state) {
  const bool random = state.range(0) != 0;
  const std::string value(kValueSize, 'v');
  char key[kKeySize];
  auto holder = std::make_unique<MemTableHolder>();
  uint64_t i = 0;
  SequenceNumber seq = 0;
  for (auto _ : state) {
    if (holder->mem->num_entries() == kEntriesPerTable) {
      state.PauseTiming();
      holder = std::make_unique<MemTableHolder>();
      state.ResumeTiming();
    }
    FormatKey(random ? Scatter(i) : i, key);
    holder->mem->Add(++seq, ValueType::kValue, std::string_view(key, kKeySize),
                     value);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * (kKeySize + kValueSize)));
  state.SetLabel(random ? "random" : "sequential");
}
BENCHMARK(BM_MemTableAdd)->Arg(0)->Arg(1)->ArgName("random");

void BM_MemTableGet(benchmark::State& state) {
  const bool hit = state.range(0) != 0;
  const auto n = static_cast<uint64_t>(state.range(1));
  const std::string value(kValueSize, 'v');
  char key[kKeySize];
  MemTableHolder holder;
  for (uint64_t i = 0; i < n; ++i) {
    FormatKey(Scatter(2 * i), key);
    holder.mem->Add(i + 1, ValueType::kValue, std::string_view(key, kKeySize),
                    value);
  }
  std::string out;
  out.reserve(kValueSize);
  uint64_t i = 0;
  int64_t found = 0;
  for (auto _ : state) {
    const uint64_t index = Scatter(i++ ^ 0x5555) % n;
    FormatKey(Scatter(2 * index + (hit ? 0 : 1)), key);
    const LookupKey lookup(std::string_view(key, kKeySize), n);
    found += holder.mem->Get(lookup, &out) == MemTable::GetResult::kFound;
  }
  if (found != (hit ? static_cast<int64_t>(state.iterations()) : 0)) {
    state.SkipWithError("unexpected lookup result");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MemTableGet)
    ->ArgNames({"hit", "n"})
    ->Args({1, 100000})
    ->Args({0, 100000})
    ->Args({1, 400000})
    ->Args({0, 400000});

void BM_MemTableScan(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  const std::string value(kValueSize, 'v');
  char key[kKeySize];
  MemTableHolder holder;
  for (uint64_t i = 0; i < n; ++i) {
    FormatKey(Scatter(i), key);
    holder.mem->Add(i + 1, ValueType::kValue, std::string_view(key, kKeySize),
                    value);
  }
  std::unique_ptr<InternalIterator> it = holder.mem->NewIterator();
  it->SeekToFirst();
  for (auto _ : state) {
    if (!it->Valid()) it->SeekToFirst();
    benchmark::DoNotOptimize(it->key().data());
    benchmark::DoNotOptimize(it->value().data());
    it->Next();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MemTableScan)->Arg(400000)->ArgName("n");

}  // namespace
}  // namespace ferrisdb

BENCHMARK_MAIN();
