// ferrisdb_compare: runs the same workloads, with the same keys, values and
// settings, against FerrisDB, RocksDB and LevelDB in turn and prints one
// table. Per engine and repeat it runs the workloads of engine_runner.h in a
// child process of its own (child_process.h), which sends its figures back
// (child_message.h), so that no engine inherits another's memory and each
// peak RSS is one engine's. The driver itself never creates an engine or a
// thread: even the header's engine descriptions come from short-lived
// children. Engines are interleaved within each repeat; the report shows the
// median of the repeats. Keys and values come from bench_util with the same
// seeds for every engine, and every engine gets the same settings
// (EngineSettings, including the leveled-compaction shape), which the header
// prints with each engine's effective values. The output formats are in
// report.h. See docs/performance.md.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "child_message.h"
#include "child_process.h"
#include "engine.h"
#include "engine_runner.h"
#include "ferrisdb/options.h"
#include "report.h"

ABSL_FLAG(std::string, benchmarks,
          "fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,"
          "seekrandom,readwhilewriting",
          "Comma-separated subset of: fillseq, fillrandom, overwrite, "
          "readrandom, readmissing, readseq, seekrandom, readwhilewriting. "
          "They always run in this order; the reads need the fillrandom "
          "database, which is loaded (untimed) if fillrandom itself is not "
          "asked for. readwhilewriting: one thread reads --num random keys "
          "while another overwrites fillrandom's keys as fast as it can; its "
          "row is the reads per second, the next row the writes per second.");
ABSL_FLAG(int64_t, num, 1000000,
          "Keys in the key range [0, num), writes per write benchmark and "
          "reads per read benchmark.");
ABSL_FLAG(int64_t, value_size, 100, "Bytes per value.");
ABSL_FLAG(int64_t, key_size, 16, "Bytes per key (zero-padded decimal).");
ABSL_FLAG(std::string, engines, "ferrisdb,rocksdb,leveldb",
          "Comma-separated engines, run in this order in each repeat.");
ABSL_FLAG(int32_t, repeats, 1, "Repeats; the report shows medians.");
ABSL_FLAG(std::string, compression, "none",
          "Block compression: none or zstd (level 1). LevelDB has no zstd "
          "and then runs with none.");
ABSL_FLAG(int64_t, write_buffer_size, int64_t{64} << 20,
          "Memtable bytes before a flush, every engine.");
ABSL_FLAG(int64_t, block_size, 4096, "Table block size, every engine.");
ABSL_FLAG(int32_t, bloom_bits, 10, "Bloom filter bits per key (0: none).");
ABSL_FLAG(int64_t, cache_mb, 64, "Block cache MiB, every engine.");
// The compaction defaults are FerrisDB's own (ferrisdb::Options).
ABSL_FLAG(int64_t, target_file_size,
          static_cast<int64_t>(ferrisdb::Options().target_file_size),
          "Compaction output table size in bytes, every engine (RocksDB "
          "target_file_size_base, LevelDB max_file_size).");
ABSL_FLAG(int64_t, max_bytes_for_level_base,
          static_cast<int64_t>(ferrisdb::Options().max_bytes_for_level_base),
          "Target bytes of level 1 (x10 per level below): FerrisDB and "
          "RocksDB; LevelDB's is fixed at 10 MiB.");
ABSL_FLAG(int32_t, level0_trigger,
          ferrisdb::Options().level0_file_num_compaction_trigger,
          "Level-0 files that start a compaction: FerrisDB and RocksDB; "
          "LevelDB's is fixed at 4.");
ABSL_FLAG(int32_t, background_jobs, 2,
          "Background flush + compaction threads: RocksDB "
          "max_background_jobs; FerrisDB has 1 flush + 1 compaction thread "
          "and LevelDB 1 thread, both fixed.");
ABSL_FLAG(bool, ferrisdb_stats, false,
          "Print FerrisDB's GetProperty(\"ferrisdb.stats\") to stderr after "
          "each fill (fillseq, fillrandom, overwrite), before the database "
          "is flushed or closed.");
ABSL_FLAG(std::string, db_root, "",
          "Directory for the databases (one subdirectory per engine run, "
          "removed after it). Empty: a fresh temporary directory.");
ABSL_FLAG(bool, keep_db, false,
          "Leave each engine's fillrandom database (after fillrandom, "
          "overwrite, the reads and readwhilewriting) in --db_root for "
          "inspection, e.g. with sst_dump; the last repeat's wins.");
ABSL_FLAG(std::string, format, "markdown", "markdown, csv or json.");
ABSL_FLAG(std::string, csv_out, "",
          "Also write the report as csv to this file (for "
          "scripts/plot_compare.sh).");
ABSL_FLAG(uint64_t, seed, 301, "Seed of the key order and value bytes.");
ABSL_FLAG(std::string, progress, "auto",
          "Progress line on stderr: auto, always, never.");

namespace ferrisdb::bench {
namespace {

// Set by CMakeLists.txt with FERRISDB_COMPARE_ROCKSDB_ORIGIN: true only for a
// RocksDB known to be built with NDEBUG (scripts/build_rocksdb_release.sh).
constexpr bool kRocksdbReleaseBuild = FERRISDB_COMPARE_ROCKSDB_RELEASE != 0;

struct Config {
  Workload workload;
  std::vector<std::string> engines;
  int repeats = 1;
  ReportFormat format = ReportFormat::kMarkdown;
  std::string compression;
  std::string db_root;
  bool temporary_root = false;
  EngineSettings settings;
};

[[noreturn]] void Fail(std::string_view message) {
  std::fprintf(stderr, "ferrisdb_compare: %.*s\n",
               static_cast<int>(message.size()), message.data());
  std::exit(1);
}

std::unique_ptr<Engine> MakeEngine(const std::string& name,
                                   const EngineSettings& settings) {
  if (name == "ferrisdb") return NewFerrisdbEngine(settings);
  if (name == "rocksdb") return NewRocksdbEngine(settings);
  if (name == "leveldb") return NewLeveldbEngine(settings);
  return nullptr;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Config ParseConfig() {
  Config config;
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_benchmarks),
                                               ',', absl::SkipEmpty())) {
    if (std::find(std::begin(kAllBenchmarks), std::end(kAllBenchmarks),
                  std::string_view(name.data(), name.size())) ==
        std::end(kAllBenchmarks)) {
      Fail(absl::StrCat("unknown benchmark '", name, "' in --benchmarks"));
    }
    config.workload.benchmarks.emplace_back(name.data(), name.size());
  }
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_engines), ',', absl::SkipEmpty())) {
    if (name != "ferrisdb" && name != "rocksdb" && name != "leveldb") {
      Fail(absl::StrCat("unknown engine '", name, "' in --engines"));
    }
    config.engines.emplace_back(name.data(), name.size());
  }
  if (config.engines.empty()) Fail("--engines is empty");
  const int64_t num = absl::GetFlag(FLAGS_num);
  const int64_t value_size = absl::GetFlag(FLAGS_value_size);
  const int64_t key_size = absl::GetFlag(FLAGS_key_size);
  if (num <= 0) Fail("--num must be positive");
  if (value_size < 0 || value_size > (int64_t{256} << 20)) {
    Fail("--value_size is out of range");
  }
  if (key_size <= 0 || key_size > (int64_t{64} << 10) ||
      static_cast<size_t>(key_size) <
          KeyFormatter::DigitsOf(static_cast<uint64_t>(num - 1))) {
    Fail("--key_size is out of range or too small for --num");
  }
  config.workload.num = static_cast<uint64_t>(num);
  config.workload.value_size = static_cast<size_t>(value_size);
  config.workload.key_size = static_cast<size_t>(key_size);
  config.repeats = absl::GetFlag(FLAGS_repeats);
  if (config.repeats <= 0) Fail("--repeats must be positive");
  config.workload.seed = absl::GetFlag(FLAGS_seed);
  std::optional<ProgressMeter::Mode> progress =
      ProgressMeter::ParseMode(absl::GetFlag(FLAGS_progress));
  if (!progress.has_value()) Fail("--progress must be auto, always or never");
  config.workload.progress = ProgressMeter::Enabled(*progress);
  std::optional<ReportFormat> format =
      ParseReportFormat(absl::GetFlag(FLAGS_format));
  if (!format.has_value()) Fail("--format must be markdown, csv or json");
  config.format = *format;
  config.compression = absl::GetFlag(FLAGS_compression);
  if (config.compression != "none" && config.compression != "zstd") {
    Fail("--compression must be none or zstd");
  }
  const int64_t write_buffer_size = absl::GetFlag(FLAGS_write_buffer_size);
  const int64_t block_size = absl::GetFlag(FLAGS_block_size);
  const int64_t cache_mb = absl::GetFlag(FLAGS_cache_mb);
  const int32_t bloom_bits = absl::GetFlag(FLAGS_bloom_bits);
  if (write_buffer_size <= 0 || block_size <= 0 || cache_mb < 0 ||
      bloom_bits < 0) {
    Fail(
        "--write_buffer_size and --block_size must be positive, --cache_mb "
        "and --bloom_bits not negative");
  }
  config.settings.write_buffer_size = static_cast<size_t>(write_buffer_size);
  config.settings.block_size = static_cast<size_t>(block_size);
  config.settings.bloom_bits = bloom_bits;
  config.settings.cache_bytes = static_cast<size_t>(cache_mb) << 20;
  config.settings.zstd = config.compression == "zstd";
  const int64_t target_file_size = absl::GetFlag(FLAGS_target_file_size);
  const int64_t level_base = absl::GetFlag(FLAGS_max_bytes_for_level_base);
  const int32_t level0_trigger = absl::GetFlag(FLAGS_level0_trigger);
  const int32_t background_jobs = absl::GetFlag(FLAGS_background_jobs);
  // 20 is the slowdown trigger of FerrisDB and RocksDB, which stay at their
  // defaults; FerrisDB refuses a compaction trigger above it.
  if (target_file_size <= 0 || level_base <= 0 || level0_trigger <= 0 ||
      level0_trigger > ferrisdb::Options().level0_slowdown_writes_trigger ||
      background_jobs <= 0) {
    Fail(absl::StrFormat(
        "--target_file_size, --max_bytes_for_level_base and "
        "--background_jobs must be positive, --level0_trigger in [1, %d]",
        ferrisdb::Options().level0_slowdown_writes_trigger));
  }
  config.settings.target_file_size = static_cast<uint64_t>(target_file_size);
  config.settings.max_bytes_for_level_base = static_cast<uint64_t>(level_base);
  config.settings.level0_compaction_trigger = level0_trigger;
  config.settings.background_jobs = background_jobs;
  config.workload.ferrisdb_stats = absl::GetFlag(FLAGS_ferrisdb_stats);
  config.workload.keep_db = absl::GetFlag(FLAGS_keep_db);
  config.db_root = absl::GetFlag(FLAGS_db_root);
  return config;
}

// Asks each engine of the config for its name, version, compression and
// settings, each in a child process, so that the driver never creates an
// engine (which might start threads, and would leave its memory in the
// driver for the children to inherit).
std::vector<EngineInfo> DescribeEngines(const Config& config) {
  std::vector<EngineInfo> infos;
  for (const std::string& name : config.engines) {
    const std::string what = absl::StrCat("describing ", name);
    absl::StatusOr<std::string> message = RunInChildProcess(what, [&] {
      const std::unique_ptr<Engine> engine = MakeEngine(name, config.settings);
      return EncodeEngineInfo({engine->name(), engine->Version(),
                               engine->compression(), engine->Describe()});
    });
    if (!message.ok()) Fail(message.status().ToString());
    absl::StatusOr<EngineInfo> info = DecodeEngineInfo(*message);
    if (!info.ok()) Fail(absl::StrCat(what, ": ", info.status().ToString()));
    infos.push_back(*std::move(info));
  }
  return infos;
}

// One engine run (engine `name`, repeat r of config.repeats, 1-based) in a
// child process. Any failure ends the driver: a comparison with a failed run
// is void.
EngineRun RunEngine(const Config& config, const std::string& name, int r) {
  const std::string what =
      absl::StrFormat("%s run, repeat %d/%d", name, r, config.repeats);
  absl::StatusOr<std::string> message = RunInChildProcess(what, [&] {
    EngineRun run;
    // Read before the engine exists: what the driver itself holds.
    const uint64_t start_rss = CurrentRssBytes();
    uint64_t peak_anon_rss = 0;
    {
      AnonRssSampler anon_sampler;
      {
        const std::unique_ptr<Engine> engine =
            MakeEngine(name, config.settings);
        EngineRunner runner(config.workload, engine.get(), config.db_root, r);
        run = runner.Run();
      }
      peak_anon_rss = anon_sampler.peak();
    }
    run.start_rss = static_cast<double>(start_rss);
    run.peak_rss = static_cast<double>(PeakRssBytes());
    run.peak_anon_rss = static_cast<double>(peak_anon_rss);
    return EncodeEngineRun(run);
  });
  if (!message.ok()) Fail(message.status().ToString());
  absl::StatusOr<EngineRun> run = DecodeEngineRun(*message);
  if (!run.ok()) Fail(absl::StrCat(what, ": ", run.status().ToString()));
  return *std::move(run);
}

// The lines describing the run, printed before it starts: machine, workload,
// the shared settings and each engine's effective values.
std::vector<std::string> HeaderLines(const Config& config,
                                     const std::vector<EngineInfo>& engines) {
  const MachineInfo machine = ReadMachineInfo();
  const EngineSettings& s = config.settings;
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("Date:        ", NowUtc()));
  lines.push_back(absl::StrFormat("CPU:         %d * %s", machine.cpu_count,
                                  machine.cpu_model));
  lines.push_back(
      absl::StrFormat("Memory:      %.1f GiB",
                      static_cast<double>(machine.memory_bytes) / (1u << 30)));
  lines.push_back(
      absl::StrCat("Load avg:    ", LoadAverage(), " (1/5/15 min, at start)"));
  lines.push_back(absl::StrCat("DB root:     ", config.db_root,
                               config.temporary_root ? " (temporary)" : "",
                               " on ", FileSystemOf(config.db_root)));
  lines.push_back(absl::StrFormat(
      "Workload:    %d keys of %d bytes, values of %d bytes (half "
      "compressible, seed %d), %d ops per benchmark, %d repeat(s), median "
      "shown",
      config.workload.num, config.workload.key_size, config.workload.value_size,
      config.workload.seed, config.workload.num, config.repeats));
  lines.push_back(absl::StrFormat(
      "Settings:    write_buffer_size=%d block_size=%d bloom_bits=%d "
      "cache=%d MiB compression=%s WAL=on sync=off, single-threaded driver",
      s.write_buffer_size, s.block_size, s.bloom_bits, s.cache_bytes >> 20,
      config.compression));
  lines.push_back(absl::StrFormat(
      "Compaction:  leveled, target_file_size=%d max_bytes_for_level_base=%d "
      "(x10 per level) level0_trigger=%d background_jobs=%d; each engine's "
      "effective values below",
      s.target_file_size, s.max_bytes_for_level_base,
      s.level0_compaction_trigger, s.background_jobs));
  lines.push_back(
      "Processes:   each engine run (engine x repeat) in a fresh child "
      "process forked from the driver, which creates no engine itself");
  for (const EngineInfo& engine : engines) {
    lines.push_back(absl::StrFormat("%-12s %s %s",
                                    absl::StrCat(engine.name, ":"),
                                    engine.version, engine.describe));
    if (engine.name == "rocksdb") {
      lines.push_back(
          absl::StrCat("rocksdb lib: ", FERRISDB_COMPARE_ROCKSDB_ORIGIN));
      if (!kRocksdbReleaseBuild) {
        lines.push_back(
            "WARNING:     this RocksDB is not a known release build (Debian's "
            "package has no NDEBUG: its assertions are live). A release build "
            "(scripts/build_rocksdb_release.sh, -DFERRISDB_ROCKSDB_ROOT) is "
            "needed before claiming FerrisDB is faster than RocksDB.");
      }
    }
  }
#ifndef NDEBUG
  lines.push_back(
      "WARNING:     this driver and FerrisDB are built with assertions");
#endif
#ifndef __OPTIMIZE__
  lines.push_back(
      "WARNING:     built without optimization; figures are not "
      "representative");
#endif
  return lines;
}

// The JSON "settings" object.
ReportFields SettingsFields(const Config& config) {
  const EngineSettings& s = config.settings;
  return {
      {"num", absl::StrCat(config.workload.num)},
      {"key_size", absl::StrCat(config.workload.key_size)},
      {"value_size", absl::StrCat(config.workload.value_size)},
      {"repeats", absl::StrCat(config.repeats)},
      {"compression", config.compression},
      {"write_buffer_size", absl::StrCat(s.write_buffer_size)},
      {"block_size", absl::StrCat(s.block_size)},
      {"bloom_bits", absl::StrCat(s.bloom_bits)},
      {"cache_bytes", absl::StrCat(s.cache_bytes)},
      {"target_file_size", absl::StrCat(s.target_file_size)},
      {"max_bytes_for_level_base", absl::StrCat(s.max_bytes_for_level_base)},
      {"level0_compaction_trigger", absl::StrCat(s.level0_compaction_trigger)},
      {"background_jobs", absl::StrCat(s.background_jobs)},
      {"rocksdb_origin", FERRISDB_COMPARE_ROCKSDB_ORIGIN},
      {"rocksdb_release_build", kRocksdbReleaseBuild ? "1" : "0"},
  };
}

std::string Ratio(double a, double b) {
  return b > 0 && a > 0 ? absl::StrFormat("%.2f", a / b) : "-";
}

int Main() {
  Config config = ParseConfig();
  if (config.db_root.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                     "/ferrisdb_compare.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      Fail(absl::StrCat("cannot create a temporary directory from ", pattern));
    }
    config.db_root = pattern;
    config.temporary_root = true;
  } else {
    std::error_code error;
    std::filesystem::create_directories(config.db_root, error);
    if (error) Fail(absl::StrCat("cannot create ", config.db_root));
  }

  const std::vector<EngineInfo> engines = DescribeEngines(config);
  PrintPreamble(config.format, HeaderLines(config, engines));

  // runs[engine][repeat]
  std::map<std::string, std::vector<EngineRun>> runs;
  for (int r = 1; r <= config.repeats; ++r) {
    for (const EngineInfo& engine : engines) {
      std::fprintf(stderr, "ferrisdb_compare: repeat %d/%d: %s\n", r,
                   config.repeats, engine.name.c_str());
      runs[engine.name].push_back(RunEngine(config, engine.name, r));
    }
  }
  // Every engine saw the same keys, so every read must find the same ones.
  for (const auto& [engine, engine_runs] : runs) {
    for (const EngineRun& run : engine_runs) {
      if (run.found != runs.begin()->second.front().found) {
        std::printf(
            "WARNING:     %s found different keys than %s: the "
            "comparison is void\n",
            engine.c_str(), runs.begin()->first.c_str());
      }
    }
  }
  if (config.temporary_root) {
    std::error_code error;
    std::filesystem::remove_all(config.db_root, error);
  }

  // The median over the repeats of (run.*figures)[key], for figures
  // ops_per_second or latency_us.
  using Figures = std::map<std::string, double> EngineRun::*;
  const auto median_in = [&](Figures figures, const std::string& engine,
                             const std::string& key) {
    std::vector<double> v;
    for (const EngineRun& run : runs[engine]) {
      const auto it = (run.*figures).find(key);
      if (it != (run.*figures).end()) v.push_back(it->second);
    }
    return Median(std::move(v));
  };
  const auto median_of = [&](const std::string& engine,
                             double EngineRun::*field) {
    std::vector<double> v;
    for (const EngineRun& run : runs[engine]) v.push_back(run.*field);
    return Median(std::move(v));
  };
  const bool has_rocks = runs.count("rocksdb") != 0;
  const bool has_level = runs.count("leveldb") != 0;
  const bool has_ferris = runs.count("ferrisdb") != 0;
  // Appends FerrisDB's figure divided by RocksDB's and by LevelDB's, for the
  // engines that ran.
  const auto append_ratios = [&](Figures figures, const std::string& key,
                                 std::vector<std::string>* row) {
    const double f = has_ferris ? median_in(figures, "ferrisdb", key) : 0;
    if (has_ferris && has_rocks) {
      row->push_back(Ratio(f, median_in(figures, "rocksdb", key)));
    }
    if (has_ferris && has_level) {
      row->push_back(Ratio(f, median_in(figures, "leveldb", key)));
    }
  };
  const auto label = [&](const EngineInfo& engine) {
    std::string s = engine.name;
    if (engine.compression != config.compression) {
      absl::StrAppend(&s, " (compression ", engine.compression, ")");
    }
    return s;
  };

  Report report;
  report.settings = SettingsFields(config);
  for (const EngineInfo& engine : engines) {
    report.versions.emplace_back(engine.name, engine.version);
    report.engines_described.emplace_back(engine.name, engine.describe);
  }
  // The benchmark table.
  ReportTable& results = report.results;
  results.header = {"benchmark"};
  for (const EngineInfo& engine : engines) {
    results.header.push_back(label(engine) + " ops/s");
  }
  if (has_ferris && has_rocks) results.header.push_back("ferrisdb/rocksdb");
  if (has_ferris && has_level) results.header.push_back("ferrisdb/leveldb");
  const auto add_throughput_row = [&](const std::string& key) {
    std::vector<std::string> row = {key};
    for (const EngineInfo& engine : engines) {
      row.push_back(absl::StrFormat(
          "%.0f", median_in(&EngineRun::ops_per_second, engine.name, key)));
    }
    append_ratios(&EngineRun::ops_per_second, key, &row);
    results.rows.push_back(std::move(row));
  };
  for (const std::string& bench : config.workload.benchmarks) {
    add_throughput_row(bench);
    if (bench == "readwhilewriting") {
      add_throughput_row(std::string(kReadWhileWritingWrites));
    }
  }
  // The latency table: percentiles per engine, then the p99 ratios (<1:
  // FerrisDB's p99 is lower).
  ReportTable& latency = report.latency;
  latency.header = {"latency us"};
  for (const EngineInfo& engine : engines) {
    for (double p : kLatencyPercentiles) {
      latency.header.push_back(absl::StrCat(engine.name, " p", p));
    }
  }
  if (has_ferris && has_rocks) latency.header.push_back("p99 ferrisdb/rocksdb");
  if (has_ferris && has_level) latency.header.push_back("p99 ferrisdb/leveldb");
  for (const std::string& bench : config.workload.benchmarks) {
    if (bench == "readseq") continue;  // not timed per operation
    std::vector<std::string> row = {bench};
    for (const EngineInfo& engine : engines) {
      for (double p : kLatencyPercentiles) {
        row.push_back(absl::StrFormat(
            "%.2f", median_in(&EngineRun::latency_us, engine.name,
                              LatencyKey(bench, p))));
      }
    }
    append_ratios(&EngineRun::latency_us, LatencyKey(bench, 99), &row);
    latency.rows.push_back(std::move(row));
  }
  // The per-engine table.
  report.engines.header = {"engine",       "compression",      "db size MiB",
                           "db files",     "write amp",        "write(2) amp",
                           "peak RSS MiB", "peak anon RSS MiB"};
  std::vector<double> start_rss;
  for (const auto& [engine, engine_runs] : runs) {
    for (const EngineRun& run : engine_runs) start_rss.push_back(run.start_rss);
  }
  for (const EngineInfo& engine : engines) {
    const std::string& name = engine.name;
    const double wamp = median_of(name, &EngineRun::write_amp);
    const double camp = median_of(name, &EngineRun::wchar_amp);
    report.engines.rows.push_back(
        {name, engine.compression,
         absl::StrFormat("%.1f",
                         median_of(name, &EngineRun::db_bytes) / 1048576.0),
         absl::StrFormat("%.0f", median_of(name, &EngineRun::db_files)),
         wamp < 0 ? "-" : absl::StrFormat("%.2f", wamp),
         camp < 0 ? "-" : absl::StrFormat("%.2f", camp),
         absl::StrFormat("%.1f",
                         median_of(name, &EngineRun::peak_rss) / 1048576.0),
         absl::StrFormat(
             "%.1f", median_of(name, &EngineRun::peak_anon_rss) / 1048576.0)});
  }
  report.loadavg_end = LoadAverage();
  report.notes = {
      "ratios: FerrisDB ops/s divided by the other engine's (>1: FerrisDB "
      "faster); p99 ratios: FerrisDB's p99 latency divided by the other "
      "engine's (<1: FerrisDB's is lower)",
      "latency: every operation timed on its own (steady_clock before and "
      "after the call, the same cost for every engine), percentiles from a "
      "log-bucketed histogram (within 1/16 of the exact value), the median "
      "over the repeats; readseq is not timed per operation",
      "readwhilewriting: on the fillrandom database reopened after the other "
      "reads, one thread does --num random reads while a second one "
      "overwrites fillrandom's keys (in fillrandom's order, other values) "
      "until the reads end; the background threads share the same cores",
      "db size: sum of file sizes of the fillrandom+overwrite database after "
      "the reads and close, before readwhilewriting",
      "write amp: /proc/self/io write_bytes (and wchar) delta over the whole "
      "engine run (both databases), in the engine's own child process, / "
      "user key+value bytes put",
      absl::StrFormat(
          "peak RSS: VmHWM of /proc/self/status (the most memory resident at "
          "once) of the child process that ran the engine, one fresh process "
          "per engine and repeat, read after the engine was closed; the "
          "median over the repeats. It is the whole process: the engine's "
          "memtables, block cache, table readers and threads' stacks, any "
          "table file pages it maps (LevelDB and FerrisDB (use_mmap_reads) "
          "map their tables for reads, so the page cache pages they touch "
          "count; RocksDB, as set here, reads with pread, so the page cache "
          "is not counted for it), the workload's key and value "
          "buffers, and the pages of the binary and shared libraries it "
          "touched. The driver's own share at the start of a child (heap, "
          "stacks, the pages it had copied) is %.1f MiB (median VmRSS of the "
          "children before an engine was created). peak anon RSS: the "
          "largest RssAnon (heap, stacks, anonymous mappings; no file pages "
          "and no page cache) sampled every 10 ms during the run, the "
          "memory the engine itself holds whichever way it reads its files",
          Median(start_rss) / 1048576.0),
      absl::StrCat("Load avg:    ", report.loadavg_end,
                   " (1/5/15 min, at end)")};
  PrintReport(config.format, report);
  const std::string csv_out = absl::GetFlag(FLAGS_csv_out);
  if (!csv_out.empty()) {
    FILE* f = std::fopen(csv_out.c_str(), "w");
    if (f == nullptr) Fail("cannot write --csv_out=" + csv_out);
    PrintReport(ReportFormat::kCsv, report, f);
    if (std::fclose(f) != 0) Fail("cannot write --csv_out=" + csv_out);
  }
  return 0;
}

}  // namespace
}  // namespace ferrisdb::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "runs the same workloads against FerrisDB, RocksDB and LevelDB; see "
      "docs/performance.md");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::fprintf(stderr, "ferrisdb_compare: unexpected argument '%s'\n",
                 positional[1]);
    return 1;
  }
  return ferrisdb::bench::Main();
}
