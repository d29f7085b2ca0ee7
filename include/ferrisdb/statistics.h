// Statistics: counters ("tickers") and latency histograms a DB records while
// it runs, for monitoring and tuning. Opt-in: make one and set it in
// Options::statistics; a DB without one records nothing and pays nothing.
//
//   auto stats = std::make_shared<ferrisdb::Statistics>();
//   options.statistics = stats;
//   ... open the DB, run ...
//   uint64_t hits = stats->GetTicker(ferrisdb::Ticker::kGetHits);
//   ferrisdb::HistogramData get = stats->GetHistogramData(
//       ferrisdb::HistogramType::kGetMicros);
//   std::puts(stats->ToString().c_str());
//
// One Statistics may be shared by several DBs; it then sums their activity.
// Values are cumulative since construction or the last Reset().
//
// Thread-safe: every method may be called concurrently. Recording is
// lock-free and never allocates. Reads are not atomic across counters: a
// snapshot taken while a DB runs may show a Get counted in kGets but not yet
// in kGetHits. Once recording has stopped, every read is exact.
#ifndef FERRISDB_STATISTICS_H_
#define FERRISDB_STATISTICS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ferrisdb {

// Counters. The names (TickerName) are stable and meant for monitoring
// systems; the numeric values are not, and may change between releases.
enum class Ticker : uint32_t {
  // ---- User writes (Put, Delete, Write) ----
  // Bytes of user writes: the encoded size of each written WriteBatch
  // (WriteBatch::ApproximateSize(): keys, values and small per-entry
  // headers; no WAL framing).
  kBytesWritten,
  // Entries (Puts and Deletes) in user writes.
  kKeysWritten,

  // ---- Reads ----
  // Get calls.
  kGets,
  // Get calls that found a value.
  kGetHits,
  // Get calls that found no value (absent or deleted). kGets is
  // kGetHits + kGetMisses + Gets that failed with an error.
  kGetMisses,
  // Bytes of the values Get returned.
  kBytesRead,
  // Iterator positionings: Seek, SeekForPrev, SeekToFirst, SeekToLast.
  kIteratorSeeks,
  // Iterator Next steps.
  kIteratorNexts,
  // Iterator Prev steps.
  kIteratorPrevs,

  // ---- Write-ahead log ----
  // Bytes appended to WAL files, framing included.
  kWalBytes,
  // Syncs of WAL files.
  kWalSyncs,

  // ---- Flushes and compactions ----
  // Memtables flushed to level-0 tables.
  kFlushes,
  // Bytes of the table files written by flushes.
  kFlushBytesWritten,
  // Compactions run, trivial moves excluded.
  kCompactions,
  // Bytes of the input tables read by compactions.
  kCompactionBytesRead,
  // Bytes of the output tables written by compactions.
  kCompactionBytesWritten,
  // Compactions done by moving one file to the next level without rewriting.
  kTrivialMoves,

  // ---- Write throttling ----
  // Total microseconds user writes spent stalled (slowed down or stopped).
  kWriteStallMicros,
  // Writes that were delayed because compaction fell behind.
  kWriteSlowdowns,
  // Writes that waited for a flush or compaction before they could proceed.
  kWriteStops,
};
// Number of Ticker values. Keep it equal to the last one plus one.
inline constexpr size_t kNumTickers =
    static_cast<size_t>(Ticker::kWriteStops) + 1;

// Latency distributions, each in microseconds. Names (HistogramName) are
// stable, numeric values are not.
enum class HistogramType : uint32_t {
  // One Get call, from entry to return.
  kGetMicros,
  // One user write (Put, Delete, Write), including any stall and the WAL.
  kWriteMicros,
  // One iterator positioning (the calls counted by Ticker::kIteratorSeeks).
  kSeekMicros,
  // One memtable flush, from start to the table installed.
  kFlushMicros,
  // One compaction (trivial moves excluded), from start to install.
  kCompactionMicros,
  // One stall of a user write (each slowdown or stop).
  kWriteStallMicros,
};
// Number of HistogramType values. Keep it equal to the last one plus one.
inline constexpr size_t kNumHistogramTypes =
    static_cast<size_t>(HistogramType::kWriteStallMicros) + 1;

// The stable name of a ticker, e.g. "ferrisdb.get.hits". The view is of a
// static string. REQUIRES: ticker is a declared Ticker.
std::string_view TickerName(Ticker ticker);
// The stable name of a histogram, e.g. "ferrisdb.get.micros". The view is of
// a static string. REQUIRES: type is a declared HistogramType.
std::string_view HistogramName(HistogramType type);

// A snapshot of one histogram. All zero when nothing was recorded.
// Percentiles are estimates: for values >= 16 they are within 1/16 (6.25%)
// of the exact value, below 16 they are exact; they always lie in
// [min, max].
struct HistogramData {
  uint64_t count = 0;
  uint64_t sum = 0;
  uint64_t min = 0;
  uint64_t max = 0;
  double mean = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double p999 = 0;  // 99.9th percentile
};

// Thread-safe. Not copyable or movable: DBs hold it by shared_ptr.
class Statistics {
 public:
  Statistics();
  ~Statistics();
  Statistics(const Statistics&) = delete;
  Statistics& operator=(const Statistics&) = delete;

  // Adds count to a ticker. Lock-free (one relaxed atomic add).
  void RecordTick(Ticker ticker, uint64_t count = 1);
  // The ticker's total.
  uint64_t GetTicker(Ticker ticker) const;

  // Adds one sample of `micros` to a histogram. Lock-free, no allocation.
  void RecordLatency(HistogramType type, uint64_t micros);
  // A snapshot of one histogram.
  HistogramData GetHistogramData(HistogramType type) const;

  // Zeroes every ticker and histogram. Recording concurrent with Reset may
  // be partly kept.
  void Reset();

  // Every ticker and histogram, one per line, by name:
  //   ferrisdb.get.hits COUNT : 42
  //   ferrisdb.get.micros P50 : 1.0 P95 : 3.2 P99 : 7.9 P99.9 : 21.0
  //       MIN : 0 MAX : 40 MEAN : 1.4 COUNT : 42 SUM : 60
  // (the histogram on one line). The format is for people; programs should
  // use GetTicker and GetHistogramData.
  std::string ToString() const;

 private:
  struct Rep;
  const std::unique_ptr<Rep> rep_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_STATISTICS_H_
