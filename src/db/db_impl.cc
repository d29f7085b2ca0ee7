#include "db/db_impl.h"

#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_iter.h"
#include "db/level_iterator.h"
#include "db/merging_iterator.h"
#include "db/write_batch_internal.h"
#include "util/status_macros.h"

namespace ferrisdb {
namespace {

std::shared_ptr<Cache> BlockCacheFor(const Options& options) {
  return options.block_cache != nullptr
             ? options.block_cache
             : NewLRUCache(options.block_cache_capacity);
}

}  // namespace

DB::~DB() = default;

absl::StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options,
                                             const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("DB::Open: the path is empty");
  }
  if (options.write_buffer_size < 1024) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "DB::Open %s: write_buffer_size %d is below the minimum of 1024 bytes",
        path, options.write_buffer_size));
  }
  if (options.block_restart_interval < 1 || options.block_size < 1 ||
      options.bloom_bits_per_key < 0 || options.max_open_files < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "DB::Open %s: block_size, block_restart_interval and max_open_files "
        "must be positive and bloom_bits_per_key not negative",
        path));
  }
  if (options.level0_file_num_compaction_trigger < 1 ||
      options.level0_slowdown_writes_trigger <
          options.level0_file_num_compaction_trigger ||
      options.level0_stop_writes_trigger <
          options.level0_slowdown_writes_trigger) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "DB::Open %s: level-0 triggers must satisfy 1 <= compaction (%d) <= "
        "slowdown (%d) <= stop (%d)",
        path, options.level0_file_num_compaction_trigger,
        options.level0_slowdown_writes_trigger,
        options.level0_stop_writes_trigger));
  }
  if (options.max_bytes_for_level_base < 1 ||
      !(options.max_bytes_for_level_multiplier >= 1) ||
      options.target_file_size < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "DB::Open %s: max_bytes_for_level_base and target_file_size must be "
        "positive and max_bytes_for_level_multiplier at least 1",
        path));
  }
  Options resolved = options;
  if (resolved.env == nullptr) resolved.env = Env::Default();
  auto impl = std::make_unique<DBImpl>(resolved, path);
  FERRISDB_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<DB>(std::move(impl));
}

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options),
      env_(options.env),
      dbname_(std::move(dbname)),
      block_cache_(BlockCacheFor(options)),
      table_cache_(std::make_unique<TableCache>(
          dbname_, env_, options.max_open_files, block_cache_.get(),
          options.cache_index_and_filter_blocks, options.use_mmap_reads)),
      statistics_(options.statistics.get()),
      versions_(std::make_unique<VersionSet>(dbname_, env_,
                                             options_.max_manifest_file_size)),
      picker_(std::make_unique<CompactionPicker>(options)) {}

DBImpl::~DBImpl() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    shutdown_requested_.store(true, std::memory_order_relaxed);
    background_cv_.SignalAll();
  }
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  absl::MutexLock lock(&mu_);
  // Tables a reader held past the last deletion pass: the readers are gone
  // now (they must not outlive the DB), so they go, unless the DB is in an
  // error state (then the next Open decides).
  if (obsolete_tables_held_ && write_error_.ok()) DeleteObsoleteFilesLocked();
  if (log_ != nullptr) {
    // Hands acknowledged data to the OS. An error cannot be reported from a
    // destructor; the data is still in the log up to the failed write.
    log_->Close().IgnoreError();
  }
}

std::shared_ptr<const ReadView> DBImpl::GetReadView(const ReadOptions& options,
                                                    SequenceNumber* sequence) {
  // The view before the sequence (see published_sequence_).
  std::shared_ptr<const ReadView> view = published_view_.Load();
  if (read_view_test_hook_) std::exchange(read_view_test_hook_, nullptr)();
  *sequence = options.snapshot != nullptr
                  ? options.snapshot->sequence_number()
                  : published_sequence_.load(std::memory_order_acquire);
  return view;
}

void DBImpl::TEST_SetReadViewHook(std::function<void()> hook) {
  read_view_test_hook_ = std::move(hook);
}

void DBImpl::SetLastSequenceLocked(SequenceNumber sequence) {
  last_sequence_ = sequence;
  published_sequence_.store(sequence, std::memory_order_release);
}

void DBImpl::InstallViewLocked(MemTable* mem, std::vector<MemTable*> imm) {
  view_ = std::make_shared<const ReadView>(mem, std::move(imm),
                                           versions_->current());
  published_view_.Store(view_);
  pending_compaction_bytes_ =
      picker_->EstimatePendingCompactionBytes(view_->version());
}

absl::StatusOr<std::string> DBImpl::Get(const ReadOptions& options,
                                        std::string_view key) {
  if (statistics_ == nullptr) return GetImpl(options, key);
  const uint64_t start = env_->NowMicros();
  absl::StatusOr<std::string> result = GetImpl(options, key);
  RecordTick(Ticker::kGets);
  if (result.ok()) {
    RecordTick(Ticker::kGetHits);
    RecordTick(Ticker::kBytesRead, result->size());
  } else if (absl::IsNotFound(result.status())) {
    RecordTick(Ticker::kGetMisses);
  }
  RecordLatency(HistogramType::kGetMicros, env_->NowMicros() - start);
  return result;
}

absl::StatusOr<std::string> DBImpl::GetImpl(const ReadOptions& options,
                                            std::string_view key) {
  if (key.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Get: key of %d bytes exceeds the limit of %d bytes",
                        key.size(), kMaxKeySize));
  }
  SequenceNumber sequence;
  std::shared_ptr<const ReadView> view = GetReadView(options, &sequence);
  const LookupKey lookup(key, sequence);
  std::string value;

  // Memtables, newest first.
  auto search = [&](const MemTable* mem) -> std::optional<absl::Status> {
    switch (mem->Get(lookup, &value)) {
      case MemTable::GetResult::kFound:
        return absl::OkStatus();
      case MemTable::GetResult::kDeleted:
        return absl::NotFoundError("key not found");
      case MemTable::GetResult::kNotPresent:
        break;
    }
    return std::nullopt;
  };
  std::optional<absl::Status> result = search(view->mem());
  for (size_t i = 0; !result.has_value() && i < view->imm().size(); ++i) {
    result = search(view->imm()[i]);
  }
  if (result.has_value()) {
    if (!result->ok()) return *std::move(result);
    return value;
  }

  // Tables: level 0 newest first (its files may overlap), then each deeper
  // level, where at most one file can hold the key.
  GetResult table_result;
  auto search_table =
      [&](const FileMetaData& f) -> std::optional<absl::Status> {
    if (key < ExtractUserKey(f.smallest) || key > ExtractUserKey(f.largest)) {
      return std::nullopt;
    }
    std::shared_ptr<const TableReader> holder;
    absl::StatusOr<const TableReader*> reader =
        table_cache_->GetForRead(f, &holder);
    if (!reader.ok()) return reader.status();
    absl::Status s = (*reader)->Get(lookup, options.verify_checksums,
                                    &table_result, options.fill_cache);
    if (!s.ok()) return s;
    switch (table_result.state) {
      case GetResult::State::kFound:
        return absl::OkStatus();
      case GetResult::State::kDeleted:
        return absl::NotFoundError("key not found");
      case GetResult::State::kNotPresent:
        break;
    }
    return std::nullopt;
  };
  const Version& version = view->version();
  const Version::FileList& level0 = version.files(0);
  for (auto it = level0.rbegin(); !result.has_value() && it != level0.rend();
       ++it) {
    result = search_table(**it);
  }
  for (int level = 1; !result.has_value() && level < kNumLevels; ++level) {
    // The only file of the level that can hold the key: the first whose
    // largest key is >= the lookup key (no user key spans two files).
    const Version::FileList& files = version.files(level);
    const size_t i = version.FindFile(level, lookup.internal_key());
    if (i < files.size()) result = search_table(*files[i]);
  }
  if (!result.has_value()) return absl::NotFoundError("key not found");
  if (!result->ok()) return *std::move(result);
  return std::move(table_result.value);
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  SequenceNumber sequence;
  std::shared_ptr<const ReadView> view = GetReadView(options, &sequence);
  const Version& version = view->version();
  // Children: the memtables, each level-0 table (they may overlap, so each
  // is its own child; a one-file level iterator opens it lazily) and one
  // concatenating iterator per deeper level.
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.reserve(1 + view->imm().size() + version.files(0).size() +
                   kNumLevels - 1);
  children.push_back(view->mem()->NewIterator());
  for (MemTable* imm : view->imm()) children.push_back(imm->NewIterator());
  for (const auto& f : version.files(0)) {
    children.push_back(NewLevelIterator(
        table_cache_.get(), {f}, options.verify_checksums, options.fill_cache));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (version.files(level).empty()) continue;
    children.push_back(
        NewLevelIterator(table_cache_.get(), version.files(level),
                         options.verify_checksums, options.fill_cache));
  }
  return NewDBIterator(NewMergingIterator(std::move(children)), sequence,
                       std::move(view), options.iterate_lower_bound,
                       options.iterate_upper_bound, statistics_);
}

const Snapshot* DBImpl::GetSnapshot() {
  absl::MutexLock lock(&mu_);
  return snapshots_.New(last_sequence_);
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  absl::MutexLock lock(&mu_);
  snapshots_.Delete(static_cast<const SnapshotImpl*>(snapshot));
}

CacheStatistics DBImpl::GetBlockCacheStatistics() const {
  return block_cache_->GetStatistics();
}

SequenceNumber DBImpl::TEST_LastSequence() {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

size_t DBImpl::TEST_NumImmutableMemtables() {
  absl::MutexLock lock(&mu_);
  return view_->imm().size();
}

std::shared_ptr<const Version> DBImpl::TEST_CurrentVersion() {
  absl::MutexLock lock(&mu_);
  return versions_->current();
}

size_t DBImpl::TEST_NumTables() {
  absl::MutexLock lock(&mu_);
  return view_->version().NumFiles();
}

}  // namespace ferrisdb
