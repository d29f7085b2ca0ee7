// Engine adapter for LevelDB. LevelDB has no zstd: when zstd is asked for it
// runs without compression (snappy would not be the same codec), and
// compression() says so, so that the report can mark its column.
#include <memory>
#include <string>
#include <string_view>

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
        cache_capacity_(settings.cache_bytes),
        cache_(leveldb::NewLRUCache(settings.cache_bytes)),
        filter_(settings.bloom_bits > 0
                    ? leveldb::NewBloomFilterPolicy(settings.bloom_bits)
                    : nullptr) {
    options_.create_if_missing = true;
    options_.write_buffer_size = settings.write_buffer_size;
    options_.block_size = settings.block_size;
    options_.max_open_files = settings.max_open_files;
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
    return absl::StrFormat(
        "write_buffer_size=%d block_size=%d bloom=NewBloomFilterPolicy(%d) "
        "block_cache=LRU %d compression=none%s max_open_files=%d "
        "paranoid_checks=1 verify_checksums=1 | defaults kept: "
        "max_file_size=%d, 1 background thread (not configurable)",
        options_.write_buffer_size, options_.block_size, bloom_bits_,
        cache_capacity_,
        zstd_asked_ ? " (zstd asked for: LevelDB has no zstd)" : "",
        options_.max_open_files, options_.max_file_size);
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
  const bool zstd_asked_;
  const int bloom_bits_;
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
