// Engine adapter for LevelDB. LevelDB has no zstd: when zstd is asked for it
// runs without compression (snappy would not be the same codec), and
// compression() says so, so that the report can mark its column.
//
// Of the compaction settings LevelDB takes only the table size
// (max_file_size = target_file_size). Its level targets (10 MiB at level 1,
// times 10 per level below), its level-0 triggers (compaction at 4 files,
// slowdown at 8, stop at 12) and its single background thread are
// compile-time constants of the library; Describe() says where they differ
// from the settings asked for.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"

namespace ferrisdb::bench {
namespace {

leveldb::Slice ToSlice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}
std::string_view ToView(const leveldb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

absl::Status ToStatus(const leveldb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  return absl::InternalError("leveldb: " + s.ToString());
}

class LeveldbIterator final : public EngineIterator {
 public:
  explicit LeveldbIterator(leveldb::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  bool Valid() const override { return it_->Valid(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  absl::Status status() const override { return ToStatus(it_->status()); }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
};

class LeveldbEngine final : public Engine {
 public:
  explicit LeveldbEngine(const EngineSettings& settings)
      : zstd_asked_(settings.zstd),
        bloom_bits_(settings.bloom_bits),
        level_base_asked_(settings.max_bytes_for_level_base),
        level0_trigger_asked_(settings.level0_compaction_trigger),
        background_jobs_asked_(settings.background_jobs),
        cache_capacity_(settings.cache_bytes),
        cache_(leveldb::NewLRUCache(settings.cache_bytes)),
        filter_(settings.bloom_bits > 0
                    ? leveldb::NewBloomFilterPolicy(settings.bloom_bits)
                    : nullptr) {
    options_.create_if_missing = true;
    options_.write_buffer_size = settings.write_buffer_size;
    options_.block_size = settings.block_size;
    options_.max_open_files = settings.max_open_files;
    options_.max_file_size = settings.target_file_size;
    options_.block_cache = cache_.get();
    options_.filter_policy = filter_.get();
    options_.compression = leveldb::kNoCompression;
    options_.paranoid_checks = true;
    // LevelDB's default is false; the other engines verify.
    read_options_.verify_checksums = true;
    write_options_.sync = false;
  }
  ~LeveldbEngine() override { Close(); }

  std::string name() const override { return "leveldb"; }
  std::string Version() const override {
    return absl::StrFormat("%d.%d", leveldb::kMajorVersion,
                           leveldb::kMinorVersion);
  }
  std::string Describe() const override {
    const auto differs = [](bool differ, const std::string& asked) {
      return differ ? absl::StrCat(" (", asked, " asked for)") : std::string();
    };
    return absl::StrFormat(
        "write_buffer_size=%d block_size=%d bloom=NewBloomFilterPolicy(%d) "
        "block_cache=LRU %d compression=none%s max_open_files=%d "
        "paranoid_checks=1 verify_checksums=1 max_file_size=%d | fixed in "
        "LevelDB: level 1 target=%d%s, x10 per level; level-0 compaction "
        "trigger=%d%s, slowdown at 8, stop at 12 files; 1 background thread "
        "for flushes and compactions%s",
        options_.write_buffer_size, options_.block_size, bloom_bits_,
        cache_capacity_,
        zstd_asked_ ? " (zstd asked for: LevelDB has no zstd)" : "",
        options_.max_open_files, options_.max_file_size, kLevel1Bytes,
        differs(level_base_asked_ != kLevel1Bytes,
                absl::StrCat(level_base_asked_)),
        kLevel0Trigger,
        differs(level0_trigger_asked_ != kLevel0Trigger,
                absl::StrCat(level0_trigger_asked_)),
        differs(background_jobs_asked_ != 1,
                absl::StrCat(background_jobs_asked_, " jobs")));
  }
  std::string compression() const override { return "none"; }

  absl::Status Open(const std::string& path) override {
    leveldb::DB* db = nullptr;
    absl::Status s = ToStatus(leveldb::DB::Open(options_, path, &db));
    db_.reset(db);
    return s;
  }
  // LevelDB has no flush call; on reopen it writes the replayed log to a
  // level-0 table before serving reads.
  absl::Status Flush() override { return absl::OkStatus(); }
  void Close() override { db_.reset(); }

  absl::Status Put(std::string_view key, std::string_view value) override {
    return ToStatus(db_->Put(write_options_, ToSlice(key), ToSlice(value)));
  }
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) override {
    const leveldb::Status s = db_->Get(read_options_, ToSlice(key), value);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    return ToStatus(s);
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<LeveldbIterator>(db_->NewIterator(read_options_));
  }

 private:
  // LevelDB's compile-time compaction constants (db/dbformat.h and
  // db/version_set.cc of its source), for Describe().
  static constexpr uint64_t kLevel1Bytes = uint64_t{10} << 20;
  static constexpr int kLevel0Trigger = 4;

  const bool zstd_asked_;
  const int bloom_bits_;
  const uint64_t level_base_asked_;
  const int level0_trigger_asked_;
  const int background_jobs_asked_;
  const size_t cache_capacity_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  leveldb::Options options_;
  leveldb::ReadOptions read_options_;
  leveldb::WriteOptions write_options_;
  std::unique_ptr<leveldb::DB> db_;  // declared last: closed before the cache
};

}  // namespace

std::unique_ptr<Engine> NewLeveldbEngine(const EngineSettings& settings) {
  return std::make_unique<LeveldbEngine>(settings);
}

}  // namespace ferrisdb::bench
