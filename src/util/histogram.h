// Log-bucketed histograms of unsigned integers (latencies in micro- or
// nanoseconds, sizes): constant memory, O(1) Add, percentiles with a bounded
// relative error. Used by Statistics (include/ferrisdb/statistics.h) and by
// the benchmark drivers in bench/.
//
// Buckets: a value v < 16 has a bucket of its own, so it is counted exactly.
// A value v >= 16 falls in a bucket keyed by its highest set bit and the next
// 4 bits; such a bucket holds the integers [low, low + width) with
// width <= low / 16. A percentile is interpolated inside the bucket that holds
// the value of that rank, so it is off from the exact value by less than that
// bucket's width: by at most kMaxRelativeError of the value for v >= 16, and
// not at all for v < 16.
//
// Two flavours share the layout:
//   Histogram            REQUIRES: external synchronization. Plain counters;
//                        give each thread its own and Merge them afterwards.
//   ConcurrentHistogram  Thread-safe and lock-free: relaxed atomic buckets;
//                        Snapshot() copies it into a Histogram to read it.
#ifndef FERRISDB_UTIL_HISTOGRAM_H_
#define FERRISDB_UTIL_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ferrisdb {

// REQUIRES: external synchronization.
class Histogram {
 public:
  // Bound on |Percentile(p) - exact p-th value| / exact value, for exact
  // values >= 16 (smaller ones are exact).
  static constexpr double kMaxRelativeError = 1.0 / 16;

  Histogram() { Clear(); }

  void Clear();
  void Add(uint64_t value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // Sum of the values added; wraps around past 2^64.
  uint64_t sum() const { return sum_; }
  // min(), max() and Mean() return 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;

  // The value below which `p` percent (0..100) of the values fall,
  // interpolated linearly inside its bucket (see the error bound above) and
  // clamped to [min(), max()]. Returns 0 when empty.
  double Percentile(double p) const;

 private:
  friend class ConcurrentHistogram;

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
  // The smallest and the largest value of bucket b, as integers.
  static uint64_t BucketFirstValue(size_t b);
  static uint64_t BucketLastValue(size_t b);

  std::array<uint64_t, kNumBuckets> buckets_;
  uint64_t count_;
  uint64_t min_;
  uint64_t max_;
  uint64_t sum_;
};

// Thread-safe: Add, Snapshot and Clear may run concurrently. Add is lock-free
// and never allocates: two relaxed fetch_adds (bucket, sum) and two relaxed
// loads (min, max), plus a compare-exchange only when the value is a new
// minimum or maximum.
//
// Relaxed order everywhere: the counters order no other memory. A Snapshot
// taken while Adds run may see an Add's bucket but not yet its sum (or the
// reverse); once the Adds are done (e.g. the recording threads are joined),
// a Snapshot is exact. Clear concurrent with Add may keep part of an Add.
class ConcurrentHistogram {
 public:
  ConcurrentHistogram() { Clear(); }
  ConcurrentHistogram(const ConcurrentHistogram&) = delete;
  ConcurrentHistogram& operator=(const ConcurrentHistogram&) = delete;

  void Add(uint64_t value);
  // A copy of the counts; its count() is the sum of the buckets copied.
  Histogram Snapshot() const;
  void Clear();

 private:
  std::array<std::atomic<uint64_t>, Histogram::kNumBuckets> buckets_;
  std::atomic<uint64_t> sum_;
  std::atomic<uint64_t> min_;
  std::atomic<uint64_t> max_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_HISTOGRAM_H_
