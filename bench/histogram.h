// Histogram: a log-bucketed latency histogram for the benchmark drivers
// (ferrisdb_bench, and later bench/compare against other engines).
//
// Values are unsigned integers (the drivers record nanoseconds). A value v >=
// 16 falls in a bucket keyed by its highest set bit and the next 4 bits, so a
// bucket spans at most 1/16 of its lower bound: percentiles are exact to
// about 6%, with constant memory and O(1) Add. Values below 16 are exact.
//
// Thread-safety: REQUIRES external synchronization. Give each thread its own
// Histogram and Merge them after the threads are joined.
#ifndef FERRISDB_BENCH_HISTOGRAM_H_
#define FERRISDB_BENCH_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace ferrisdb::bench {

class Histogram {
 public:
  Histogram() { Clear(); }

  void Clear();
  void Add(uint64_t value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // REQUIRES: count() > 0 for min(), max() and Mean() to be meaningful (they
  // return 0 when empty).
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;

  // The value below which `p` percent (0..100) of the values fall,
  // interpolated linearly inside the bucket and clamped to [min, max].
  // Returns 0 when empty.
  double Percentile(double p) const;

 private:
  static constexpr int kSubBucketBits = 4;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // Buckets 0..15 hold the values 0..15; then 16 sub-buckets for each highest
  // set bit from 4 to 63.
  static constexpr size_t kNumBuckets =
      kSubBuckets + (64 - kSubBucketBits) * kSubBuckets;

  static size_t BucketFor(uint64_t value);
  // The smallest value of bucket b, and one past its largest (as a double, so
  // that the last bucket's limit 2^64 is representable).
  static double BucketLow(size_t b);
  static double BucketHigh(size_t b);

  std::array<uint64_t, kNumBuckets> buckets_;
  uint64_t count_;
  uint64_t min_;
  uint64_t max_;
  double sum_;
};

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_HISTOGRAM_H_
