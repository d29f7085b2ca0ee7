// ferrisdb_bench: a db_bench-style driver. Runs the benchmarks named by
// --benchmarks, in order, against one database and prints one line per
// benchmark, then the database size, the write amplification and the peak
// memory; with --stats also the DB's own per-level compaction figures
// (GetProperty("ferrisdb.stats")), with --statistics its counters and
// latency histograms (Options::statistics). See docs/performance.md for how
// to run it and for measured figures.
//
// Uses only the public API to drive the database, so that its figures are
// what an application sees; the latency histogram is the library's
// (src/util/histogram.h).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/statistics.h"
#include "ferrisdb/version.h"
#include "util/histogram.h"

ABSL_FLAG(std::string, benchmarks,
          "fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,"
          "readreverse,seekrandom,deleterandom,readwhilewriting,fillsync",
          "Comma-separated benchmarks, run in order on the same database: "
          "fillseq, fillrandom, overwrite, readrandom, readmissing, readseq, "
          "readreverse, seekrandom, deleterandom, readwhilewriting, fillsync.");
ABSL_FLAG(int64_t, num, 1000000,
          "Number of keys (the key range is [0, num)) and of writes per "
          "write benchmark.");
ABSL_FLAG(int64_t, reads, -1,
          "Total reads per read benchmark, split across --threads; -1 means "
          "--num.");
ABSL_FLAG(int64_t, value_size, 100, "Bytes per value.");
ABSL_FLAG(int64_t, key_size, 16, "Bytes per key (zero-padded decimal).");
ABSL_FLAG(std::string, compression, "none",
          "SSTable block compression: none or zstd.");
ABSL_FLAG(int64_t, write_buffer_size, int64_t{64} << 20,
          "Options::write_buffer_size in bytes.");
ABSL_FLAG(int64_t, block_size, 4096, "Options::block_size in bytes.");
// The compaction defaults are the library's own (Options), so that a run
// without these flags measures what an application gets.
ABSL_FLAG(int64_t, target_file_size,
          static_cast<int64_t>(ferrisdb::Options().target_file_size),
          "Options::target_file_size in bytes: compaction output tables are "
          "cut at this size.");
ABSL_FLAG(int64_t, max_bytes_for_level_base,
          static_cast<int64_t>(ferrisdb::Options().max_bytes_for_level_base),
          "Options::max_bytes_for_level_base in bytes: the target size of "
          "level 1 (level L aims at base * multiplier^(L-1)).");
ABSL_FLAG(int32_t, level0_trigger,
          ferrisdb::Options().level0_file_num_compaction_trigger,
          "Options::level0_file_num_compaction_trigger: level-0 files that "
          "start a compaction into level 1 (at most the slowdown trigger).");
ABSL_FLAG(bool, stats, false,
          "After the benchmarks, before closing, print the DB's "
          "GetProperty(\"ferrisdb.stats\") (files, sizes and compaction I/O "
          "per level) and its own write amplification figure.");
ABSL_FLAG(bool, statistics, false,
          "Record a ferrisdb::Statistics (Options::statistics) and print its "
          "counters and latency histograms at the end. Recording has a small "
          "cost per operation.");
ABSL_FLAG(int32_t, bloom_bits, 10, "Options::bloom_bits_per_key (0: none).");
ABSL_FLAG(bool, mmap_reads, true,
          "Options::use_mmap_reads: read tables through memory mappings.");
ABSL_FLAG(int64_t, cache_mb, 64, "Options::block_cache_capacity in MiB.");
ABSL_FLAG(int32_t, threads, 1,
          "Reader threads of the read benchmarks and of readwhilewriting.");
ABSL_FLAG(bool, sync, false, "WriteOptions::sync for every write.");
ABSL_FLAG(std::string, db, "",
          "Database directory. Empty: a fresh temporary directory, destroyed "
          "at exit unless --keep_db. A named directory is destroyed at start "
          "unless --use_existing_db, and kept at exit.");
ABSL_FLAG(bool, use_existing_db, false,
          "Open the database in --db as it is (its keys must be in "
          "[0, num)).");
ABSL_FLAG(bool, keep_db, false, "Keep the temporary database at exit.");
ABSL_FLAG(bool, histogram, false,
          "Print latency percentiles (microseconds) per benchmark.");
ABSL_FLAG(uint64_t, seed, 301, "Seed of the key order and of the value bytes.");
ABSL_FLAG(std::string, progress, "auto",
          "Progress line on stderr: auto (only on a terminal), always, never.");

namespace ferrisdb::bench {
namespace {

// Ops between updates of the shared progress counter, so that workers do not
// contend on its cache line.
constexpr uint64_t kProgressBatch = 1024;

struct Config {
  std::vector<std::string> benchmarks;
  uint64_t num = 0;
  uint64_t reads = 0;
  size_t value_size = 0;
  size_t key_size = 0;
  int threads = 1;
  bool sync = false;
  bool histogram = false;
  uint64_t seed = 0;
  bool progress = false;
  std::string db_path;
  bool temporary_db = false;
  bool use_existing_db = false;
  bool keep_db = false;
  bool print_stats = false;  // --stats
  // options.statistics is set by --statistics.
  Options options;
  std::string compression_name;
};

[[noreturn]] void Fail(std::string_view message) {
  std::fprintf(stderr, "ferrisdb_bench: %.*s\n",
               static_cast<int>(message.size()), message.data());
  std::exit(1);
}

void CheckOk(const absl::Status& status, std::string_view what) {
  if (!status.ok()) Fail(std::string(what) + ": " + status.ToString());
}

// What one worker thread measured.
struct ThreadStats {
  uint64_t ops = 0;
  uint64_t bytes = 0;  // key + value bytes moved
  uint64_t found = 0;
  Histogram latency;  // nanoseconds, only with --histogram
};

// Times single operations for the histogram (only when enabled: reading the
// clock twice per operation costs ~40 ns) and feeds the progress counter.
class OpRecorder {
 public:
  OpRecorder(bool histogram, ThreadStats* stats, std::atomic<uint64_t>* done)
      : histogram_(histogram), stats_(stats), done_(done) {}
  ~OpRecorder() {
    if (pending_ != 0) done_->fetch_add(pending_, std::memory_order_relaxed);
  }

  void Start() {
    if (histogram_) start_ = NowNanos();
  }
  void Finish() {
    if (histogram_) stats_->latency.Add(NowNanos() - start_);
    ++stats_->ops;
    if (++pending_ == kProgressBatch) {
      // Relaxed: the counter is only displayed by the progress meter.
      done_->fetch_add(pending_, std::memory_order_relaxed);
      pending_ = 0;
    }
  }

 private:
  const bool histogram_;
  ThreadStats* const stats_;
  std::atomic<uint64_t>* const done_;
  uint64_t start_ = 0;
  uint64_t pending_ = 0;
};

struct BenchResult {
  double seconds = 0;
  ThreadStats total;
  std::string extra;
  bool report_bytes = true;
};

class Benchmark {
 public:
  Benchmark(Config config, std::unique_ptr<DB> db)
      : config_(std::move(config)), db_(std::move(db)) {}

  // Runs one benchmark by name and prints its line(s). Returns false for an
  // unknown name.
  bool Run(const std::string& name);

  uint64_t user_bytes_written() const { return user_bytes_written_; }
  absl::StatusOr<std::string> GetProperty(std::string_view name) {
    return db_->GetProperty(name);
  }
  void CloseDB() { db_.reset(); }

 private:
  using Body = std::function<void(int thread, ThreadStats*, OpRecorder*)>;

  // Runs body on `threads` threads started together; returns the wall time
  // from the common start to the last thread's end and the merged stats.
  BenchResult RunThreads(const std::string& name, int threads,
                         uint64_t expected_ops, const Body& body);
  void Report(const std::string& name, const BenchResult& result);

  // The seed of thread `thread` of the benchmark run `run`: distinct per
  // benchmark and thread, reproducible from --seed.
  uint64_t SeedFor(int thread) const {
    return config_.seed * 1000003 + run_index_ * 1009 +
           static_cast<uint64_t>(thread);
  }
  // Reads per thread: the total split evenly, the first threads taking one
  // more when it does not divide.
  uint64_t ReadsFor(int thread, int threads) const {
    const uint64_t n = static_cast<uint64_t>(threads);
    return config_.reads / n +
           (static_cast<uint64_t>(thread) < config_.reads % n ? 1 : 0);
  }

  BenchResult Fill(const std::string& name, uint64_t count, bool sequential,
                   bool sync);
  BenchResult DeleteRandom(const std::string& name);
  BenchResult ReadRandom(const std::string& name, bool missing);
  BenchResult ReadScan(const std::string& name, bool reverse);
  BenchResult SeekRandom(const std::string& name);
  BenchResult ReadWhileWriting(const std::string& name);

  // Writes random keys at full speed until *stop; returns ops and user bytes.
  void WriteUntil(const std::atomic<bool>* stop, uint64_t seed, uint64_t* ops,
                  uint64_t* bytes);

  const Config config_;
  std::unique_ptr<DB> db_;
  uint64_t run_index_ = 0;
  uint64_t user_bytes_written_ = 0;
};

bool Benchmark::Run(const std::string& name) {
  ++run_index_;
  BenchResult result;
  const uint64_t num = config_.num;
  if (name == "fillseq") {
    result = Fill(name, num, /*sequential=*/true, config_.sync);
  } else if (name == "fillrandom" || name == "overwrite") {
    result = Fill(name, num, /*sequential=*/false, config_.sync);
  } else if (name == "fillsync") {
    const uint64_t count = num / 1000 > 0 ? num / 1000 : 1;
    result = Fill(name, count, /*sequential=*/false, /*sync=*/true);
  } else if (name == "deleterandom") {
    result = DeleteRandom(name);
  } else if (name == "readrandom") {
    result = ReadRandom(name, /*missing=*/false);
  } else if (name == "readmissing") {
    result = ReadRandom(name, /*missing=*/true);
  } else if (name == "readseq") {
    result = ReadScan(name, /*reverse=*/false);
  } else if (name == "readreverse") {
    result = ReadScan(name, /*reverse=*/true);
  } else if (name == "seekrandom") {
    result = SeekRandom(name);
  } else if (name == "readwhilewriting") {
    result = ReadWhileWriting(name);
  } else {
    return false;
  }
  Report(name, result);
  return true;
}

BenchResult Benchmark::RunThreads(const std::string& name, int threads,
                                  uint64_t expected_ops, const Body& body) {
  std::vector<ThreadStats> stats(static_cast<size_t>(threads));
  std::atomic<uint64_t> done{0};
  // Release/acquire: the workers spin on go and then start; the main thread
  // reads the clock just before releasing them.
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  workers.reserve(stats.size());
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ThreadStats* mine = &stats[static_cast<size_t>(t)];
      OpRecorder recorder(config_.histogram, mine, &done);
      ready.fetch_add(1, std::memory_order_acq_rel);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t, mine, &recorder);
    });
  }
  while (ready.load(std::memory_order_acquire) < threads) {
    std::this_thread::yield();
  }
  BenchResult result;
  {
    ProgressMeter progress(config_.progress, name, expected_ops, &done);
    const uint64_t start = NowNanos();
    go.store(true, std::memory_order_release);
    for (std::thread& worker : workers) worker.join();
    result.seconds = static_cast<double>(NowNanos() - start) / 1e9;
  }
  for (const ThreadStats& s : stats) {
    result.total.ops += s.ops;
    result.total.bytes += s.bytes;
    result.total.found += s.found;
    result.total.latency.Merge(s.latency);
  }
  return result;
}

BenchResult Benchmark::Fill(const std::string& name, uint64_t count,
                            bool sequential, bool sync) {
  WriteOptions write_options;
  write_options.sync = sync;
  BenchResult result = RunThreads(
      name, 1, count, [&](int thread, ThreadStats* stats, OpRecorder* rec) {
        Random64 random(SeedFor(thread));
        KeyFormatter keys(config_.key_size);
        ValueGenerator values(config_.seed, config_.value_size);
        for (uint64_t i = 0; i < count; ++i) {
          const uint64_t k = sequential ? i : random.Uniform(config_.num);
          const std::string_view key = keys.Key(k);
          const std::string_view value = values.Next();
          rec->Start();
          CheckOk(db_->Put(write_options, key, value), name);
          rec->Finish();
          stats->bytes += key.size() + value.size();
        }
      });
  user_bytes_written_ += result.total.bytes;
  result.extra =
      absl::StrFormat("(%d ops%s)", result.total.ops, sync ? ", sync" : "");
  return result;
}

BenchResult Benchmark::DeleteRandom(const std::string& name) {
  WriteOptions write_options;
  write_options.sync = config_.sync;
  BenchResult result = RunThreads(
      name, 1, config_.num,
      [&](int thread, ThreadStats* stats, OpRecorder* rec) {
        Random64 random(SeedFor(thread));
        KeyFormatter keys(config_.key_size);
        for (uint64_t i = 0; i < config_.num; ++i) {
          const std::string_view key = keys.Key(random.Uniform(config_.num));
          rec->Start();
          CheckOk(db_->Delete(write_options, key), name);
          rec->Finish();
          stats->bytes += key.size();
        }
      });
  user_bytes_written_ += result.total.bytes;
  result.report_bytes = false;
  result.extra = absl::StrFormat("(%d deletes)", result.total.ops);
  return result;
}

BenchResult Benchmark::ReadRandom(const std::string& name, bool missing) {
  const ReadOptions read_options;
  BenchResult result = RunThreads(
      name, config_.threads, config_.reads,
      [&](int thread, ThreadStats* stats, OpRecorder* rec) {
        Random64 random(SeedFor(thread));
        KeyFormatter keys(config_.key_size);
        const uint64_t reads = ReadsFor(thread, config_.threads);
        for (uint64_t i = 0; i < reads; ++i) {
          const uint64_t k = random.Uniform(config_.num);
          const std::string_view key =
              missing ? keys.MissingKey(k) : keys.Key(k);
          rec->Start();
          absl::StatusOr<std::string> value = db_->Get(read_options, key);
          rec->Finish();
          if (value.ok()) {
            ++stats->found;
            stats->bytes += key.size() + value->size();
          } else if (!absl::IsNotFound(value.status())) {
            CheckOk(value.status(), name);
          }
        }
      });
  result.report_bytes = !missing;
  result.extra =
      absl::StrFormat("(%d of %d found)", result.total.found, result.total.ops);
  return result;
}

BenchResult Benchmark::ReadScan(const std::string& name, bool reverse) {
  const ReadOptions read_options;
  BenchResult result = RunThreads(
      name, config_.threads,
      config_.num * static_cast<uint64_t>(config_.threads),
      [&](int, ThreadStats* stats, OpRecorder* rec) {
        std::unique_ptr<Iterator> it = db_->NewIterator(read_options);
        rec->Start();
        if (reverse) {
          it->SeekToLast();
        } else {
          it->SeekToFirst();
        }
        while (it->Valid()) {
          stats->bytes += it->key().size() + it->value().size();
          rec->Finish();
          rec->Start();
          if (reverse) {
            it->Prev();
          } else {
            it->Next();
          }
        }
        CheckOk(it->status(), name);
      });
  result.extra =
      absl::StrFormat("(%d entries%s)", result.total.ops,
                      config_.threads > 1 ? " over all threads" : "");
  return result;
}

BenchResult Benchmark::SeekRandom(const std::string& name) {
  const ReadOptions read_options;
  BenchResult result = RunThreads(
      name, config_.threads, config_.reads,
      [&](int thread, ThreadStats* stats, OpRecorder* rec) {
        Random64 random(SeedFor(thread));
        KeyFormatter keys(config_.key_size);
        std::unique_ptr<Iterator> it = db_->NewIterator(read_options);
        const uint64_t reads = ReadsFor(thread, config_.threads);
        for (uint64_t i = 0; i < reads; ++i) {
          const std::string_view key = keys.Key(random.Uniform(config_.num));
          rec->Start();
          it->Seek(key);
          if (it->Valid()) {
            stats->bytes += it->key().size() + it->value().size();
            if (it->key() == key) ++stats->found;
          }
          rec->Finish();
        }
        CheckOk(it->status(), name);
      });
  result.extra =
      absl::StrFormat("(%d of %d found)", result.total.found, result.total.ops);
  return result;
}

void Benchmark::WriteUntil(const std::atomic<bool>* stop, uint64_t seed,
                           uint64_t* ops, uint64_t* bytes) {
  WriteOptions write_options;
  write_options.sync = config_.sync;
  Random64 random(seed);
  KeyFormatter keys(config_.key_size);
  ValueGenerator values(config_.seed, config_.value_size);
  // Acquire pairs with the readers' release of stop; any order would do, as
  // only the flag itself is communicated.
  while (!stop->load(std::memory_order_acquire)) {
    const std::string_view key = keys.Key(random.Uniform(config_.num));
    const std::string_view value = values.Next();
    CheckOk(db_->Put(write_options, key, value), "readwhilewriting writer");
    ++*ops;
    *bytes += key.size() + value.size();
  }
}

BenchResult Benchmark::ReadWhileWriting(const std::string& name) {
  std::atomic<bool> stop{false};
  uint64_t writer_ops = 0;
  uint64_t writer_bytes = 0;
  const uint64_t writer_start = NowNanos();
  std::thread writer(
      [&] { WriteUntil(&stop, SeedFor(-1), &writer_ops, &writer_bytes); });
  BenchResult result = ReadRandom(name, /*missing=*/false);
  stop.store(true, std::memory_order_release);
  writer.join();
  const double writer_seconds =
      static_cast<double>(NowNanos() - writer_start) / 1e9;
  user_bytes_written_ += writer_bytes;
  result.extra += absl::StrFormat(
      " (writer: %d puts, %.0f puts/s)", writer_ops,
      writer_seconds > 0 ? static_cast<double>(writer_ops) / writer_seconds
                         : 0.0);
  return result;
}

void Benchmark::Report(const std::string& name, const BenchResult& result) {
  const ThreadStats& total = result.total;
  const double ops_per_second =
      result.seconds > 0 ? static_cast<double>(total.ops) / result.seconds : 0;
  const double micros_per_op =
      total.ops > 0 ? result.seconds * 1e6 / static_cast<double>(total.ops) : 0;
  std::string rate = "       -    ";
  if (result.report_bytes && result.seconds > 0) {
    rate = absl::StrFormat("%8.1f MB/s", static_cast<double>(total.bytes) /
                                             1048576.0 / result.seconds);
  }
  std::printf("%-17s %11.0f ops/s %10.3f micros/op %s  %s\n", name.c_str(),
              ops_per_second, micros_per_op, rate.c_str(),
              result.extra.c_str());
  if (config_.histogram && total.latency.count() > 0) {
    const Histogram& h = total.latency;
    std::printf(
        "%-17s latency us: p50 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max "
        "%.2f  mean %.2f\n",
        "", h.Percentile(50) / 1e3, h.Percentile(95) / 1e3,
        h.Percentile(99) / 1e3, h.Percentile(99.9) / 1e3,
        static_cast<double>(h.max()) / 1e3, h.Mean() / 1e3);
  }
  std::fflush(stdout);
}

// The DB's own write amplification as "ferrisdb.stats" states it ("...
// write amplification: 2.31"), or nullopt if the text has no such figure.
// The text is meant for people; this is the one figure the summary repeats.
std::optional<double> WriteAmpOfStats(const std::string& stats) {
  static constexpr std::string_view kLabel = "write amplification: ";
  const size_t at = stats.find(kLabel);
  if (at == std::string::npos) return std::nullopt;
  const char* begin = stats.c_str() + at + kLabel.size();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  return value;
}

Config ParseConfig() {
  Config config;
  // absl::string_view is not std::string_view in Debian's abseil.
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_benchmarks),
                                               ',', absl::SkipEmpty())) {
    config.benchmarks.emplace_back(name.data(), name.size());
  }
  // Checked up front, so that a typo does not surface after a long run.
  static constexpr std::string_view kKnown[] = {
      "fillseq",      "fillrandom",       "overwrite",   "readrandom",
      "readmissing",  "readseq",          "readreverse", "seekrandom",
      "deleterandom", "readwhilewriting", "fillsync"};
  for (const std::string& name : config.benchmarks) {
    if (std::find(std::begin(kKnown), std::end(kKnown), name) ==
        std::end(kKnown)) {
      Fail(absl::StrCat("unknown benchmark '", name, "' in --benchmarks"));
    }
  }
  const int64_t num = absl::GetFlag(FLAGS_num);
  const int64_t reads = absl::GetFlag(FLAGS_reads);
  const int64_t value_size = absl::GetFlag(FLAGS_value_size);
  const int64_t key_size = absl::GetFlag(FLAGS_key_size);
  const int32_t threads = absl::GetFlag(FLAGS_threads);
  if (num <= 0) Fail("--num must be positive");
  if (value_size < 0 || static_cast<uint64_t>(value_size) > kMaxValueSize) {
    Fail("--value_size is out of range");
  }
  if (key_size <= 0 || static_cast<uint64_t>(key_size) > kMaxKeySize) {
    Fail("--key_size is out of range");
  }
  if (static_cast<size_t>(key_size) <
      KeyFormatter::DigitsOf(static_cast<uint64_t>(num - 1))) {
    Fail(absl::StrFormat("--key_size=%d is too small for --num=%d", key_size,
                         num));
  }
  if (threads <= 0) Fail("--threads must be positive");
  config.num = static_cast<uint64_t>(num);
  config.reads = reads < 0 ? config.num : static_cast<uint64_t>(reads);
  config.value_size = static_cast<size_t>(value_size);
  config.key_size = static_cast<size_t>(key_size);
  config.threads = threads;
  config.sync = absl::GetFlag(FLAGS_sync);
  config.histogram = absl::GetFlag(FLAGS_histogram);
  config.seed = absl::GetFlag(FLAGS_seed);
  std::optional<ProgressMeter::Mode> progress =
      ProgressMeter::ParseMode(absl::GetFlag(FLAGS_progress));
  if (!progress.has_value()) Fail("--progress must be auto, always or never");
  config.progress = ProgressMeter::Enabled(*progress);
  config.use_existing_db = absl::GetFlag(FLAGS_use_existing_db);
  config.keep_db = absl::GetFlag(FLAGS_keep_db);
  config.db_path = absl::GetFlag(FLAGS_db);

  config.compression_name = absl::GetFlag(FLAGS_compression);
  if (config.compression_name == "none") {
    config.options.compression = CompressionType::kNone;
  } else if (config.compression_name == "zstd") {
    config.options.compression = CompressionType::kZstd;
  } else {
    Fail("--compression must be none or zstd");
  }
  const int64_t write_buffer_size = absl::GetFlag(FLAGS_write_buffer_size);
  const int64_t block_size = absl::GetFlag(FLAGS_block_size);
  const int64_t cache_mb = absl::GetFlag(FLAGS_cache_mb);
  if (write_buffer_size <= 0 || block_size <= 0 || cache_mb < 0 ||
      absl::GetFlag(FLAGS_bloom_bits) < 0) {
    Fail(
        "--write_buffer_size, --block_size, --cache_mb and --bloom_bits "
        "must not be negative");
  }
  config.options.write_buffer_size = static_cast<size_t>(write_buffer_size);
  config.options.block_size = static_cast<size_t>(block_size);
  config.options.bloom_bits_per_key = absl::GetFlag(FLAGS_bloom_bits);
  config.options.use_mmap_reads = absl::GetFlag(FLAGS_mmap_reads);
  config.options.block_cache_capacity = static_cast<size_t>(cache_mb) << 20;

  // DB::Open checks the level-0 triggers against each other.
  const int64_t target_file_size = absl::GetFlag(FLAGS_target_file_size);
  const int64_t level_base = absl::GetFlag(FLAGS_max_bytes_for_level_base);
  const int32_t level0_trigger = absl::GetFlag(FLAGS_level0_trigger);
  if (target_file_size <= 0 || level_base <= 0 || level0_trigger <= 0) {
    Fail(
        "--target_file_size, --max_bytes_for_level_base and --level0_trigger "
        "must be positive");
  }
  config.options.target_file_size = static_cast<uint64_t>(target_file_size);
  config.options.max_bytes_for_level_base = static_cast<uint64_t>(level_base);
  config.options.level0_file_num_compaction_trigger = level0_trigger;
  config.print_stats = absl::GetFlag(FLAGS_stats);
  if (absl::GetFlag(FLAGS_statistics)) {
    config.options.statistics = std::make_shared<Statistics>();
  }
  config.options.create_if_missing = true;
  return config;
}

void PrintHeader(const Config& config) {
  const MachineInfo machine = ReadMachineInfo();
  std::printf("FerrisDB:    version %s\n", FERRISDB_VERSION_STRING);
  std::printf("Date:        %s\n", NowUtc().c_str());
  std::printf("CPU:         %d * %s\n", machine.cpu_count,
              machine.cpu_model.c_str());
  std::printf("Memory:      %.1f GiB\n",
              static_cast<double>(machine.memory_bytes) / (1u << 30));
  std::printf("Load avg:    %s (1/5/15 min, at start)\n",
              LoadAverage().c_str());
  std::printf("DB:          %s%s\n", config.db_path.c_str(),
              config.temporary_db ? " (temporary)" : "");
  std::printf("File system: %s\n", FileSystemOf(config.db_path).c_str());
  std::printf("Keys:        %zu bytes each, %" PRIu64 " in the key range\n",
              config.key_size, config.num);
  std::printf("Values:      %zu bytes each (half compressible, seed %" PRIu64
              ")\n",
              config.value_size, config.seed);
  std::printf("Entries:     %" PRIu64 " writes, %" PRIu64
              " reads per benchmark, %d reader thread(s)\n",
              config.num, config.reads, config.threads);
  std::printf(
      "Options:     write_buffer_size=%zu compression=%s block_size=%zu "
      "bloom_bits=%d cache=%zu MiB sync=%s mmap_reads=%s\n",
      config.options.write_buffer_size, config.compression_name.c_str(),
      config.options.block_size, config.options.bloom_bits_per_key,
      config.options.block_cache_capacity >> 20,
      config.sync ? "true" : "false",
      config.options.use_mmap_reads ? "true" : "false");
  const Options& o = config.options;
  std::printf(
      "Compaction:  leveled, level0_trigger=%d (slowdown at %d, stop at %d "
      "files) max_bytes_for_level_base=%" PRIu64
      " multiplier=%g target_file_size=%" PRIu64
      " pending_compaction_bytes soft=%" PRIu64 " hard=%" PRIu64 "\n",
      o.level0_file_num_compaction_trigger, o.level0_slowdown_writes_trigger,
      o.level0_stop_writes_trigger, o.max_bytes_for_level_base,
      o.max_bytes_for_level_multiplier, o.target_file_size,
      o.soft_pending_compaction_bytes_limit,
      o.hard_pending_compaction_bytes_limit);
  std::printf(
      "Background:  1 flush thread, 1 compaction thread (fixed); "
      "statistics=%s stats=%s\n",
      o.statistics != nullptr ? "on" : "off",
      config.print_stats ? "on" : "off");
#ifndef NDEBUG
  std::printf(
      "WARNING:     assertions are enabled; figures are not "
      "representative\n");
#endif
#ifndef __OPTIMIZE__
  std::printf(
      "WARNING:     built without optimization; figures are not "
      "representative\n");
#endif
  std::printf("------------------------------------------------\n");
  std::fflush(stdout);
}

int Main() {
  Config config = ParseConfig();
  if (config.db_path.empty()) {
    if (config.use_existing_db) Fail("--use_existing_db needs --db");
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                     "/ferrisdb_bench.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      Fail(absl::StrCat("cannot create a temporary directory from ", pattern));
    }
    config.db_path = pattern;
    config.temporary_db = true;
  } else if (!config.use_existing_db) {
    CheckOk(DestroyDB(config.db_path, config.options),
            absl::StrCat("DestroyDB ", config.db_path));
  }

  PrintHeader(config);
  const DirectoryUsage size_before = MeasureDirectory(config.db_path);
  const std::optional<ProcessIo> io_before = ReadProcessIo();

  absl::StatusOr<std::unique_ptr<DB>> db =
      DB::Open(config.options, config.db_path);
  CheckOk(db.status(), absl::StrCat("DB::Open ", config.db_path));
  Benchmark benchmark(config, *std::move(db));
  for (const std::string& name : config.benchmarks) {
    if (!benchmark.Run(name)) {
      std::fprintf(stderr, "ferrisdb_bench: unknown benchmark '%s'\n",
                   name.c_str());
    }
  }
  // Taken before closing: background compactions may still be running, and
  // the figures are those of the moment.
  std::optional<double> db_write_amp;
  if (config.print_stats) {
    absl::StatusOr<std::string> stats = benchmark.GetProperty("ferrisdb.stats");
    CheckOk(stats.status(), "GetProperty(\"ferrisdb.stats\")");
    std::printf("------------------------------------------------\n");
    std::printf("ferrisdb.stats (after the benchmarks, before closing):\n%s",
                stats->c_str());
    db_write_amp = WriteAmpOfStats(*stats);
  }
  // Closing hands buffered log data to the OS, so that it is counted below.
  benchmark.CloseDB();

  const std::optional<ProcessIo> io_after = ReadProcessIo();
  const DirectoryUsage size_after = MeasureDirectory(config.db_path);
  const double user_bytes = static_cast<double>(benchmark.user_bytes_written());
  std::printf("------------------------------------------------\n");
  std::printf(
      "DB size:     %.1f MiB in %" PRIu64 " files (sum of file sizes)\n",
      static_cast<double>(size_after.bytes) / 1048576.0, size_after.files);
  std::printf(
      "User data:   %.1f MiB written (keys + values of puts, keys of "
      "deletes)\n",
      user_bytes / 1048576.0);
  if (user_bytes > 0) {
    const double growth = static_cast<double>(size_after.bytes) -
                          static_cast<double>(size_before.bytes);
    if (io_before.has_value() && io_after.has_value()) {
      std::printf(
          "Write amp:   %.2f (storage write_bytes of /proc/self/io / user "
          "bytes; %.2f by write(2) bytes, wchar)\n",
          static_cast<double>(io_after->write_bytes - io_before->write_bytes) /
              user_bytes,
          static_cast<double>(io_after->wchar - io_before->wchar) / user_bytes);
    } else {
      std::printf("Write amp:   /proc/self/io is unreadable\n");
    }
    if (config.print_stats) {
      if (db_write_amp.has_value()) {
        std::printf(
            "Write amp:   %.2f by the DB's own count (ferrisdb.stats before "
            "closing: (log + table bytes) / encoded user batch bytes)\n",
            *db_write_amp);
      } else {
        std::printf("Write amp:   ferrisdb.stats states no figure\n");
      }
    }
    std::printf("Space amp:   %.2f (growth of the DB directory / user bytes)\n",
                growth / user_bytes);
  }
  std::printf("Peak RSS:    %.1f MiB (VmHWM)\n",
              static_cast<double>(PeakRssBytes()) / 1048576.0);
  std::printf("Load avg:    %s (1/5/15 min, at end)\n", LoadAverage().c_str());
  if (config.options.statistics != nullptr) {
    std::printf("------------------------------------------------\n");
    const std::string text = config.options.statistics->ToString();
    std::printf("Statistics (Options::statistics, after closing):\n%s%s",
                text.c_str(), !text.empty() && text.back() != '\n' ? "\n" : "");
  }

  if (config.temporary_db) {
    if (config.keep_db) {
      std::printf("Kept:        %s\n", config.db_path.c_str());
    } else {
      CheckOk(DestroyDB(config.db_path, config.options),
              absl::StrCat("DestroyDB ", config.db_path));
    }
  }
  return 0;
}

}  // namespace
}  // namespace ferrisdb::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "db_bench-style benchmark driver for FerrisDB; see docs/performance.md");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::fprintf(stderr, "ferrisdb_bench: unexpected argument '%s'\n",
                 positional[1]);
    return 1;
  }
  return ferrisdb::bench::Main();
}
