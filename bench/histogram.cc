#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace ferrisdb::bench {

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

void Histogram::Add(uint64_t value) {
  ++buckets_[BucketFor(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t b = 0; b < kNumBuckets; ++b) buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_);
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const double threshold = static_cast<double>(count_) * (p / 100.0);
  double cumulative = 0;
  for (size_t b = 0; b < kNumBuckets; ++b) {
    if (buckets_[b] == 0) continue;
    const double in_bucket = static_cast<double>(buckets_[b]);
    if (cumulative + in_bucket >= threshold) {
      const double fraction = (threshold - cumulative) / in_bucket;
      const double value =
          BucketLow(b) + fraction * (BucketHigh(b) - BucketLow(b));
      return std::clamp(value, static_cast<double>(min_),
                        static_cast<double>(max_));
    }
    cumulative += in_bucket;
  }
  return static_cast<double>(max_);
}

}  // namespace ferrisdb::bench
