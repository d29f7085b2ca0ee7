#include "ferrisdb/statistics.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

std::vector<Ticker> AllTickers() {
  std::vector<Ticker> all;
  for (size_t i = 0; i < kNumTickers; ++i)
    all.push_back(static_cast<Ticker>(i));
  return all;
}

std::vector<HistogramType> AllHistograms() {
  std::vector<HistogramType> all;
  for (size_t i = 0; i < kNumHistogramTypes; ++i) {
    all.push_back(static_cast<HistogramType>(i));
  }
  return all;
}

TEST(StatisticsTest, StartsAtZero) {
  Statistics stats;
  for (Ticker t : AllTickers()) EXPECT_EQ(stats.GetTicker(t), 0u);
  for (HistogramType h : AllHistograms()) {
    const HistogramData d = stats.GetHistogramData(h);
    EXPECT_EQ(d.count, 0u);
    EXPECT_EQ(d.sum, 0u);
    EXPECT_EQ(d.max, 0u);
    EXPECT_EQ(d.p99, 0);
  }
}

TEST(StatisticsTest, RecordTickAddsToOneTickerOnly) {
  Statistics stats;
  stats.RecordTick(Ticker::kGets);
  stats.RecordTick(Ticker::kGets);
  stats.RecordTick(Ticker::kBytesRead, 100);
  EXPECT_EQ(stats.GetTicker(Ticker::kGets), 2u);
  EXPECT_EQ(stats.GetTicker(Ticker::kBytesRead), 100u);
  EXPECT_EQ(stats.GetTicker(Ticker::kGetHits), 0u);
}

TEST(StatisticsTest, ConcurrentRecordingGivesExactTotals) {
  constexpr int kThreads = 4;
  constexpr uint64_t kOpsPerThread = 100000;
  Statistics stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats] {
      for (uint64_t i = 1; i <= kOpsPerThread; ++i) {
        stats.RecordTick(Ticker::kGets);
        stats.RecordTick(Ticker::kBytesRead, i);
        stats.RecordLatency(HistogramType::kGetMicros, i % 1000);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(stats.GetTicker(Ticker::kGets), kThreads * kOpsPerThread);
  EXPECT_EQ(stats.GetTicker(Ticker::kBytesRead),
            kThreads * kOpsPerThread * (kOpsPerThread + 1) / 2);
  const HistogramData d = stats.GetHistogramData(HistogramType::kGetMicros);
  EXPECT_EQ(d.count, kThreads * kOpsPerThread);
  uint64_t expected_sum = 0;
  for (uint64_t i = 1; i <= kOpsPerThread; ++i) expected_sum += i % 1000;
  EXPECT_EQ(d.sum, kThreads * expected_sum);
  EXPECT_EQ(d.min, 0u);
  EXPECT_EQ(d.max, 999u);
}

TEST(StatisticsTest, HistogramPercentilesWithinDocumentedError) {
  // Uniform over 1..10000 micros: the p-th percentile is 100 * p.
  Statistics stats;
  for (uint64_t v = 1; v <= 10000; ++v) {
    stats.RecordLatency(HistogramType::kWriteMicros, v);
  }
  const HistogramData d = stats.GetHistogramData(HistogramType::kWriteMicros);
  EXPECT_EQ(d.count, 10000u);
  EXPECT_EQ(d.sum, 10000u * 10001 / 2);
  EXPECT_EQ(d.min, 1u);
  EXPECT_EQ(d.max, 10000u);
  EXPECT_DOUBLE_EQ(d.mean, 5000.5);
  const double kError = 1.0 / 16;  // statistics.h: HistogramData
  EXPECT_NEAR(d.p50, 5000, 5000 * kError);
  EXPECT_NEAR(d.p95, 9500, 9500 * kError);
  EXPECT_NEAR(d.p99, 9900, 9900 * kError);
  EXPECT_NEAR(d.p999, 9990, 9990 * kError);
  EXPECT_LE(d.p999, 10000);
}

TEST(StatisticsTest, SmallLatenciesAreExact) {
  Statistics stats;
  for (int i = 0; i < 99; ++i)
    stats.RecordLatency(HistogramType::kSeekMicros, 2);
  stats.RecordLatency(HistogramType::kSeekMicros, 7);
  const HistogramData d = stats.GetHistogramData(HistogramType::kSeekMicros);
  EXPECT_EQ(d.p50, 2);
  EXPECT_EQ(d.p99, 2);
  EXPECT_EQ(d.p999, 7);
  EXPECT_EQ(d.max, 7u);
}

TEST(StatisticsTest, HistogramsAreIndependent) {
  Statistics stats;
  stats.RecordLatency(HistogramType::kFlushMicros, 500);
  EXPECT_EQ(stats.GetHistogramData(HistogramType::kFlushMicros).count, 1u);
  EXPECT_EQ(stats.GetHistogramData(HistogramType::kCompactionMicros).count, 0u);
}

TEST(StatisticsTest, ResetZeroesEverything) {
  Statistics stats;
  for (Ticker t : AllTickers()) stats.RecordTick(t, 5);
  for (HistogramType h : AllHistograms()) stats.RecordLatency(h, 50);
  stats.Reset();
  for (Ticker t : AllTickers()) EXPECT_EQ(stats.GetTicker(t), 0u);
  for (HistogramType h : AllHistograms()) {
    const HistogramData d = stats.GetHistogramData(h);
    EXPECT_EQ(d.count, 0u);
    EXPECT_EQ(d.min, 0u);
    EXPECT_EQ(d.max, 0u);
  }
  stats.RecordLatency(HistogramType::kGetMicros, 30);
  EXPECT_EQ(stats.GetHistogramData(HistogramType::kGetMicros).min, 30u);
}

TEST(StatisticsTest, NamesAreUniqueAndPrefixed) {
  std::set<std::string_view> names;
  for (Ticker t : AllTickers()) {
    EXPECT_TRUE(TickerName(t).starts_with("ferrisdb.")) << TickerName(t);
    EXPECT_TRUE(names.insert(TickerName(t)).second) << TickerName(t);
  }
  for (HistogramType h : AllHistograms()) {
    EXPECT_TRUE(HistogramName(h).starts_with("ferrisdb.")) << HistogramName(h);
    EXPECT_TRUE(names.insert(HistogramName(h)).second) << HistogramName(h);
  }
}

TEST(StatisticsTest, NamesArePinned) {
  // Monitoring keys on these: a rename must be deliberate.
  EXPECT_EQ(TickerName(Ticker::kGetHits), "ferrisdb.get.hits");
  EXPECT_EQ(TickerName(Ticker::kWriteStops), "ferrisdb.write.stops");
  EXPECT_EQ(HistogramName(HistogramType::kGetMicros), "ferrisdb.get.micros");
  EXPECT_EQ(HistogramName(HistogramType::kWriteStallMicros),
            "ferrisdb.write.stall.micros");
}

TEST(StatisticsTest, ToStringHasEveryNameAndValue) {
  Statistics stats;
  stats.RecordTick(Ticker::kKeysWritten, 12345);
  stats.RecordLatency(HistogramType::kGetMicros, 7);
  const std::string s = stats.ToString();
  for (Ticker t : AllTickers()) {
    EXPECT_NE(s.find(std::string(TickerName(t)) + " COUNT : "),
              std::string::npos)
        << TickerName(t);
  }
  for (HistogramType h : AllHistograms()) {
    EXPECT_NE(s.find(std::string(HistogramName(h)) + " P50 : "),
              std::string::npos)
        << HistogramName(h);
  }
  EXPECT_NE(s.find("ferrisdb.keys.written COUNT : 12345\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("ferrisdb.get.micros P50 : 7.0 "), std::string::npos) << s;
}

TEST(StatisticsTest, SharedByPointerLikeOptionsDoes) {
  auto stats = std::make_shared<Statistics>();
  std::shared_ptr<Statistics> copy = stats;
  copy->RecordTick(Ticker::kFlushes);
  EXPECT_EQ(stats->GetTicker(Ticker::kFlushes), 1u);
}

}  // namespace
}  // namespace ferrisdb
