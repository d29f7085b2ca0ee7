#include "util/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

// The exact p-th percentile of sorted values: the value of rank
// ceil(n * p / 100), the smallest for p = 0.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  const double rank = std::ceil(static_cast<double>(sorted.size()) * p / 100);
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

// Checks every tested percentile of h against the exact one, within the
// documented bound: exact below 16, relative error < kMaxRelativeError above.
void ExpectPercentilesWithinBound(const Histogram& h,
                                  std::vector<uint64_t> values) {
  std::sort(values.begin(), values.end());
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9,
                   99.99, 100.0}) {
    const double exact = static_cast<double>(ExactPercentile(values, p));
    const double estimate = h.Percentile(p);
    if (exact < 16) {
      EXPECT_EQ(estimate, exact) << "p" << p;
    } else {
      EXPECT_LT(std::abs(estimate - exact),
                exact * Histogram::kMaxRelativeError)
          << "p" << p << " exact " << exact << " estimate " << estimate;
    }
  }
}

TEST(HistogramTest, EmptyReturnsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Mean(), 0);
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_EQ(h.Percentile(100), 0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v : {3, 1, 4, 1, 5, 9, 2, 6}) h.Add(v);
  EXPECT_EQ(h.count(), 8u);
  EXPECT_EQ(h.sum(), 31u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 9u);
  EXPECT_DOUBLE_EQ(h.Mean(), 31.0 / 8);
  // Sorted: 1 1 2 3 4 5 6 9.
  EXPECT_EQ(h.Percentile(0), 1);
  EXPECT_EQ(h.Percentile(25), 1);
  EXPECT_EQ(h.Percentile(50), 3);
  EXPECT_EQ(h.Percentile(75), 5);
  EXPECT_EQ(h.Percentile(87.5), 6);
  EXPECT_EQ(h.Percentile(100), 9);
}

TEST(HistogramTest, OneRepeatedValueIsExactAtEveryPercentile) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.Add(123456);
  for (double p : {0.0, 50.0, 99.9, 100.0}) {
    EXPECT_EQ(h.Percentile(p), 123456) << p;  // clamped to [min, max]
  }
}

TEST(HistogramTest, ExtremeValues) {
  Histogram h;
  h.Add(0);
  h.Add(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(h.Percentile(0), 0);
  EXPECT_EQ(h.Percentile(100),
            static_cast<double>(std::numeric_limits<uint64_t>::max()));
}

TEST(HistogramTest, UniformPercentilesWithinErrorBound) {
  Histogram h;
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 100000; ++v) {
    h.Add(v);
    values.push_back(v);
  }
  ExpectPercentilesWithinBound(h, values);
  EXPECT_NEAR(h.Percentile(50), 50000, 50000 * Histogram::kMaxRelativeError);
  EXPECT_DOUBLE_EQ(h.Mean(), 50000.5);
}

TEST(HistogramTest, SkewedPercentilesWithinErrorBound) {
  // Exponential and log-normal samples span several powers of two, like
  // latencies with a long tail.
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> exponential(1.0 / 200);
  std::lognormal_distribution<double> lognormal(5, 1.5);
  for (int shape = 0; shape < 2; ++shape) {
    Histogram h;
    std::vector<uint64_t> values;
    for (int i = 0; i < 200000; ++i) {
      const double x = shape == 0 ? exponential(rng) : lognormal(rng);
      const uint64_t v = static_cast<uint64_t>(x);
      h.Add(v);
      values.push_back(v);
    }
    SCOPED_TRACE(shape == 0 ? "exponential" : "lognormal");
    ExpectPercentilesWithinBound(h, values);
  }
}

TEST(HistogramTest, MergeEqualsAddingEverything) {
  Histogram a, b, all;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng() % 1000000;
    (i % 3 == 0 ? a : b).Add(v);
    all.Add(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 50.0, 99.0, 99.9}) {
    EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;
  }
}

TEST(HistogramTest, MergeWithEmptyChangesNothing) {
  Histogram h, empty;
  h.Add(20);
  h.Add(40);
  h.Merge(empty);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 20u);
  EXPECT_EQ(h.max(), 40u);
  empty.Merge(h);
  EXPECT_EQ(empty.count(), 2u);
  EXPECT_EQ(empty.min(), 20u);
}

TEST(HistogramTest, ClearEmpties) {
  Histogram h;
  h.Add(5);
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.Percentile(50), 0);
}

TEST(ConcurrentHistogramTest, SnapshotEqualsPlainHistogram) {
  ConcurrentHistogram c;
  Histogram plain;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    const uint64_t v = rng() % 100000;
    c.Add(v);
    plain.Add(v);
  }
  const Histogram s = c.Snapshot();
  EXPECT_EQ(s.count(), plain.count());
  EXPECT_EQ(s.sum(), plain.sum());
  EXPECT_EQ(s.min(), plain.min());
  EXPECT_EQ(s.max(), plain.max());
  EXPECT_EQ(s.Percentile(99), plain.Percentile(99));
  c.Clear();
  EXPECT_EQ(c.Snapshot().count(), 0u);
  EXPECT_EQ(c.Snapshot().min(), 0u);
}

TEST(ConcurrentHistogramTest, ConcurrentAddsAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 50000;
  ConcurrentHistogram c;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (uint64_t i = 1; i <= kPerThread; ++i) c.Add(i * (t + 1));
    });
  }
  // Snapshots while recording must stay well-formed (min <= max).
  for (int i = 0; i < 20; ++i) {
    const Histogram s = c.Snapshot();
    if (s.count() > 0) {
      EXPECT_LE(s.min(), s.max());
      EXPECT_LE(s.Percentile(50), static_cast<double>(s.max()));
    }
  }
  for (std::thread& t : threads) t.join();
  const Histogram s = c.Snapshot();
  EXPECT_EQ(s.count(), kThreads * kPerThread);
  // sum over t of (t + 1) * kPerThread * (kPerThread + 1) / 2
  EXPECT_EQ(s.sum(), (1 + 2 + 3 + 4) * kPerThread * (kPerThread + 1) / 2);
  EXPECT_EQ(s.min(), 1u);
  EXPECT_EQ(s.max(), kThreads * kPerThread);
}

}  // namespace
}  // namespace ferrisdb
