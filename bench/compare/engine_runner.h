// EngineRunner: the workloads of ferrisdb_compare, run against one engine
// through the Engine interface (engine.h), with the keys and values of
// bench_util so that every engine sees the same data. Per run:
//   1. fillseq into a fresh database;
//   2. a fresh database: fillrandom, overwrite, Flush, close and reopen (so
//      that reads hit tables, not only the memtable), then readrandom,
//      readmissing, readseq, seekrandom; then close (the database size is
//      measured here), reopen, and readwhilewriting: one thread reads random
//      keys while another overwrites random keys as fast as it can.
// Every operation of the benchmarks other than readseq is timed on its own
// for the latency percentiles (the same per-call cost, two clock reads, for
// every engine).
#ifndef FERRISDB_BENCH_COMPARE_ENGINE_RUNNER_H_
#define FERRISDB_BENCH_COMPARE_ENGINE_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine.h"

namespace ferrisdb {
class Histogram;  // util/histogram.h
}  // namespace ferrisdb

namespace ferrisdb::bench {

// Every benchmark, in the order they run.
inline constexpr std::string_view kAllBenchmarks[] = {
    "fillseq",     "fillrandom", "overwrite",  "readrandom",
    "readmissing", "readseq",    "seekrandom", "readwhilewriting"};

// The extra throughput figure of readwhilewriting: the writes per second of
// its writer thread while the reads ran.
inline constexpr std::string_view kReadWhileWritingWrites =
    "readwhilewriting (writes)";

// The latency percentiles each timed benchmark reports, in microseconds.
inline constexpr double kLatencyPercentiles[] = {50, 99, 99.9};

// What to run; the same for every engine.
struct Workload {
  std::vector<std::string> benchmarks;  // a subset of kAllBenchmarks
  uint64_t num = 0;  // keys in [0, num), and ops per benchmark
  size_t key_size = 0;
  size_t value_size = 0;
  uint64_t seed = 0;      // of the key orders and the value bytes
  bool progress = false;  // a progress line on stderr
  // Print FerrisDB's "ferrisdb.stats" to stderr after each fill.
  bool ferrisdb_stats = false;
  // Leave the fillrandom database (<engine>_random) in the DB root after
  // the run, for inspection (sst_dump), instead of removing it.
  bool keep_db = false;
};

// What one engine run measured.
struct EngineRun {
  std::map<std::string, double> ops_per_second;
  // Microseconds: LatencyKey(benchmark, percentile) -> that percentile.
  std::map<std::string, double> latency_us;
  // Keys found (entries for readseq): must agree across engines.
  std::map<std::string, uint64_t> found;
  double db_bytes = 0;
  double db_files = 0;
  double write_amp = -1;  // write_bytes / user bytes; -1: unreadable
  double wchar_amp = -1;  // wchar / user bytes
  // Set around EngineRunner::Run by the child process that runs the engine
  // (ferrisdb_compare.cc), not by the runner:
  double peak_rss = 0;  // bytes: VmHWM of the child, at its end
  // bytes: the largest RssAnon sampled during the run (no file pages)
  double peak_anon_rss = 0;
  double start_rss = 0;  // bytes: VmRSS of the child before the engine
};

// The key of EngineRun::latency_us for benchmark at percentile, e.g.
// "readrandom p99".
std::string LatencyKey(std::string_view benchmark, double percentile);

// Runs the workload against one engine in directories under root (created
// fresh, removed after use). Any failure (an engine error, a missing key
// found, a directory that cannot be removed) ends the process with a message
// on stderr: a comparison with a failed run is void.
// REQUIRES: workload and engine outlive the runner; external synchronization.
class EngineRunner {
 public:
  EngineRunner(const Workload& workload, Engine* engine, std::string root,
               int repeat)
      : workload_(workload),
        engine_(engine),
        root_(std::move(root)),
        repeat_(repeat) {}

  // Runs the benchmarks of the workload, in the order of kAllBenchmarks.
  EngineRun Run();

 private:
  bool Wanted(const std::string& name) const;
  // The seed of benchmark `name`: the same for every engine and repeat.
  uint64_t SeedFor(const std::string& name) const;
  void Record(const std::string& name, uint64_t ops, uint64_t start_nanos);
  // Keeps the percentiles of latencies (nanoseconds) as name's.
  void RecordLatency(const std::string& name, const Histogram& latencies);
  // With --ferrisdb_stats, prints FerrisDB's own statistics text to stderr
  // (stdout is the report, which may be csv or json).
  void MaybePrintStats(const std::string& after);
  std::string Fresh(const std::string& leaf);

  void Fill(const std::string& name, bool sequential, bool timed);
  // workload_.num Gets of random keys in name's order (keys never written
  // if missing), each timed into *latencies, with the progress line. Stops
  // at the first error; returns the number of keys found.
  absl::StatusOr<uint64_t> TimedRandomGets(const std::string& name,
                                           bool missing, Histogram* latencies);
  void ReadRandom(const std::string& name, bool missing);
  void ReadSeq(const std::string& name);
  void SeekRandom(const std::string& name);
  void ReadWhileWriting(const std::string& name);

  const Workload& workload_;
  Engine* const engine_;
  const std::string root_;
  const int repeat_;  // 1-based, for --ferrisdb_stats
  EngineRun run_;
  uint64_t user_bytes_ = 0;
};

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_COMPARE_ENGINE_RUNNER_H_
