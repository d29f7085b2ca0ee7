#include "engine_runner.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "util/histogram.h"

namespace ferrisdb::bench {
namespace {

[[noreturn]] void Fail(std::string_view message) {
  std::fprintf(stderr, "ferrisdb_compare: %.*s\n",
               static_cast<int>(message.size()), message.data());
  std::exit(1);
}

void CheckOk(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Fail(absl::StrCat(what, ": ", status.ToString()));
}

}  // namespace

bool EngineRunner::Wanted(const std::string& name) const {
  return std::find(workload_.benchmarks.begin(), workload_.benchmarks.end(),
                   name) != workload_.benchmarks.end();
}

uint64_t EngineRunner::SeedFor(const std::string& name) const {
  const auto it =
      std::find(std::begin(kAllBenchmarks), std::end(kAllBenchmarks), name);
  return workload_.seed * 1000003 +
         static_cast<uint64_t>(it - std::begin(kAllBenchmarks) + 1) * 1009;
}

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
}

std::string LatencyKey(std::string_view benchmark, double percentile) {
  return absl::StrCat(absl::string_view(benchmark.data(), benchmark.size()),
                      " p", percentile);
}

void EngineRunner::RecordLatency(const std::string& name,
                                 const Histogram& latencies) {
  for (double p : kLatencyPercentiles) {
    run_.latency_us[LatencyKey(name, p)] = latencies.Percentile(p) / 1000.0;
  }
}

void EngineRunner::MaybePrintStats(const std::string& after) {
  if (!workload_.ferrisdb_stats || engine_->name() != "ferrisdb") return;
  absl::StatusOr<std::string> stats = engine_->StatsText();
  CheckOk(stats.status(), "ferrisdb GetProperty(\"ferrisdb.stats\")");
  std::fprintf(stderr,
               "ferrisdb_compare: repeat %d: ferrisdb.stats after %s:\n%s",
               repeat_, after.c_str(), stats->c_str());
}

void EngineRunner::Fill(const std::string& name, bool sequential, bool timed) {
  Random64 random(SeedFor(name));
  KeyFormatter keys(workload_.key_size);
  ValueGenerator values(workload_.seed, workload_.value_size);
  std::atomic<uint64_t> done{0};
  const std::string label = absl::StrCat(engine_->name(), " ", name);
  ProgressMeter progress(workload_.progress, label, workload_.num, &done);
  Histogram latencies;
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < workload_.num; ++i) {
    const std::string_view key =
        keys.Key(sequential ? i : random.Uniform(workload_.num));
    const std::string_view value = values.Next();
    const uint64_t op_start = NowNanos();
    CheckOk(engine_->Put(key, value), label);
    latencies.Add(NowNanos() - op_start);
    user_bytes_ += key.size() + value.size();
    if ((i & 1023) == 1023) done.store(i + 1, std::memory_order_relaxed);
  }
  if (timed) {
    Record(name, workload_.num, start);
    RecordLatency(name, latencies);
  }
}

absl::StatusOr<uint64_t> EngineRunner::TimedRandomGets(const std::string& name,
                                                       bool missing,
                                                       Histogram* latencies) {
  Random64 random(SeedFor(name));
  KeyFormatter keys(workload_.key_size);
  std::string value;
  uint64_t found = 0;
  std::atomic<uint64_t> done{0};
  ProgressMeter progress(workload_.progress,
                         absl::StrCat(engine_->name(), " ", name),
                         workload_.num, &done);
  for (uint64_t i = 0; i < workload_.num; ++i) {
    const uint64_t k = random.Uniform(workload_.num);
    const std::string_view key = missing ? keys.MissingKey(k) : keys.Key(k);
    const uint64_t op_start = NowNanos();
    absl::StatusOr<bool> hit = engine_->Get(key, &value);
    latencies->Add(NowNanos() - op_start);
    if (!hit.ok()) return hit.status();
    found += *hit ? 1 : 0;
    if ((i & 1023) == 1023) done.store(i + 1, std::memory_order_relaxed);
  }
  return found;
}

void EngineRunner::ReadRandom(const std::string& name, bool missing) {
  const std::string label = absl::StrCat(engine_->name(), " ", name);
  Histogram latencies;
  const uint64_t start = NowNanos();
  absl::StatusOr<uint64_t> hits = TimedRandomGets(name, missing, &latencies);
  CheckOk(hits.status(), label);
  const uint64_t found = *hits;
  Record(name, workload_.num, start);
  RecordLatency(name, latencies);
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
  KeyFormatter keys(workload_.key_size);
  std::unique_ptr<EngineIterator> it = engine_->NewIterator();
  uint64_t found = 0;
  Histogram latencies;
  const uint64_t start = NowNanos();
  for (uint64_t i = 0; i < workload_.num; ++i) {
    const std::string_view key = keys.Key(random.Uniform(workload_.num));
    const uint64_t op_start = NowNanos();
    it->Seek(key);
    latencies.Add(NowNanos() - op_start);
    if (it->Valid() && it->key() == key) ++found;
  }
  Record(name, workload_.num, start);
  RecordLatency(name, latencies);
  CheckOk(it->status(), absl::StrCat(engine_->name(), " ", name));
  run_.found[std::string(name)] = found;
}

void EngineRunner::ReadWhileWriting(const std::string& name) {
  const std::string label = absl::StrCat(engine_->name(), " ", name);
  std::atomic<bool> stop{false};
  uint64_t writes = 0;
  uint64_t written_bytes = 0;
  absl::Status write_status;
  // The writer replays fillrandom's key order (with other values), so it
  // only overwrites keys that exist: whether a read finds its key does not
  // depend on how far the writer got, and the found counts agree across
  // engines like the other reads'.
  std::thread writer([&] {
    Random64 random(SeedFor("fillrandom"));
    KeyFormatter keys(workload_.key_size);
    ValueGenerator values(workload_.seed + 1, workload_.value_size);
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      if (i == workload_.num) {  // fillrandom's keys again, from the start
        random = Random64(SeedFor("fillrandom"));
        i = 0;
      }
      const std::string_view key = keys.Key(random.Uniform(workload_.num));
      const std::string_view value = values.Next();
      write_status = engine_->Put(key, value);
      if (!write_status.ok()) return;
      ++writes;
      written_bytes += key.size() + value.size();
    }
  });
  Histogram latencies;
  const uint64_t start = NowNanos();
  // An error ends the reads; it is reported after the writer has stopped.
  absl::StatusOr<uint64_t> found =
      TimedRandomGets(name, /*missing=*/false, &latencies);
  const uint64_t end = NowNanos();
  stop.store(true, std::memory_order_relaxed);
  writer.join();
  CheckOk(found.status(), label);
  CheckOk(write_status, label + " (writer)");
  Record(name, workload_.num, start);
  RecordLatency(name, latencies);
  const double seconds = static_cast<double>(end - start) / 1e9;
  run_.ops_per_second[std::string(kReadWhileWritingWrites)] =
      seconds > 0 ? static_cast<double>(writes) / seconds : 0;
  user_bytes_ += written_bytes;
  run_.found[std::string(name)] = *found;
}

EngineRun EngineRunner::Run() {
  const std::optional<ProcessIo> io_before = ReadProcessIo();
  const std::string name(engine_->name());

  if (Wanted("fillseq")) {
    CheckOk(engine_->Open(Fresh(name + "_fillseq")), name + " open fillseq");
    Fill("fillseq", /*sequential=*/true, /*timed=*/true);
    MaybePrintStats("fillseq");
    engine_->Close();
    Fresh(name + "_fillseq");
  }
  bool reads = false;
  for (const char* r : {"readrandom", "readmissing", "readseq", "seekrandom",
                        "readwhilewriting"}) {
    reads = reads || Wanted(r);
  }
  std::string path;
  if (reads || Wanted("fillrandom") || Wanted("overwrite")) {
    path = Fresh(name + "_random");
    CheckOk(engine_->Open(path), name + " open");
    Fill("fillrandom", /*sequential=*/false, Wanted("fillrandom"));
    MaybePrintStats(Wanted("fillrandom") ? "fillrandom"
                                         : "fillrandom (untimed load)");
    if (Wanted("overwrite")) {
      Fill("overwrite", /*sequential=*/false, true);
      MaybePrintStats("overwrite");
    }
    CheckOk(engine_->Flush(), name + " flush");
    engine_->Close();
    CheckOk(engine_->Open(path), name + " reopen");
    if (Wanted("readrandom")) ReadRandom("readrandom", /*missing=*/false);
    if (Wanted("readmissing")) ReadRandom("readmissing", /*missing=*/true);
    if (Wanted("readseq")) ReadSeq("readseq");
    if (Wanted("seekrandom")) SeekRandom("seekrandom");
    engine_->Close();
    // Before readwhilewriting, whose writes differ in number per engine.
    const DirectoryUsage usage = MeasureDirectory(path);
    run_.db_bytes = static_cast<double>(usage.bytes);
    run_.db_files = static_cast<double>(usage.files);
    if (Wanted("readwhilewriting")) {
      CheckOk(engine_->Open(path), name + " reopen for readwhilewriting");
      ReadWhileWriting("readwhilewriting");
      engine_->Close();
    }
  }
  const std::optional<ProcessIo> io_after = ReadProcessIo();
  if (!path.empty() && !workload_.keep_db) Fresh(name + "_random");
  if (io_before.has_value() && io_after.has_value() && user_bytes_ > 0) {
    run_.write_amp =
        static_cast<double>(io_after->write_bytes - io_before->write_bytes) /
        static_cast<double>(user_bytes_);
    run_.wchar_amp = static_cast<double>(io_after->wchar - io_before->wchar) /
                     static_cast<double>(user_bytes_);
  }
  return run_;
}

}  // namespace ferrisdb::bench
