// TableCache: the open TableReaders of a DB, at most max_open_files of them
// (each holds a file descriptor and, unless cache_index_and_filter_blocks, its
// index and its filter); the least recently used one is closed when another
// must open.
//
// Thread-safe.
#ifndef FERRISDB_DB_TABLE_CACHE_H_
#define FERRISDB_DB_TABLE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ferrisdb/cache.h"
#include "ferrisdb/env.h"
#include "table/table_reader.h"

namespace ferrisdb {

class TableCache {
 public:
  // REQUIRES: env and block_cache (may be nullptr) outlive the table cache.
  // cache_index_and_filter_blocks, use_mmap_reads: see Options
  // (cache_index_and_filter_blocks needs a block_cache).
  TableCache(std::string dbname, Env* env, int max_open_files,
             Cache* block_cache, bool cache_index_and_filter_blocks,
             bool use_mmap_reads);

  // The reader of table `number` (of file_size bytes), opening it if needed.
  // The returned reader stays usable after eviction from the cache.
  absl::StatusOr<std::shared_ptr<const TableReader>> Get(uint64_t number,
                                                         uint64_t file_size);

  // A new reader of table `number`, not shared, not reading through the
  // block cache and not mapped: for verification, which must read the
  // file's bytes afresh, and for compaction, which reads each block once.
  absl::StatusOr<std::unique_ptr<TableReader>> OpenUncached(uint64_t number,
                                                            uint64_t file_size);

  // Forgets table `number` (its file is being deleted).
  void Evict(uint64_t number);

 private:
  absl::StatusOr<std::unique_ptr<TableReader>> Open(uint64_t number,
                                                    uint64_t file_size,
                                                    bool use_block_cache);

  const std::string dbname_;
  Env* const env_;
  Cache* const block_cache_;
  // This DB's prefix of table ids in the block cache (see Get).
  const uint64_t block_cache_id_prefix_;
  const bool cache_index_and_filter_blocks_;
  const bool use_mmap_reads_;
  // Values are std::shared_ptr<const TableReader>*, charge 1 each.
  const std::shared_ptr<Cache> readers_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_TABLE_CACHE_H_
