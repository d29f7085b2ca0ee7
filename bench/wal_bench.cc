// Micro benchmarks of the log framing (src/wal): LogWriter::AddRecord into an
// in-memory file and LogReader::ReadRecord from one, so that the figures are
// the framing's cost (checksums, fragmenting, copies), not the disk's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "ferrisdb/env.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

// Appends to a string, cleared when it grows past a limit so that a long
// benchmark run does not exhaust memory.
class MemoryWritableFile : public WritableFile {
 public:
  absl::Status Append(std::string_view data) override {
    if (contents_.size() + data.size() > kLimit) contents_.clear();
    contents_.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }

  std::string& contents() { return contents_; }

 private:
  static constexpr size_t kLimit = 64 << 20;
  std::string contents_;
};

class MemorySequentialFile : public SequentialFile {
 public:
  explicit MemorySequentialFile(const std::string* contents)
      : contents_(contents) {}
  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    const size_t k = std::min(n, contents_->size() - pos_);
    std::memcpy(scratch, contents_->data() + pos_, k);
    *result = std::string_view(scratch, k);
    pos_ += k;
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    pos_ = std::min<size_t>(contents_->size(), pos_ + n);
    return absl::OkStatus();
  }

 private:
  const std::string* contents_;
  size_t pos_ = 0;
};

void BM_LogWriterAddRecord(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'v');
  auto file = std::make_unique<MemoryWritableFile>();
  file->contents().reserve(64 << 20);
  LogWriter writer(std::move(file), 1, LogFileKind::kWal);
  if (!writer.WriteHeader().ok()) state.SkipWithError("WriteHeader failed");
  for (auto _ : state) {
    absl::Status s = writer.AddRecord(payload);
    if (!s.ok()) state.SkipWithError("AddRecord failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LogWriterAddRecord)->Arg(100)->Arg(4096)->Arg(100 * 1024);

void BM_LogReaderReadRecord(benchmark::State& state) {
  // A log of 32 MiB worth of records, read over and over.
  const size_t size = static_cast<size_t>(state.range(0));
  std::string log;
  {
    auto file = std::make_unique<MemoryWritableFile>();
    MemoryWritableFile* raw = file.get();
    LogWriter writer(std::move(file), 1, LogFileKind::kWal);
    const std::string payload(size, 'v');
    for (size_t written = 0; written < (32u << 20); written += size) {
      if (!writer.AddRecord(payload).ok()) state.SkipWithError("write");
    }
    log = std::move(raw->contents());
  }
  auto reader =
      std::make_unique<LogReader>(std::make_unique<MemorySequentialFile>(&log),
                                  "bench.log", 1, LogFileKind::kWal);
  std::string scratch;
  std::string_view record;
  for (auto _ : state) {
    absl::StatusOr<bool> r = reader->ReadRecord(&record, &scratch);
    if (!r.ok()) {
      state.SkipWithError("ReadRecord failed");
      break;
    }
    if (!*r) {  // end of the log: start again, untimed
      state.PauseTiming();
      reader = std::make_unique<LogReader>(
          std::make_unique<MemorySequentialFile>(&log), "bench.log", 1,
          LogFileKind::kWal);
      state.ResumeTiming();
      continue;
    }
    benchmark::DoNotOptimize(record.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LogReaderReadRecord)->Arg(100)->Arg(4096)->Arg(100 * 1024);

}  // namespace
}  // namespace ferrisdb

BENCHMARK_MAIN();
