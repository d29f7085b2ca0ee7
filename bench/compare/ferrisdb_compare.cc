// ferrisdb_compare: runs the same workloads, with the same keys, values and
// settings, against FerrisDB, RocksDB and LevelDB in turn and prints one
// table. Per engine and repeat:
//   1. fillseq into a fresh database;
//   2. a fresh database: fillrandom, overwrite, Flush, close and reopen (so
//      that reads hit tables, not only the memtable), then readrandom,
//      readmissing, readseq, seekrandom.
// Engines are interleaved within each repeat; the report shows the median of
// the repeats. Keys and values come from bench_util with the same seeds for
// every engine. See docs/performance.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "engine.h"

ABSL_FLAG(std::string, benchmarks,
          "fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,"
          "seekrandom",
          "Comma-separated subset of: fillseq, fillrandom, overwrite, "
          "readrandom, readmissing, readseq, seekrandom. They always run in "
          "this order; the reads need the fillrandom database, which is "
          "loaded (untimed) if fillrandom itself is not asked for.");
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
ABSL_FLAG(std::string, db_root, "",
          "Directory for the databases (one subdirectory per engine run, "
          "removed after it). Empty: a fresh temporary directory.");
ABSL_FLAG(std::string, format, "markdown", "markdown, csv or json.");
ABSL_FLAG(uint64_t, seed, 301, "Seed of the key order and value bytes.");
ABSL_FLAG(std::string, progress, "auto",
          "Progress line on stderr: auto, always, never.");

namespace ferrisdb::bench {
namespace {

constexpr std::string_view kAllBenchmarks[] = {
    "fillseq",     "fillrandom", "overwrite", "readrandom",
    "readmissing", "readseq",    "seekrandom"};

struct Config {
  std::vector<std::string> benchmarks;
  std::vector<std::string> engines;
  uint64_t num = 0;
  size_t value_size = 0;
  size_t key_size = 0;
  int repeats = 1;
  uint64_t seed = 0;
  bool progress = false;
  std::string format;
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

void CheckOk(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Fail(absl::StrCat(what, ": ", status.ToString()));
}

std::unique_ptr<Engine> MakeEngine(const std::string& name,
                                   const EngineSettings& settings) {
  if (name == "ferrisdb") return NewFerrisdbEngine(settings);
  if (name == "rocksdb") return NewRocksdbEngine(settings);
  if (name == "leveldb") return NewLeveldbEngine(settings);
  return nullptr;
}

// What one engine run measured.
struct EngineRun {
  std::map<std::string, double> ops_per_second;
  // Keys found (entries for readseq): must agree across engines.
  std::map<std::string, uint64_t> found;
  double db_bytes = 0;
  double db_files = 0;
  double write_amp = -1;  // write_bytes / user bytes; -1: unreadable
  double wchar_amp = -1;  // wchar / user bytes
  double rss_growth = 0;  // bytes
};

// Runs the workloads against one engine in directories under root.
class EngineRunner {
 public:
  EngineRunner(const Config& config, Engine* engine, std::string root)
      : config_(config), engine_(engine), root_(std::move(root)) {}

  EngineRun Run();

 private:
  bool Wanted(const std::string& name) const {
    return std::find(config_.benchmarks.begin(), config_.benchmarks.end(),
                     name) != config_.benchmarks.end();
  }
  // The seed of benchmark `name`: the same for every engine and repeat.
  uint64_t SeedFor(const std::string& name) const {
    const auto it =
        std::find(std::begin(kAllBenchmarks), std::end(kAllBenchmarks), name);
    return config_.seed * 1000003 +
           static_cast<uint64_t>(it - std::begin(kAllBenchmarks) + 1) * 1009;
  }
  void Record(const std::string& name, uint64_t ops, uint64_t start_nanos);
  void SampleRss() { peak_rss_ = std::max(peak_rss_, CurrentRssBytes()); }
  std::string Fresh(const std::string& leaf);

  void Fill(const std::string& name, bool sequential, bool timed);
  void ReadRandom(const std::string& name, bool missing);
  void ReadSeq(const std::string& name);
  void SeekRandom(const std::string& name);

  const Config& config_;
  Engine* const engine_;
  const std::string root_;
  EngineRun run_;
  uint64_t user_bytes_ = 0;
  uint64_t peak_rss_ = 0;
};

std::string EngineRunner::Fresh(const std::string& leaf) {
  const std::string path = absl::StrCat(root_, "/", leaf);
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) Fail(absl::StrCat("cannot remove ", path, ": ", error.message()));
  return path;
}

void EngineRunner::Record(const std::string& name, uint64_t ops,
                          uint64_t start_nanos) {
  const double seconds = static_cast<double>(NowNanos() - start_nanos) / 1e9;
  run_.ops_per_second[std::string(name)] =
      seconds > 0 ? static_cast<double>(ops) / seconds : 0;
  SampleRss();
}

void EngineRunner::Fill(const std::string& name, bool sequential, bool timed) {
  Random64 random(SeedFor(name));
  KeyFormatter keys(config_.key_size);
  ValueGenerator values(config_.seed, config_.value_size);
  std::atomic<uint64_t> done{0};
  const std::string label = absl::StrCat(engine_->name(), " ", name);
  ProgressMeter progress(config_.progress, label, config_.num, &done);
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < config_.num; ++i) {
    const std::string_view key =
        keys.Key(sequential ? i : random.Uniform(config_.num));
    const std::string_view value = values.Next();
    CheckOk(engine_->Put(key, value), label);
    user_bytes_ += key.size() + value.size();
    if ((i & 1023) == 1023) done.store(i + 1, std::memory_order_relaxed);
  }
  if (timed) Record(name, config_.num, start);
}

void EngineRunner::ReadRandom(const std::string& name, bool missing) {
  Random64 random(SeedFor(name));
  KeyFormatter keys(config_.key_size);
  std::string value;
  uint64_t found = 0;
  std::atomic<uint64_t> done{0};
  const std::string label = absl::StrCat(engine_->name(), " ", name);
  ProgressMeter progress(config_.progress, label, config_.num, &done);
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < config_.num; ++i) {
    const uint64_t k = random.Uniform(config_.num);
    absl::StatusOr<bool> hit =
        engine_->Get(missing ? keys.MissingKey(k) : keys.Key(k), &value);
    CheckOk(hit.status(), label);
    found += *hit ? 1 : 0;
    if ((i & 1023) == 1023) done.store(i + 1, std::memory_order_relaxed);
  }
  Record(name, config_.num, start);
  // fillrandom leaves about 63% of the keys present; none may be found by
  // readmissing. A different count means the engines did not see the same
  // data, and the comparison would be void.
  if (missing && found != 0) {
    Fail(absl::StrCat(label, ": found ", found, " missing keys"));
  }
  run_.found[std::string(name)] = found;
}

void EngineRunner::ReadSeq(const std::string& name) {
  std::unique_ptr<EngineIterator> it = engine_->NewIterator();
  uint64_t entries = 0;
  uint64_t bytes = 0;
  const uint64_t start = NowNanos();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    bytes += it->key().size() + it->value().size();
    ++entries;
  }
  Record(name, entries, start);
  CheckOk(it->status(), absl::StrCat(engine_->name(), " ", name));
  run_.found[std::string(name)] = entries;
  // Using the bytes read keeps the loop from being optimized away.
  if (bytes == 0 && entries != 0) Fail("readseq saw no bytes");
}

void EngineRunner::SeekRandom(const std::string& name) {
  Random64 random(SeedFor(name));
  KeyFormatter keys(config_.key_size);
  std::unique_ptr<EngineIterator> it = engine_->NewIterator();
  uint64_t found = 0;
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < config_.num; ++i) {
    const std::string_view key = keys.Key(random.Uniform(config_.num));
    it->Seek(key);
    if (it->Valid() && it->key() == key) ++found;
  }
  Record(name, config_.num, start);
  CheckOk(it->status(), absl::StrCat(engine_->name(), " ", name));
  run_.found[std::string(name)] = found;
}

EngineRun EngineRunner::Run() {
  const uint64_t rss_before = CurrentRssBytes();
  const std::optional<ProcessIo> io_before = ReadProcessIo();
  const std::string name(engine_->name());

  if (Wanted("fillseq")) {
    CheckOk(engine_->Open(Fresh(name + "_fillseq")), name + " open fillseq");
    Fill("fillseq", /*sequential=*/true, /*timed=*/true);
    engine_->Close();
    Fresh(name + "_fillseq");
  }
  bool reads = false;
  for (const char* r : {"readrandom", "readmissing", "readseq", "seekrandom"}) {
    reads = reads || Wanted(r);
  }
  std::string path;
  if (reads || Wanted("fillrandom") || Wanted("overwrite")) {
    path = Fresh(name + "_random");
    CheckOk(engine_->Open(path), name + " open");
    Fill("fillrandom", /*sequential=*/false, Wanted("fillrandom"));
    if (Wanted("overwrite")) Fill("overwrite", /*sequential=*/false, true);
    CheckOk(engine_->Flush(), name + " flush");
    engine_->Close();
    CheckOk(engine_->Open(path), name + " reopen");
    SampleRss();
    if (Wanted("readrandom")) ReadRandom("readrandom", /*missing=*/false);
    if (Wanted("readmissing")) ReadRandom("readmissing", /*missing=*/true);
    if (Wanted("readseq")) ReadSeq("readseq");
    if (Wanted("seekrandom")) SeekRandom("seekrandom");
    engine_->Close();
  }
  const std::optional<ProcessIo> io_after = ReadProcessIo();
  if (!path.empty()) {
    const DirectoryUsage usage = MeasureDirectory(path);
    run_.db_bytes = static_cast<double>(usage.bytes);
    run_.db_files = static_cast<double>(usage.files);
    Fresh(name + "_random");
  }
  if (io_before.has_value() && io_after.has_value() && user_bytes_ > 0) {
    run_.write_amp =
        static_cast<double>(io_after->write_bytes - io_before->write_bytes) /
        static_cast<double>(user_bytes_);
    run_.wchar_amp = static_cast<double>(io_after->wchar - io_before->wchar) /
                     static_cast<double>(user_bytes_);
  }
  run_.rss_growth =
      static_cast<double>(peak_rss_) - static_cast<double>(rss_before);
  return run_;
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
    config.benchmarks.emplace_back(name.data(), name.size());
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
  config.num = static_cast<uint64_t>(num);
  config.value_size = static_cast<size_t>(value_size);
  config.key_size = static_cast<size_t>(key_size);
  config.repeats = absl::GetFlag(FLAGS_repeats);
  if (config.repeats <= 0) Fail("--repeats must be positive");
  config.seed = absl::GetFlag(FLAGS_seed);
  std::optional<ProgressMeter::Mode> progress =
      ProgressMeter::ParseMode(absl::GetFlag(FLAGS_progress));
  if (!progress.has_value()) Fail("--progress must be auto, always or never");
  config.progress = ProgressMeter::Enabled(*progress);
  config.format = absl::GetFlag(FLAGS_format);
  if (config.format != "markdown" && config.format != "csv" &&
      config.format != "json") {
    Fail("--format must be markdown, csv or json");
  }
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
  config.db_root = absl::GetFlag(FLAGS_db_root);
  return config;
}

// Header lines; prefix is "" for markdown and "# " for csv.
void PrintHeader(const Config& config,
                 const std::vector<std::unique_ptr<Engine>>& engines,
                 std::string_view prefix) {
  const MachineInfo machine = ReadMachineInfo();
  const auto line = [&](const std::string& text) {
    std::printf("%.*s%s\n", static_cast<int>(prefix.size()), prefix.data(),
                text.c_str());
  };
  line(absl::StrCat("Date:        ", NowUtc()));
  line(absl::StrFormat("CPU:         %d * %s", machine.cpu_count,
                       machine.cpu_model));
  line(absl::StrFormat("Memory:      %.1f GiB",
                       static_cast<double>(machine.memory_bytes) / (1u << 30)));
  line(absl::StrCat("Load avg:    ", LoadAverage(), " (1/5/15 min, at start)"));
  line(absl::StrCat("DB root:     ", config.db_root,
                    config.temporary_root ? " (temporary)" : "", " on ",
                    FileSystemOf(config.db_root)));
  line(absl::StrFormat(
      "Workload:    %d keys of %d bytes, values of %d bytes (half "
      "compressible, seed %d), %d ops per benchmark, %d repeat(s), median "
      "shown",
      config.num, config.key_size, config.value_size, config.seed, config.num,
      config.repeats));
  line(absl::StrFormat(
      "Settings:    write_buffer_size=%d block_size=%d bloom_bits=%d "
      "cache=%d MiB compression=%s WAL=on sync=off, single-threaded driver",
      config.settings.write_buffer_size, config.settings.block_size,
      config.settings.bloom_bits, config.settings.cache_bytes >> 20,
      config.compression));
  for (const std::unique_ptr<Engine>& engine : engines) {
    line(absl::StrFormat("%-12s %s %s", absl::StrCat(engine->name(), ":"),
                         engine->Version(), engine->Describe()));
    if (engine->name() == "rocksdb") {
      line(absl::StrCat("rocksdb lib: ", FERRISDB_COMPARE_ROCKSDB_ORIGIN));
      if (std::string_view(FERRISDB_COMPARE_ROCKSDB_ORIGIN).find("Debian") !=
          std::string_view::npos) {
        line(
            "WARNING:     this is Debian's RocksDB package, built without "
            "NDEBUG: its assertions are live. A release build of RocksDB is "
            "needed before claiming FerrisDB is faster than RocksDB.");
      }
    }
  }
#ifndef NDEBUG
  line("WARNING:     this driver and FerrisDB are built with assertions");
#endif
#ifndef __OPTIMIZE__
  line(
      "WARNING:     built without optimization; figures are not "
      "representative");
#endif
  std::fflush(stdout);
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

  std::vector<std::unique_ptr<Engine>> engines;
  for (const std::string& name : config.engines) {
    engines.push_back(MakeEngine(name, config.settings));
  }
  if (config.format != "json") {
    PrintHeader(config, engines, config.format == "csv" ? "# " : "");
  }

  // runs[engine][repeat]
  std::map<std::string, std::vector<EngineRun>> runs;
  for (int r = 0; r < config.repeats; ++r) {
    for (std::unique_ptr<Engine>& engine : engines) {
      std::fprintf(stderr, "ferrisdb_compare: repeat %d/%d: %s\n", r + 1,
                   config.repeats, std::string(engine->name()).c_str());
      EngineRunner runner(config, engine.get(), config.db_root);
      runs[std::string(engine->name())].push_back(runner.Run());
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

  const auto median_ops = [&](const std::string& engine,
                              const std::string& bench) {
    std::vector<double> v;
    for (const EngineRun& run : runs[engine]) {
      const auto it = run.ops_per_second.find(bench);
      if (it != run.ops_per_second.end()) v.push_back(it->second);
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
  const auto label = [&](const std::unique_ptr<Engine>& engine) {
    std::string s(engine->name());
    if (engine->compression() != config.compression) {
      absl::StrAppend(&s, " (compression ", engine->compression(), ")");
    }
    return s;
  };

  // The benchmark table.
  std::vector<std::string> header = {"benchmark"};
  for (const auto& engine : engines) header.push_back(label(engine) + " ops/s");
  if (has_ferris && has_rocks) header.push_back("ferrisdb/rocksdb");
  if (has_ferris && has_level) header.push_back("ferrisdb/leveldb");
  std::vector<std::vector<std::string>> rows;
  for (const std::string& bench : config.benchmarks) {
    std::vector<std::string> row = {bench};
    for (const auto& engine : engines) {
      row.push_back(absl::StrFormat(
          "%.0f", median_ops(std::string(engine->name()), bench)));
    }
    const double f = has_ferris ? median_ops("ferrisdb", bench) : 0;
    if (has_ferris && has_rocks)
      row.push_back(Ratio(f, median_ops("rocksdb", bench)));
    if (has_ferris && has_level)
      row.push_back(Ratio(f, median_ops("leveldb", bench)));
    rows.push_back(std::move(row));
  }
  // The per-engine table.
  const std::vector<std::string> engine_header = {
      "engine",    "compression",  "db size MiB",   "db files",
      "write amp", "write(2) amp", "RSS growth MiB"};
  std::vector<std::vector<std::string>> engine_rows;
  for (const auto& engine : engines) {
    const std::string name(engine->name());
    const double wamp = median_of(name, &EngineRun::write_amp);
    const double camp = median_of(name, &EngineRun::wchar_amp);
    engine_rows.push_back(
        {name, std::string(engine->compression()),
         absl::StrFormat("%.1f",
                         median_of(name, &EngineRun::db_bytes) / 1048576.0),
         absl::StrFormat("%.0f", median_of(name, &EngineRun::db_files)),
         wamp < 0 ? "-" : absl::StrFormat("%.2f", wamp),
         camp < 0 ? "-" : absl::StrFormat("%.2f", camp),
         absl::StrFormat("%.1f",
                         median_of(name, &EngineRun::rss_growth) / 1048576.0)});
  }

  if (config.format == "json") {
    const auto quote = [](const std::string& s) {
      return absl::StrCat("\"", s, "\"");
    };
    const auto object = [&](const std::vector<std::string>& keys,
                            const std::vector<std::string>& values) {
      std::vector<std::string> fields;
      for (size_t i = 0; i < keys.size(); ++i) {
        const bool number =
            i > 0 && values[i] != "-" &&
            values[i].find_first_not_of("0123456789.-") == std::string::npos;
        fields.push_back(absl::StrCat(quote(keys[i]), ": ",
                                      number ? values[i] : quote(values[i])));
      }
      return absl::StrCat("{", absl::StrJoin(fields, ", "), "}");
    };
    std::vector<std::string> results;
    for (const auto& row : rows) results.push_back(object(header, row));
    std::vector<std::string> per_engine;
    for (const auto& row : engine_rows)
      per_engine.push_back(object(engine_header, row));
    std::vector<std::string> versions;
    for (const auto& engine : engines) {
      versions.push_back(absl::StrCat(quote(std::string(engine->name())), ": ",
                                      quote(engine->Version())));
    }
    absl::PrintF(
        "{\"settings\": {\"num\": %d, \"key_size\": %d, \"value_size\": %d, "
        "\"repeats\": %d, \"compression\": \"%s\", \"write_buffer_size\": %d, "
        "\"block_size\": %d, \"bloom_bits\": %d, \"cache_bytes\": %d, "
        "\"rocksdb_origin\": \"%s\"},\n \"versions\": {%s},\n \"results\": "
        "[%s],\n \"engines\": [%s],\n \"loadavg_end\": \"%s\"}\n",
        config.num, config.key_size, config.value_size, config.repeats,
        config.compression, config.settings.write_buffer_size,
        config.settings.block_size, config.settings.bloom_bits,
        config.settings.cache_bytes, FERRISDB_COMPARE_ROCKSDB_ORIGIN,
        absl::StrJoin(versions, ", "), absl::StrJoin(results, ",\n  "),
        absl::StrJoin(per_engine, ",\n  "), LoadAverage());
    return 0;
  }
  const bool csv = config.format == "csv";
  const auto print_table =
      [&](const std::vector<std::string>& head,
          const std::vector<std::vector<std::string>>& body) {
        if (csv) {
          std::printf("%s\n", absl::StrJoin(head, ",").c_str());
          for (const auto& row : body)
            std::printf("%s\n", absl::StrJoin(row, ",").c_str());
          return;
        }
        std::vector<size_t> width(head.size());
        for (size_t i = 0; i < head.size(); ++i) {
          width[i] = head[i].size();
          for (const auto& row : body)
            width[i] = std::max(width[i], row[i].size());
        }
        const auto print_row = [&](const std::vector<std::string>& row) {
          std::string line = "|";
          for (size_t i = 0; i < row.size(); ++i) {
            absl::StrAppend(&line, " ",
                            i == 0 ? absl::StrFormat("%-*s", width[i], row[i])
                                   : absl::StrFormat("%*s", width[i], row[i]),
                            " |");
          }
          std::printf("%s\n", line.c_str());
        };
        print_row(head);
        std::string rule = "|";
        for (size_t i = 0; i < head.size(); ++i) {
          absl::StrAppend(&rule, i == 0 ? ":" : "-", std::string(width[i], '-'),
                          i == 0 ? "-|" : ":|");
        }
        std::printf("%s\n", rule.c_str());
        for (const auto& row : body) print_row(row);
      };
  std::printf("\n");
  print_table(header, rows);
  std::printf("\n");
  print_table(engine_header, engine_rows);
  const std::string notes[] = {
      "ratios: FerrisDB ops/s divided by the other engine's (>1: FerrisDB "
      "faster)",
      "db size: sum of file sizes of the fillrandom+overwrite database after "
      "the reads and close",
      "write amp: /proc/self/io write_bytes (and wchar) delta over the whole "
      "engine run (both databases) / user key+value bytes put",
      "RSS growth: highest VmRSS sampled after each benchmark (DB open) "
      "minus VmRSS before the engine run; process-wide, so allocator caches "
      "kept from earlier engines can hide growth",
      absl::StrCat("Load avg:    ", LoadAverage(), " (1/5/15 min, at end)")};
  std::printf("\n");
  for (const std::string& note : notes) {
    std::printf("%s%s\n", csv ? "# " : "", note.c_str());
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
