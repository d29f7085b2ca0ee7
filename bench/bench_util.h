// Engine-independent pieces of the benchmark drivers: key and value
// generation, a seeded random number generator, process and machine
// statistics from /proc, and a progress line. ferrisdb_bench uses them, and
// the comparison tool (bench/compare) is to use the same ones against RocksDB
// and LevelDB, so that every engine sees the same keys and the same value bytes
// and is measured the same way. Nothing here includes FerrisDB headers.
#ifndef FERRISDB_BENCH_BENCH_UTIL_H_
#define FERRISDB_BENCH_BENCH_UTIL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace ferrisdb::bench {

// SplitMix64: a small, fast generator whose sequence is fully determined by the
// seed on every platform (unlike std:: distributions). Not thread-safe: one
// per thread.
class Random64 {
 public:
  explicit Random64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (multiply-shift; the bias is below 2^-64 * n).
  // REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }

 private:
  uint64_t state_;
};

// Formats key numbers as db_bench does: zero-padded decimal, exactly
// key_size bytes. The view returned stays valid until the next call.
// REQUIRES: key_size >= the number of digits of every number formatted.
// Not thread-safe: one per thread.
class KeyFormatter {
 public:
  explicit KeyFormatter(size_t key_size) : buffer_(key_size, '0') {}

  std::string_view Key(uint64_t n);
  // A key of the same size that no Key(n) can equal: the decimal form of n
  // with its last digit replaced by '.' ('.' < '0'), so it sorts among the
  // existing keys (just before Key(n - n % 10)) but is absent. For lookups
  // of missing keys.
  std::string_view MissingKey(uint64_t n);

  // Digits needed to format n.
  static size_t DigitsOf(uint64_t n);

 private:
  std::string buffer_;
};

// Value bytes for the benchmarks, the same for every engine and run with the
// same seed and value size. A buffer of at least 1 MiB is cut into
// value_size chunks; the first half of each chunk is random bytes and the
// second half repeats them, so each value compresses to about half its size.
// Next() walks the chunks in order and wraps. Not thread-safe: one per
// thread (copies are cheap to make: construct another with the same seed).
class ValueGenerator {
 public:
  ValueGenerator(uint64_t seed, size_t value_size);

  // The next value, valid as long as the generator lives.
  std::string_view Next();

 private:
  size_t value_size_;
  std::string data_;
  size_t position_ = 0;
};

// Counters of /proc/self/io (see proc(5)). write_bytes counts bytes the
// process caused to be sent to the storage layer (page-cache pages dirtied or
// written directly); wchar counts bytes passed to write(2) and friends.
struct ProcessIo {
  uint64_t rchar = 0;
  uint64_t wchar = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};
// nullopt when /proc/self/io is not readable (e.g. some containers).
std::optional<ProcessIo> ReadProcessIo();

// Peak resident set size (VmHWM of /proc/self/status) in bytes, or 0.
uint64_t PeakRssBytes();
// Current resident set size (VmRSS) in bytes, or 0.
uint64_t CurrentRssBytes();
// Anonymous resident bytes of this process now (RssAnon of
// /proc/self/status: heap, stacks, anonymous mappings; not file pages), or 0.
uint64_t CurrentAnonRssBytes();

// Samples CurrentAnonRssBytes() every 10 ms on a thread of its own, from
// construction to destruction, and keeps the largest value (the kernel keeps
// no high-water mark of the anonymous part alone).
class AnonRssSampler {
 public:
  AnonRssSampler();
  ~AnonRssSampler();
  AnonRssSampler(const AnonRssSampler&) = delete;
  AnonRssSampler& operator=(const AnonRssSampler&) = delete;
  // The largest value seen so far. Thread-safe.
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sum of the sizes of the regular files under dir (recursively), and their
// number. Missing directory: {0, 0}.
struct DirectoryUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
};
DirectoryUsage MeasureDirectory(const std::string& dir);

// Machine description for the report header.
struct MachineInfo {
  std::string cpu_model;      // "model name" of /proc/cpuinfo
  int cpu_count = 0;          // processors listed in /proc/cpuinfo
  uint64_t memory_bytes = 0;  // MemTotal of /proc/meminfo
};
MachineInfo ReadMachineInfo();

// The first three fields of /proc/loadavg ("1.02 0.87 0.55"), or "unknown".
std::string LoadAverage();

// The file system holding path, as "type device (mount point)" from
// /proc/self/mounts, or "unknown".
std::string FileSystemOf(const std::string& path);

// The current UTC time as "YYYY-MM-DD HH:MM:SS UTC".
std::string NowUtc();

// Nanoseconds of a monotonic clock.
uint64_t NowNanos();

// A progress line on stderr, "name: done/total ops, rate", rewritten in place
// with '\r' about once a second by a background thread while the object
// lives, and erased when it is destroyed. Workers add to `done` (relaxed
// increments are enough: the count is only displayed).
class ProgressMeter {
 public:
  enum class Mode { kAuto, kAlways, kNever };

  // Parses "auto", "always" or "never".
  static std::optional<Mode> ParseMode(std::string_view text);
  // kAuto means: only if stderr is a terminal.
  static bool Enabled(Mode mode);

  // Shows nothing if !enabled. `done` must outlive the meter.
  ProgressMeter(bool enabled, std::string name, uint64_t total,
                const std::atomic<uint64_t>* done);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;
  ~ProgressMeter();

 private:
  void Run();

  const std::string name_;
  const uint64_t total_;
  const std::atomic<uint64_t>* const done_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // protected by mu_
  std::thread thread_;
};

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_BENCH_UTIL_H_
