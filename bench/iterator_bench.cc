// Micro benchmarks of the internal iterators: one step (Next, or Prev) of a
// merging iterator over N children whose keys interleave (child i holds every
// N-th key), so each step moves to another child. The children are in-memory
// sorted vectors, so the figure is the merge's own cost. Record figures in
// docs/performance.md.
//
//   iterator_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/merging_iterator.h"
#include "memtable/internal_key.h"
#include "util/internal_iterator.h"

namespace ferrisdb {
namespace {

// Entries over all children together.
constexpr uint64_t kTotalEntries = 1 << 16;
constexpr size_t kValueSize = 100;

// 16 lowercase hex digits: bytewise order equals numeric order.
std::string FormatUserKey(uint64_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key(16, '0');
  for (int i = 15; i >= 0; --i) {
    key[i] = kHex[n & 0xf];
    n >>= 4;
  }
  return key;
}

// Iterates a sorted vector of (internal key, value) pairs it shares.
class SortedVectorIterator final : public InternalIterator {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  explicit SortedVectorIterator(std::shared_ptr<const Entries> entries)
      : entries_(std::move(entries)), pos_(entries_->size()) {}

  bool Valid() const override { return pos_ < entries_->size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override {
    pos_ = entries_->empty() ? entries_->size() : entries_->size() - 1;
  }
  void Seek(std::string_view target) override {
    pos_ = static_cast<size_t>(
        std::lower_bound(entries_->begin(), entries_->end(), target,
                         [](const auto& e, std::string_view t) {
                           return CompareInternalKeys(e.first, t) < 0;
                         }) -
        entries_->begin());
  }
  void SeekForPrev(std::string_view target) override {
    const size_t after = static_cast<size_t>(
        std::upper_bound(entries_->begin(), entries_->end(), target,
                         [](std::string_view t, const auto& e) {
                           return CompareInternalKeys(t, e.first) < 0;
                         }) -
        entries_->begin());
    pos_ = after == 0 ? entries_->size() : after - 1;
  }
  void Next() override { ++pos_; }
  void Prev() override { pos_ = pos_ == 0 ? entries_->size() : pos_ - 1; }
  std::string_view key() const override { return (*entries_)[pos_].first; }
  std::string_view value() const override { return (*entries_)[pos_].second; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  const std::shared_ptr<const Entries> entries_;
  size_t pos_;  // entries_->size() when not valid
};

// kTotalEntries keys dealt round-robin to num_children sorted vectors.
std::vector<std::shared_ptr<const SortedVectorIterator::Entries>> MakeChildren(
    int num_children) {
  std::vector<SortedVectorIterator::Entries> children(num_children);
  const std::string value(kValueSize, 'v');
  for (uint64_t i = 0; i < kTotalEntries; ++i) {
    std::string key;
    AppendInternalKey(&key, FormatUserKey(i), i + 1, ValueType::kValue);
    children[i % num_children].emplace_back(std::move(key), value);
  }
  std::vector<std::shared_ptr<const SortedVectorIterator::Entries>> result;
  for (auto& c : children) {
    result.push_back(
        std::make_shared<const SortedVectorIterator::Entries>(std::move(c)));
  }
  return result;
}

std::unique_ptr<InternalIterator> NewMergedChildren(int num_children) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (auto& entries : MakeChildren(num_children)) {
    iters.push_back(std::make_unique<SortedVectorIterator>(std::move(entries)));
  }
  return NewMergingIterator(std::move(iters));
}

// One Next per iteration; wraps around at the end (outside the timing).
void BM_MergingIteratorNext(benchmark::State& state) {
  std::unique_ptr<InternalIterator> iter =
      NewMergedChildren(static_cast<int>(state.range(0)));
  iter->SeekToFirst();
  for (auto _ : state) {
    if (!iter->Valid()) {
      state.PauseTiming();
      iter->SeekToFirst();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(iter->key().data());
    iter->Next();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MergingIteratorNext)->Arg(2)->Arg(8)->Arg(32)->ArgName("children");

// One Prev per iteration.
void BM_MergingIteratorPrev(benchmark::State& state) {
  std::unique_ptr<InternalIterator> iter =
      NewMergedChildren(static_cast<int>(state.range(0)));
  iter->SeekToLast();
  for (auto _ : state) {
    if (!iter->Valid()) {
      state.PauseTiming();
      iter->SeekToLast();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(iter->key().data());
    iter->Prev();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MergingIteratorPrev)->Arg(2)->Arg(8)->Arg(32)->ArgName("children");

// Seek to a random key, then 16 Next: a short range scan.
void BM_MergingIteratorSeekAndScan(benchmark::State& state) {
  std::unique_ptr<InternalIterator> iter =
      NewMergedChildren(static_cast<int>(state.range(0)));
  std::string target;
  uint64_t i = 0;
  for (auto _ : state) {
    // A multiplicative hash spreads the seeks over the key space.
    const uint64_t n = (i++ * 0x9e37'79b9'7f4a'7c15) % kTotalEntries;
    target.clear();
    AppendInternalKey(&target, FormatUserKey(n), kMaxSequenceNumber,
                      kValueTypeForSeek);
    iter->Seek(target);
    for (int step = 0; step < 16 && iter->Valid(); ++step) iter->Next();
    benchmark::DoNotOptimize(iter->Valid());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MergingIteratorSeekAndScan)
    ->Arg(2)
    ->Arg(8)
    ->Arg(32)
    ->ArgName("children");

}  // namespace
}  // namespace ferrisdb

BENCHMARK_MAIN();
