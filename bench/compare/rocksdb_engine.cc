// Engine adapter for RocksDB (the library found by CMake; see CMakeLists.txt
// for how its origin is recorded in FERRISDB_COMPARE_ROCKSDB_ORIGIN).
//
// Compaction is set to match FerrisDB's shape: static level targets
// (level_compaction_dynamic_level_bytes=false, so level 1 aims at
// max_bytes_for_level_base and each level below at 10 times more), one
// target file size for every level, and background_jobs as
// max_background_jobs. IncreaseParallelism is not used: it resizes the
// thread pool of the process-wide default Env, which the other engines'
// runs would then share; DB::Open grows the pools to what
// max_background_jobs needs.
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "engine.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/version.h"

namespace ferrisdb::bench {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
std::string_view ToView(const rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

absl::Status ToStatus(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  return absl::InternalError("rocksdb: " + s.ToString());
}

class RocksdbIterator final : public EngineIterator {
 public:
  explicit RocksdbIterator(rocksdb::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  absl::Status status() const override { return ToStatus(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksdbEngine final : public Engine {
 public:
  explicit RocksdbEngine(const EngineSettings& settings)
      : zstd_(settings.zstd), bloom_bits_(settings.bloom_bits) {
    options_.create_if_missing = true;
    options_.write_buffer_size = settings.write_buffer_size;
    options_.max_open_files = settings.max_open_files;
    options_.compression =
        settings.zstd ? rocksdb::kZSTD : rocksdb::kNoCompression;
    // FerrisDB compresses with zstd level 1; RocksDB's default would be 3.
    options_.compression_opts.level = 1;
    options_.paranoid_checks = true;
    options_.compaction_style = rocksdb::kCompactionStyleLevel;
    options_.level_compaction_dynamic_level_bytes = false;
    options_.max_bytes_for_level_base = settings.max_bytes_for_level_base;
    options_.max_bytes_for_level_multiplier = 10;
    options_.target_file_size_base = settings.target_file_size;
    options_.target_file_size_multiplier = 1;
    options_.level0_file_num_compaction_trigger =
        settings.level0_compaction_trigger;
    options_.max_background_jobs = settings.background_jobs;
    options_.max_subcompactions = 1;
    rocksdb::BlockBasedTableOptions table;
    table.block_size = settings.block_size;
    if (settings.bloom_bits > 0) {
      table.filter_policy.reset(
          rocksdb::NewBloomFilterPolicy(settings.bloom_bits, false));
    }
    table.block_cache = rocksdb::NewLRUCache(settings.cache_bytes);
    table.cache_index_and_filter_blocks = false;
    options_.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    table_ = table;
    read_options_.verify_checksums = true;
    write_options_.sync = false;
    write_options_.disableWAL = false;
  }
  ~RocksdbEngine() override { Close(); }

  std::string name() const override { return "rocksdb"; }
  std::string Version() const override {
    return absl::StrFormat("%d.%d.%d", ROCKSDB_MAJOR, ROCKSDB_MINOR,
                           ROCKSDB_PATCH);
  }
  std::string Describe() const override {
    return absl::StrFormat(
        "write_buffer_size=%d block_size=%d bloom=NewBloomFilterPolicy(%d, "
        "false) block_cache=LRU %d compression=%s(level %d) max_open_files=%d "
        "paranoid_checks=1 verify_checksums=1 cache_index_and_filter_blocks=0 "
        "| compaction_style=level level_compaction_dynamic_level_bytes=%d "
        "level0_file_num_compaction_trigger=%d max_bytes_for_level_base=%d "
        "max_bytes_for_level_multiplier=%g target_file_size_base=%d "
        "target_file_size_multiplier=%d max_background_jobs=%d (flushes and "
        "compactions together, split by RocksDB) max_subcompactions=%d | "
        "defaults kept: "
        "level0_slowdown_writes_trigger=%d level0_stop_writes_trigger=%d "
        "soft_pending_compaction_bytes_limit=%d "
        "hard_pending_compaction_bytes_limit=%d max_write_buffer_number=%d",
        options_.write_buffer_size, table_.block_size, bloom_bits_,
        table_.block_cache->GetCapacity(), zstd_ ? "zstd" : "none",
        options_.compression_opts.level, options_.max_open_files,
        options_.level_compaction_dynamic_level_bytes,
        options_.level0_file_num_compaction_trigger,
        options_.max_bytes_for_level_base,
        options_.max_bytes_for_level_multiplier, options_.target_file_size_base,
        options_.target_file_size_multiplier, options_.max_background_jobs,
        options_.max_subcompactions, options_.level0_slowdown_writes_trigger,
        options_.level0_stop_writes_trigger,
        options_.soft_pending_compaction_bytes_limit,
        options_.hard_pending_compaction_bytes_limit,
        options_.max_write_buffer_number);
  }
  std::string compression() const override { return zstd_ ? "zstd" : "none"; }

  absl::Status Open(const std::string& path) override {
    rocksdb::DB* db = nullptr;
    absl::Status s = ToStatus(rocksdb::DB::Open(options_, path, &db));
    db_.reset(db);
    return s;
  }
  absl::Status Flush() override {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    return ToStatus(db_->Flush(flush));
  }
  void Close() override {
    if (db_ == nullptr) return;
    // Close() waits for running background jobs; its status only reports
    // an unreleased snapshot, which the driver never holds.
    db_->Close().PermitUncheckedError();
    db_.reset();
  }

  absl::Status Put(std::string_view key, std::string_view value) override {
    return ToStatus(db_->Put(write_options_, ToSlice(key), ToSlice(value)));
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    const rocksdb::Status s = db_->Get(read_options_, ToSlice(key), value);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    return ToStatus(s);
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<RocksdbIterator>(db_->NewIterator(read_options_));
  }

 private:
  const bool zstd_;
  const int bloom_bits_;
  rocksdb::Options options_;
  rocksdb::BlockBasedTableOptions table_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<Engine> NewRocksdbEngine(const EngineSettings& settings) {
  return std::make_unique<RocksdbEngine>(settings);
}

}  // namespace ferrisdb::bench
