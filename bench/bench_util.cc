#include "bench_util.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace ferrisdb::bench {

size_t KeyFormatter::DigitsOf(uint64_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

std::string_view KeyFormatter::Key(uint64_t n) {
  // Right to left; the leading bytes stay '0' from the constructor or are
  // reset here, since a previous, longer number may have used them.
  char* p = buffer_.data() + buffer_.size();
  char* const begin = buffer_.data();
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0 && p != begin);
  while (p != begin) *--p = '0';
  return buffer_;
}

std::string_view KeyFormatter::MissingKey(uint64_t n) {
  Key(n);
  buffer_.back() = '.';
  return buffer_;
}

ValueGenerator::ValueGenerator(uint64_t seed, size_t value_size)
    : value_size_(value_size) {
  constexpr size_t kMinBufferSize = size_t{1} << 20;
  const size_t chunk = value_size == 0 ? 1 : value_size;
  // A whole number of chunks, so that every value starts at a chunk start.
  size_t chunks = (kMinBufferSize + chunk - 1) / chunk;
  if (chunks < 2) chunks = 2;
  data_.resize(chunks * chunk);
  Random64 random(seed);
  for (size_t c = 0; c < chunks; ++c) {
    char* p = data_.data() + c * chunk;
    const size_t random_bytes = (chunk + 1) / 2;
    for (size_t i = 0; i < random_bytes; ++i) {
      p[i] = static_cast<char>(random.Next() & 0xff);
    }
    for (size_t i = random_bytes; i < chunk; ++i) p[i] = p[i - random_bytes];
  }
}

std::string_view ValueGenerator::Next() {
  if (position_ + value_size_ > data_.size()) position_ = 0;
  std::string_view value(data_.data() + position_, value_size_);
  position_ += value_size_;
  return value;
}

namespace {

// The first number after "key:" on the line that starts with `key` in a
// "key: value" file such as /proc/self/status, times `unit`; nullopt if absent.
std::optional<uint64_t> ReadField(const char* path, std::string_view key,
                                  uint64_t unit) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      uint64_t value = 0;
      if (std::sscanf(line.c_str() + key.size() + 1, "%" SCNu64, &value) == 1) {
        return value * unit;
      }
    }
  }
  return std::nullopt;
}

std::string ReadFirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::optional<ProcessIo> ReadProcessIo() {
  const char* path = "/proc/self/io";
  ProcessIo io;
  std::optional<uint64_t> write_bytes = ReadField(path, "write_bytes", 1);
  if (!write_bytes.has_value()) return std::nullopt;
  io.write_bytes = *write_bytes;
  io.read_bytes = ReadField(path, "read_bytes", 1).value_or(0);
  io.rchar = ReadField(path, "rchar", 1).value_or(0);
  io.wchar = ReadField(path, "wchar", 1).value_or(0);
  return io;
}

uint64_t PeakRssBytes() {
  return ReadField("/proc/self/status", "VmHWM", 1024).value_or(0);
}

uint64_t CurrentRssBytes() {
  return ReadField("/proc/self/status", "VmRSS", 1024).value_or(0);
}

uint64_t CurrentAnonRssBytes() {
  return ReadField("/proc/self/status", "RssAnon", 1024).value_or(0);
}

AnonRssSampler::AnonRssSampler() : peak_(CurrentAnonRssBytes()) {
  thread_ = std::thread([this] {
    while (!stop_.load(std::memory_order_relaxed)) {
      const uint64_t now = CurrentAnonRssBytes();
      if (now > peak_.load(std::memory_order_relaxed)) {
        peak_.store(now, std::memory_order_relaxed);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
}

AnonRssSampler::~AnonRssSampler() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

DirectoryUsage MeasureDirectory(const std::string& dir) {
  DirectoryUsage usage;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    const uintmax_t size = it->file_size(file_ec);
    if (file_ec) continue;  // removed while we looked
    usage.bytes += size;
    ++usage.files;
  }
  return usage;
}

MachineInfo ReadMachineInfo() {
  MachineInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++info.cpu_count;
    if (info.cpu_model.empty() && line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) {
        info.cpu_model = line.substr(colon + 2);
      }
    }
  }
  if (info.cpu_model.empty()) info.cpu_model = "unknown";
  if (info.cpu_count == 0) {
    info.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  }
  info.memory_bytes = ReadField("/proc/meminfo", "MemTotal", 1024).value_or(0);
  return info;
}

std::string LoadAverage() {
  std::istringstream in(ReadFirstLine("/proc/loadavg"));
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

std::string FileSystemOf(const std::string& path) {
  std::error_code ec;
  const std::string target =
      std::filesystem::weakly_canonical(path, ec).string();
  if (ec) return "unknown";
  std::ifstream in("/proc/self/mounts");
  std::string device, mount_point, type, best;
  size_t best_length = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (!(fields >> device >> mount_point >> type)) continue;
    const bool covers =
        target.compare(0, mount_point.size(), mount_point) == 0 &&
        (target.size() == mount_point.size() || mount_point == "/" ||
         target[mount_point.size()] == '/');
    // ">=": a later mount on the same point hides the earlier one.
    if (covers && mount_point.size() >= best_length) {
      best_length = mount_point.size();
      best = type + " " + device + " (" + mount_point + ")";
    }
  }
  return best.empty() ? "unknown" : best;
}

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

uint64_t NowNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::optional<ProgressMeter::Mode> ProgressMeter::ParseMode(
    std::string_view text) {
  if (text == "auto") return Mode::kAuto;
  if (text == "always") return Mode::kAlways;
  if (text == "never") return Mode::kNever;
  return std::nullopt;
}

bool ProgressMeter::Enabled(Mode mode) {
  switch (mode) {
    case Mode::kAlways:
      return true;
    case Mode::kNever:
      return false;
    case Mode::kAuto:
      break;
  }
  return isatty(STDERR_FILENO) == 1;
}

ProgressMeter::ProgressMeter(bool enabled, std::string name, uint64_t total,
                             const std::atomic<uint64_t>* done)
    : name_(std::move(name)), total_(total), done_(done) {
  if (enabled) thread_ = std::thread([this] { Run(); });
}

ProgressMeter::~ProgressMeter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void ProgressMeter::Run() {
  uint64_t last_done = 0;
  uint64_t last_time = NowNanos();
  bool printed = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (
      !cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
    const uint64_t done = done_->load(std::memory_order_relaxed);
    const uint64_t now = NowNanos();
    const double seconds = static_cast<double>(now - last_time) / 1e9;
    const double rate =
        seconds > 0 ? static_cast<double>(done - last_done) / seconds : 0;
    std::fprintf(stderr,
                 "\r%-18s %12" PRIu64 " / %" PRIu64 " ops %12.0f ops/s  ",
                 name_.c_str(), done, total_, rate);
    std::fflush(stderr);
    printed = true;
    last_done = done;
    last_time = now;
  }
  if (printed) {
    std::fprintf(stderr, "\r%80s\r", "");
    std::fflush(stderr);
  }
}

}  // namespace ferrisdb::bench
