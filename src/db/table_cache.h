// TableCache: the open TableReaders of a DB, at most max_open_files of them
// (each holds a file descriptor and, unless cache_index_and_filter_blocks, its
// index and its filter).
//
// Half of max_open_files are pinned: the first tables read are kept open in
// their FileMetaData (TableReaderSlot) until the last version listing them
// goes, so a read finds them with one atomic load, taking no lock. The other
// half are an LRU cache for tables beyond that budget, where the least
// recently used one is closed when another must open.
//
// Thread-safe.
#ifndef FERRISDB_DB_TABLE_CACHE_H_
#define FERRISDB_DB_TABLE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ferrisdb/cache.h"
#include "ferrisdb/env.h"
#include "table/table_reader.h"
#include "version/version_edit.h"

namespace ferrisdb {

class TableCache {
 public:
  // REQUIRES: env and block_cache (may be nullptr) outlive the table cache.
  // cache_index_and_filter_blocks, use_mmap_reads: see Options
  // (cache_index_and_filter_blocks needs a block_cache).
  TableCache(std::string dbname, Env* env, int max_open_files,
             Cache* block_cache, bool cache_index_and_filter_blocks,
             bool use_mmap_reads);

  // The reader of table f, opening it if needed, for a point read: it stays
  // valid while f lives (pinned in f.reader) or else while *holder does
  // (from the LRU cache; it stays usable after eviction from the cache).
  absl::StatusOr<const TableReader*> GetForRead(
      const FileMetaData& f, std::shared_ptr<const TableReader>* holder);

  // The same with shared ownership, for iterators: a pinned reader is
  // returned as an alias of f, keeping f (and so its slot) alive.
  // REQUIRES: f != nullptr.
  absl::StatusOr<std::shared_ptr<const TableReader>> Get(
      const std::shared_ptr<const FileMetaData>& f);

  // A new reader of table `number`, not shared, not reading through the
  // block cache and not mapped: for verification, which must read the
  // file's bytes afresh, and for compaction, which reads each block once.
  absl::StatusOr<std::unique_ptr<TableReader>> OpenUncached(uint64_t number,
                                                            uint64_t file_size);

  // Forgets table `number` (its file is being deleted).
  void Evict(uint64_t number);

  // Readers pinned in FileMetaData now, and the most there may be.
  int pinned_readers() const {
    return pinned_->load(std::memory_order_relaxed);
  }
  int pin_budget() const { return pin_budget_; }
  // Readers held by the LRU cache now.
  size_t cached_readers() const { return readers_->GetStatistics().usage; }

 private:
  absl::StatusOr<std::unique_ptr<TableReader>> Open(uint64_t number,
                                                    uint64_t file_size,
                                                    bool use_block_cache);
  // Through the LRU cache.
  absl::StatusOr<std::shared_ptr<const TableReader>> GetCached(
      uint64_t number, uint64_t file_size);
  // Takes one unit of the pin budget; false if it is spent.
  bool ReservePin();

  const std::string dbname_;
  Env* const env_;
  Cache* const block_cache_;
  // This DB's prefix of table ids in the block cache (see Get).
  const uint64_t block_cache_id_prefix_;
  const bool cache_index_and_filter_blocks_;
  const bool use_mmap_reads_;
  // Readers pinned in FileMetaData at most, and how many are. The count is
  // shared with each pinned reader's deleter, which gives its unit back when
  // the last version listing the table goes (possibly after this cache).
  const int pin_budget_;
  const std::shared_ptr<std::atomic<int>> pinned_;
  // The others: values are std::shared_ptr<const TableReader>*, charge 1
  // each, capacity max_open_files - pin_budget_ (at least 1).
  const std::shared_ptr<Cache> readers_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_TABLE_CACHE_H_
