// Micro benchmarks of src/table: block build, block seek, table point lookups
// (hit and miss) from an in-memory file. See docs/performance.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ferrisdb/cache.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/block_builder.h"
#include "table/table_builder.h"
#include "table/table_reader.h"

namespace ferrisdb {
namespace {

class MemSink final : public WritableFile {
 public:
  absl::Status Append(std::string_view d) override {
    s.append(d);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string s;
};

// Copies into scratch like a pread-backed file (minus the system call).
class MemSource final : public RandomAccessFile {
 public:
  explicit MemSource(std::string s) : s_(std::move(s)) {}
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (offset > s_.size()) offset = s_.size();
    n = std::min<size_t>(n, s_.size() - offset);
    std::memcpy(scratch, s_.data() + offset, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }

 private:
  std::string s_;
};

std::string UserKey(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "user%012llu",
                static_cast<unsigned long long>(i));
  return buf;
}

std::string IKey(uint64_t i) {
  std::string k;
  AppendInternalKey(&k, UserKey(i), i + 1, ValueType::kValue);
  return k;
}

// Entries of about 100 bytes (24-byte internal key, 76-byte value).
std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i)
    keys.push_back(IKey(static_cast<uint64_t>(i) * 2));
  return keys;
}

void BM_BlockBuild(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(40);  // ~4 KiB block
  const std::string value(76, 'v');
  BlockBuilder builder(16);
  for (auto _ : state) {
    builder.Reset();
    for (const std::string& k : keys) builder.Add(k, value);
    benchmark::DoNotOptimize(builder.Finish());
  }
  state.SetItemsProcessed(state.iterations() * keys.size());
}
BENCHMARK(BM_BlockBuild);

void BM_BlockSeek(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(40);
  BlockBuilder builder(static_cast<int>(state.range(0)));
  for (const std::string& k : keys) builder.Add(k, std::string(76, 'v'));
  const std::string_view data = builder.Finish();
  BlockContents contents;
  contents.owned = std::make_unique<char[]>(data.size());
  std::memcpy(contents.owned.get(), data.data(), data.size());
  contents.data = std::string_view(contents.owned.get(), data.size());
  absl::StatusOr<Block> block = Block::Create(std::move(contents));
  BlockIter it(&*block, BlockKeyOrder::kInternal);
  std::mt19937 rng(1);
  for (auto _ : state) {
    it.Seek(keys[rng() % keys.size()]);
    benchmark::DoNotOptimize(it.value());
  }
}
BENCHMARK(BM_BlockSeek)->Arg(1)->Arg(16);

struct Table {
  std::unique_ptr<TableReader> reader;
  int n;
};

Table MakeTable(int n, CompressionType c, Cache* cache = nullptr) {
  TableBuildOptions o;
  o.compression = c;
  MemSink sink;
  TableBuilder b(o, &sink, "bench.sst");
  std::string value(76, 'v');
  for (int i = 0; i < n; ++i) {
    std::snprintf(value.data(), value.size(), "%d", i);
    if (!b.Add(IKey(static_cast<uint64_t>(i) * 2), value).ok()) std::abort();
  }
  if (!b.Finish().ok()) std::abort();
  const size_t size = sink.s.size();
  TableReadOptions ro;
  ro.block_cache = cache;
  auto r = TableReader::Open(ro, std::make_unique<MemSource>(std::move(sink.s)),
                             size, "bench.sst");
  if (!r.ok()) std::abort();
  return Table{std::move(*r), n};
}

// Random point lookups: hits (even keys) or misses (odd keys, so the bloom
// filter answers).
void RunTableGets(benchmark::State& state, const Table& t, bool hit) {
  std::mt19937 rng(1);
  GetResult r;
  int found = 0;
  for (auto _ : state) {
    const uint64_t k = (rng() % t.n) * 2 + (hit ? 0 : 1);
    LookupKey lk(UserKey(k), kMaxSequenceNumber);
    if (!t.reader->Get(lk, true, &r).ok()) std::abort();
    found += r.state == GetResult::State::kFound;
  }
  state.counters["found"] =
      benchmark::Counter(found, benchmark::Counter::kAvgIterations);
}

// Every lookup reads (and verifies, and maybe decompresses) its data block.
void BM_TableGet(benchmark::State& state) {
  static Table tables[2] = {MakeTable(100000, CompressionType::kNone),
                            MakeTable(100000, CompressionType::kZstd)};
  RunTableGets(state, tables[state.range(1)], state.range(0) != 0);
}
BENCHMARK(BM_TableGet)
    ->ArgNames({"hit", "zstd"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({0, 1});

// The same lookups through a block cache that holds the whole table: the
// cost of a hit without reading, verifying or decompressing a block.
void BM_TableGetCached(benchmark::State& state) {
  static std::shared_ptr<Cache> cache = NewLRUCache(size_t{256} << 20);
  static Table tables[2] = {
      MakeTable(100000, CompressionType::kNone, cache.get()),
      MakeTable(100000, CompressionType::kZstd, cache.get())};
  RunTableGets(state, tables[state.range(1)], state.range(0) != 0);
}
BENCHMARK(BM_TableGetCached)
    ->ArgNames({"hit", "zstd"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({0, 1});

void BM_TableScan(benchmark::State& state) {
  static Table t = MakeTable(100000, CompressionType::kNone);
  std::unique_ptr<InternalIterator> it = t.reader->NewIterator(true);
  it->SeekToFirst();
  for (auto _ : state) {
    if (!it->Valid()) it->SeekToFirst();
    benchmark::DoNotOptimize(it->value());
    it->Next();
  }
}
BENCHMARK(BM_TableScan);

}  // namespace
}  // namespace ferrisdb

BENCHMARK_MAIN();
