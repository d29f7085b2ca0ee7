#include "util/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace ferrisdb {

void Histogram::Clear() {
  buckets_.fill(0);
  count_ = 0;
  min_ = std::numeric_limits<uint64_t>::max();
  max_ = 0;
  sum_ = 0;
}

size_t Histogram::BucketFor(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int top = std::bit_width(value) - 1;  // >= kSubBucketBits
  const int shift = top - kSubBucketBits;
  const uint64_t sub = (value >> shift) & (kSubBuckets - 1);
  return kSubBuckets + static_cast<size_t>(shift) * kSubBuckets +
         static_cast<size_t>(sub);
}

double Histogram::BucketLow(size_t b) {
  if (b < kSubBuckets) return static_cast<double>(b);
  const size_t shift = (b - kSubBuckets) / kSubBuckets;
  const size_t sub = (b - kSubBuckets) % kSubBuckets;
  return std::ldexp(static_cast<double>(kSubBuckets + sub),
                    static_cast<int>(shift));
}

double Histogram::BucketHigh(size_t b) {
  if (b < kSubBuckets) return static_cast<double>(b) + 1;
  const size_t shift = (b - kSubBuckets) / kSubBuckets;
  return BucketLow(b) + std::ldexp(1.0, static_cast<int>(shift));
}

uint64_t Histogram::BucketFirstValue(size_t b) {
  if (b < kSubBuckets) return b;
  const size_t shift = (b - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (b - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::BucketLastValue(size_t b) {
  if (b < kSubBuckets) return b;
  const size_t shift = (b - kSubBuckets) / kSubBuckets;
  // Added last so that the top bucket ends at 2^64 - 1 without overflow.
  return BucketFirstValue(b) + ((uint64_t{1} << shift) - 1);
}

void Histogram::Add(uint64_t value) {
  ++buckets_[BucketFor(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::Merge(const Histogram& other) {
  for (size_t b = 0; b < kNumBuckets; ++b) buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0
                     : static_cast<double>(sum_) / static_cast<double>(count_);
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const double threshold = static_cast<double>(count_) * (p / 100.0);
  double cumulative = 0;
  for (size_t b = 0; b < kNumBuckets; ++b) {
    if (buckets_[b] == 0) continue;
    const double in_bucket = static_cast<double>(buckets_[b]);
    if (cumulative + in_bucket >= threshold) {
      // The value of rank ceil(threshold) lies in this bucket, among the
      // integers [low, high - 1]; interpolating over that same range keeps
      // the estimate within the bucket's width of it, and makes a bucket of
      // one integer (every value below 16) exact.
      const double fraction = (threshold - cumulative) / in_bucket;
      const double low = BucketLow(b);
      const double value = low + fraction * (BucketHigh(b) - 1 - low);
      return std::clamp(value, static_cast<double>(min_),
                        static_cast<double>(max_));
    }
    cumulative += in_bucket;
  }
  return static_cast<double>(max_);
}

void ConcurrentHistogram::Add(uint64_t value) {
  buckets_[Histogram::BucketFor(value)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  // Loads first: after warm-up a value is rarely a new extreme, so the common
  // case writes neither line.
  uint64_t seen = min_.load(std::memory_order_relaxed);
  while (value < seen &&
         !min_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
  seen = max_.load(std::memory_order_relaxed);
  while (value > seen &&
         !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

Histogram ConcurrentHistogram::Snapshot() const {
  Histogram h;
  for (size_t b = 0; b < Histogram::kNumBuckets; ++b) {
    h.buckets_[b] = buckets_[b].load(std::memory_order_relaxed);
    h.count_ += h.buckets_[b];
  }
  h.sum_ = sum_.load(std::memory_order_relaxed);
  h.min_ = min_.load(std::memory_order_relaxed);
  h.max_ = max_.load(std::memory_order_relaxed);
  if (h.count_ > 0) {
    // A racing Add may have counted its bucket before updating min_/max_.
    // Keep them within the nonempty buckets, so that Percentile's clamp range
    // is never empty; when no Add races, the true extremes already are.
    size_t first = 0;
    while (h.buckets_[first] == 0) ++first;
    size_t last = Histogram::kNumBuckets - 1;
    while (h.buckets_[last] == 0) --last;
    const uint64_t lo = Histogram::BucketFirstValue(first);
    const uint64_t hi = Histogram::BucketLastValue(last);
    h.min_ = std::clamp(h.min_, lo, hi);
    h.max_ = std::clamp(h.max_, lo, hi);
    if (h.min_ > h.max_) {
      h.min_ = lo;
      h.max_ = hi;
    }
  }
  return h;
}

void ConcurrentHistogram::Clear() {
  for (std::atomic<uint64_t>& b : buckets_) {
    b.store(0, std::memory_order_relaxed);
  }
  sum_.store(0, std::memory_order_relaxed);
  min_.store(std::numeric_limits<uint64_t>::max(), std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

}  // namespace ferrisdb
