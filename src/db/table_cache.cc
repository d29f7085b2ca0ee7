#include "db/table_cache.h"

#include <algorithm>
#include <utility>

#include "db/filename.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace ferrisdb {
namespace {

using ReaderPtr = std::shared_ptr<const TableReader>;

void DeleteReader(std::string_view, void* value) {
  delete static_cast<ReaderPtr*>(value);
}

}  // namespace

TableCache::TableCache(std::string dbname, Env* env, int max_open_files,
                       Cache* block_cache, bool cache_index_and_filter_blocks,
                       bool use_mmap_reads)
    : dbname_(std::move(dbname)),
      env_(env),
      block_cache_(block_cache),
      block_cache_id_prefix_(block_cache != nullptr ? block_cache->NewId() : 0),
      cache_index_and_filter_blocks_(cache_index_and_filter_blocks),
      use_mmap_reads_(use_mmap_reads),
      pin_budget_(std::max(max_open_files, 1) / 2),
      pinned_(std::make_shared<std::atomic<int>>(0)),
      // One shard: an exact LRU bound on open files.
      readers_(NewLRUCache(
          static_cast<size_t>(std::max(max_open_files - pin_budget_, 1)),
          /*num_shard_bits=*/0)) {}

absl::StatusOr<const TableReader*> TableCache::GetForRead(
    const FileMetaData& f, std::shared_ptr<const TableReader>* holder) {
  if (const TableReader* pinned = f.reader.Get()) return pinned;
  if (!ReservePin()) {
    FERRISDB_ASSIGN_OR_RETURN(*holder, GetCached(f.number, f.file_size));
    // Another thread may have pinned the table meanwhile (taking the last
    // unit, which is why this one went to the LRU cache) and evicted the
    // cached copy before this insert: do not keep the table open twice.
    if (f.reader.Get() != nullptr) Evict(f.number);
    return holder->get();
  }
  absl::StatusOr<std::unique_ptr<TableReader>> opened =
      Open(f.number, f.file_size, /*use_block_cache=*/true);
  if (!opened.ok()) {
    pinned_->fetch_sub(1, std::memory_order_relaxed);
    return opened.status();
  }
  // The unit goes back when the reader is closed: with f, or right away if
  // another thread pinned one first.
  std::shared_ptr<const TableReader> reader(
      opened->release(), [pinned = pinned_](const TableReader* r) {
        delete r;
        pinned->fetch_sub(1, std::memory_order_relaxed);
      });
  const TableReader* result = f.reader.Install(std::move(reader));
  // A copy the LRU cache may hold from before is one more open file.
  Evict(f.number);
  return result;
}

absl::StatusOr<std::shared_ptr<const TableReader>> TableCache::Get(
    const std::shared_ptr<const FileMetaData>& f) {
  std::shared_ptr<const TableReader> holder;
  FERRISDB_ASSIGN_OR_RETURN(const TableReader* reader, GetForRead(*f, &holder));
  if (holder != nullptr) return holder;
  return std::shared_ptr<const TableReader>(f, reader);
}

bool TableCache::ReservePin() {
  if (pinned_->fetch_add(1, std::memory_order_relaxed) < pin_budget_) {
    return true;
  }
  pinned_->fetch_sub(1, std::memory_order_relaxed);
  return false;
}

absl::StatusOr<std::shared_ptr<const TableReader>> TableCache::GetCached(
    uint64_t number, uint64_t file_size) {
  char key[8];
  EncodeFixed64(key, number);
  if (Cache::Handle* h = readers_->Lookup({key, sizeof(key)})) {
    ReaderPtr reader = *static_cast<ReaderPtr*>(readers_->Value(h));
    readers_->Release(h);
    return reader;
  }
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<TableReader> opened,
                            Open(number, file_size, /*use_block_cache=*/true));
  ReaderPtr reader(std::move(opened));
  // Two threads may open the same table at once; the later insert replaces
  // the earlier, and both readers stay valid for their users.
  Cache::Handle* h = readers_->Insert({key, sizeof(key)}, new ReaderPtr(reader),
                                      1, &DeleteReader);
  readers_->Release(h);
  return reader;
}

absl::StatusOr<std::unique_ptr<TableReader>> TableCache::OpenUncached(
    uint64_t number, uint64_t file_size) {
  return Open(number, file_size, /*use_block_cache=*/false);
}

absl::StatusOr<std::unique_ptr<TableReader>> TableCache::Open(
    uint64_t number, uint64_t file_size, bool use_block_cache) {
  const std::string path = TableFileName(dbname_, number);
  // Verification (no block cache) reads the file with system calls.
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                            use_block_cache && use_mmap_reads_
                                ? env_->NewMappedRandomAccessFile(path)
                                : env_->NewRandomAccessFile(path));
  TableReadOptions options;
  if (use_block_cache) {
    options.block_cache = block_cache_;
    // Stable per file, distinct per DB: file numbers stay below 2^40, and
    // NewId() values below 2^24.
    options.cache_id = block_cache_id_prefix_ << 40 | number;
    options.cache_index_and_filter_blocks = cache_index_and_filter_blocks_;
  }
  return TableReader::Open(options, std::move(file), file_size,
                           path.substr(dbname_.size() + 1));
}

void TableCache::Evict(uint64_t number) {
  char key[8];
  EncodeFixed64(key, number);
  readers_->Erase({key, sizeof(key)});
}

}  // namespace ferrisdb
