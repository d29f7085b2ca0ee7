// Engine adapter for FerrisDB, through its public API only. Its background
// work is one flush thread and one compaction thread, not configurable: the
// background_jobs setting only shows up in Describe() when it differs.
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_format.h"
#include "engine.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "ferrisdb/version.h"

namespace ferrisdb::bench {
namespace {

class FerrisdbIterator final : public EngineIterator {
 public:
  explicit FerrisdbIterator(std::unique_ptr<Iterator> it)
      : it_(std::move(it)) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(target); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  absl::Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<Iterator> it_;
};

class FerrisdbEngine final : public Engine {
 public:
  explicit FerrisdbEngine(const EngineSettings& settings)
      : zstd_(settings.zstd), background_jobs_(settings.background_jobs) {
    options_.create_if_missing = true;
    options_.write_buffer_size = settings.write_buffer_size;
    options_.block_size = settings.block_size;
    options_.bloom_bits_per_key = settings.bloom_bits;
    options_.block_cache_capacity = settings.cache_bytes;
    options_.compression =
        settings.zstd ? CompressionType::kZstd : CompressionType::kNone;
    options_.compression_level = 1;
    options_.max_open_files = settings.max_open_files;
    options_.target_file_size = settings.target_file_size;
    options_.max_bytes_for_level_base = settings.max_bytes_for_level_base;
    options_.level0_file_num_compaction_trigger =
        settings.level0_compaction_trigger;
  }

  std::string name() const override { return "ferrisdb"; }
  std::string Version() const override { return FERRISDB_VERSION_STRING; }
  std::string Describe() const override {
    return absl::StrFormat(
        "write_buffer_size=%d block_size=%d bloom_bits_per_key=%d "
        "block_cache_capacity=%d compression=%s(level %d) max_open_files=%d "
        "paranoid_checks=%d verify_checksums=1 use_mmap_reads=%d "
        "cache_index_and_filter_blocks=%d | leveled compaction: "
        "level0_file_num_compaction_trigger=%d "
        "level0_slowdown_writes_trigger=%d level0_stop_writes_trigger=%d "
        "max_bytes_for_level_base=%d max_bytes_for_level_multiplier=%g "
        "target_file_size=%d soft_pending_compaction_bytes_limit=%d "
        "hard_pending_compaction_bytes_limit=%d | background: 1 flush thread "
        "+ 1 compaction thread (fixed%s)",
        options_.write_buffer_size, options_.block_size,
        options_.bloom_bits_per_key, options_.block_cache_capacity,
        zstd_ ? "zstd" : "none", options_.compression_level,
        options_.max_open_files, options_.paranoid_checks,
        options_.use_mmap_reads, options_.cache_index_and_filter_blocks,
        options_.level0_file_num_compaction_trigger,
        options_.level0_slowdown_writes_trigger,
        options_.level0_stop_writes_trigger, options_.max_bytes_for_level_base,
        options_.max_bytes_for_level_multiplier, options_.target_file_size,
        options_.soft_pending_compaction_bytes_limit,
        options_.hard_pending_compaction_bytes_limit,
        background_jobs_ == 2
            ? ""
            : absl::StrFormat("; %d background jobs asked for",
                              background_jobs_));
  }
  std::string compression() const override { return zstd_ ? "zstd" : "none"; }

  absl::Status Open(const std::string& path) override {
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, path);
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> StatsText() override {
    return db_->GetProperty("ferrisdb.stats");
  }
  absl::Status Flush() override { return db_->Flush(); }
  void Close() override { db_.reset(); }

  absl::Status Put(std::string_view key, std::string_view value) override {
    return db_->Put(write_options_, key, value);
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    absl::StatusOr<std::string> result = db_->Get(read_options_, key);
    if (result.ok()) {
      *value = *std::move(result);
      return true;
    }
    if (absl::IsNotFound(result.status())) return false;
    return result.status();
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<FerrisdbIterator>(db_->NewIterator(read_options_));
  }

 private:
  const bool zstd_;
  const int background_jobs_;
  Options options_;
  const ReadOptions read_options_;
  const WriteOptions write_options_;
  std::unique_ptr<DB> db_;
};

}  // namespace

std::unique_ptr<Engine> NewFerrisdbEngine(const EngineSettings& settings) {
  return std::make_unique<FerrisdbEngine>(settings);
}

}  // namespace ferrisdb::bench
