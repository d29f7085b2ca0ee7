// TableReader: an open SSTable (docs/format/sstable.md). Open reads and
// verifies the footer, index, filter and properties blocks and keeps them in
// memory, or, with cache_index_and_filter_blocks, hands the index and filter
// to the block cache and fetches them from there (re-reading them from the
// file on a miss). Data blocks are read on demand through the block cache.
//
// Thread-safety: a TableReader is immutable after Open and thread-safe; its
// iterators require external synchronization.
#ifndef FERRISDB_TABLE_TABLE_READER_H_
#define FERRISDB_TABLE_TABLE_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/cache.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/bloom.h"
#include "table/table_format.h"
#include "table/table_properties.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

// How a table is opened.
struct TableReadOptions {
  // Consult the bloom filter (when the table has one) in Get.
  bool use_filter = true;
  // Cache for uncompressed data blocks, keyed by the table's cache id and
  // the block offset; nullptr: no caching. Must outlive the reader.
  Cache* block_cache = nullptr;
  // The table's id in block_cache. Give the same id to every reader of the
  // same file (the table cache does: one prefix per DB plus the file
  // number), so a reader reopened after eviction finds the blocks its
  // predecessor cached. 0: a fresh block_cache->NewId() per reader.
  uint64_t cache_id = 0;
  // Hold the index and filter blocks in block_cache (charged, evictable,
  // re-read and re-verified on a miss) instead of pinning them with the
  // reader. Ignored without a block_cache.
  bool cache_index_and_filter_blocks = false;
};

// The outcome of TableReader::Get.
struct GetResult {
  enum class State : uint8_t {
    kNotPresent = 0,  // the table holds no version of the key visible at
                      // the lookup sequence
    kFound = 1,       // newest visible version is a value: see `value`
    kDeleted = 2,     // newest visible version is a deletion
  };
  State state = State::kNotPresent;
  // Sequence number of the version found (kFound, kDeleted).
  SequenceNumber sequence = 0;
  // The value (kFound). Reassigned, so a reused GetResult reuses capacity.
  std::string value;
};

// A data block as one read holds it (see TableReader::ReadDataBlock):
// shared with the block cache (or solely owned after an uncached read), or a
// view into the table's memory-mapped file, which needs no ownership because
// the TableReader outlives its reads.
class DataBlockRef {
 public:
  // The block, or nullptr when none is held.
  const Block* get() const {
    if (shared_ != nullptr) return shared_.get();
    return view_.has_value() ? &*view_ : nullptr;
  }
  void reset() {
    shared_.reset();
    view_.reset();
  }

 private:
  friend class TableReader;
  std::shared_ptr<const Block> shared_;
  std::optional<Block> view_;
};

class TableReader {
 public:
  // Opens the table in `file` of `file_size` bytes. Errors: DataLoss naming
  // file_name and an offset for a damaged or truncated file (every metadata
  // block is checksum-verified), FailedPrecondition for a newer format
  // version, or the I/O error of a read.
  static absl::StatusOr<std::unique_ptr<TableReader>> Open(
      const TableReadOptions& options, std::unique_ptr<RandomAccessFile> file,
      uint64_t file_size, std::string file_name);

  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // An iterator over every entry of the table, in internal-key order. Data
  // blocks are checksum-verified if verify_checksums. On a read error or
  // damage the iterator becomes invalid and status() says why (DataLoss names
  // the file and block offset); positioning does not clear the error. The
  // iterator holds the index block for its lifetime, even once the block
  // cache has evicted it.
  // Blocks read from the file enter the block cache only if fill_cache
  // (bulk scans such as compactions leave the working set alone).
  // REQUIRES: the TableReader outlives the iterator.
  std::unique_ptr<InternalIterator> NewIterator(bool verify_checksums,
                                                bool fill_cache = true) const;

  // Looks up the newest version of key.user_key() with sequence <=
  // key.sequence(). Consults the bloom filter before reading any data block.
  // OK with result->state set, or the error of a damaged or unreadable block.
  absl::Status Get(const LookupKey& key, bool verify_checksums,
                   GetResult* result, bool fill_cache = true) const;

  // Approximately where in the file the entries at or after internal_key
  // begin, for DB::GetApproximateSizes: the offset of the data block the
  // index points to for it (the first block whose index separator is >=
  // internal_key), so 0 for a key at or before the first one. For a key
  // after every separator, data_end_offset(); a key just past the last one
  // may still map to the last block, as the last separator may be a short
  // key beyond it. Monotone in the key and accurate to one data block.
  // Reads no data block. Errors only when the index lives in the block cache
  // and re-reading it fails (DataLoss naming the file, or the I/O error), or
  // for a damaged index entry.
  absl::StatusOr<uint64_t> ApproximateOffsetOf(
      std::string_view internal_key) const;

  // Offset of the first byte after the data blocks, where the filter (if
  // any) and index blocks begin.
  uint64_t data_end_offset() const {
    return footer_.filter.IsNull() ? footer_.index.offset
                                   : footer_.filter.offset;
  }

  // Re-reads every block from the file, bypassing the block cache: each
  // data block (checksum verified, every entry decoded, keys strictly
  // ascending and within its index separator), the index and the filter.
  // Returns one error per damaged block (DataLoss naming the file and the
  // block's offset) or I/O error; empty when the table is intact. Stops
  // early only when the index itself is unusable.
  std::vector<absl::Status> VerifyBlocks() const;

  const TableProperties& properties() const { return properties_; }
  bool has_filter() const { return !footer_.filter.IsNull(); }
  const std::string& file_name() const { return file_name_; }

  // Reads and parses the data block at handle into *block. `ordinal` is the
  // block's position in the table: BlockIter::restart_index() of the index
  // entry that gave handle.
  //   - Memory-mapped table (Env::NewMappedRandomAccessFile), uncompressed
  //     block: a view of the mapping; its checksum is verified the first
  //     time this reader serves it, whatever verify_checksums says, and not
  //     again (the file is immutable). Neither a read nor a copy.
  //   - Otherwise through the block cache (inserted there only if
  //     fill_cache; a block that enters the cache is always verified), read
  //     from the mapping or with the file's Read.
  // Errors are DataLoss naming the file and handle.offset, or I/O errors;
  // *block is then empty.
  absl::Status ReadDataBlock(const BlockHandle& handle, uint32_t ordinal,
                             bool verify_checksums, bool fill_cache,
                             DataBlockRef* block) const;

  // True if data blocks are read in place from a memory-mapped file.
  bool is_mapped() const { return mapped_ != nullptr; }

  // DataLoss for a damaged entry found by an iterator over the block at
  // block_offset (the index block or a data block): adds the file name.
  absl::Status BlockError(const absl::Status& iter_status,
                          uint64_t block_offset) const;

  // The pinned index block, for tests that inspect it.
  // REQUIRES: the index is pinned (no block cache, or
  // !cache_index_and_filter_blocks).
  const Block& index_block() const { return *index_block_; }
  uint64_t index_offset() const { return footer_.index.offset; }

 private:
  // The decoded filter block and the bytes its reader views.
  struct FilterBlock;

  TableReader(const TableReadOptions& options,
              std::unique_ptr<RandomAccessFile> file, std::string file_name,
              const Footer& footer, uint64_t footer_offset);

  // Reads a metadata block (always checksum-verified).
  absl::StatusOr<BlockContents> ReadMetaBlock(const BlockHandle& handle) const;
  // Read, verify and decode the index / filter block from the file.
  absl::StatusOr<std::shared_ptr<const Block>> ReadIndexBlock() const;
  absl::StatusOr<std::shared_ptr<const FilterBlock>> ReadFilterBlock() const;
  // The index block: the pinned one, or the block cache's, or re-read (and
  // verified) from the file and cached. Errors are DataLoss naming the file
  // and the index offset, or I/O errors. The result keeps the block alive.
  absl::StatusOr<std::shared_ptr<const Block>> FetchIndexBlock() const;
  // The filter block, likewise.
  // REQUIRES: has_filter().
  absl::StatusOr<std::shared_ptr<const FilterBlock>> FetchFilterBlock() const;
  // The data block at handle read through the block cache; stored: its
  // bytes and trailer in the mapped file, or empty to read them with Read.
  absl::Status ReadCachedDataBlock(const BlockHandle& handle,
                                   std::string_view stored,
                                   bool verify_checksums, bool fill_cache,
                                   DataBlockRef* block) const;
  // Whether the ordinal-th data block was verified already (always false
  // when the index does not give usable ordinals), and marking it so.
  bool IsVerified(uint32_t ordinal) const;
  void MarkVerified(uint32_t ordinal) const;
  // Sets mapped_ (if the file is mapped and whole) and, when index has one
  // restart point per entry, the per-block verified bits.
  void SetUpMappedReads(const Block& index);
  // The block cache key of the block at offset: writes kCacheKeySize bytes.
  static constexpr size_t kCacheKeySize = 16;
  std::string_view CacheKey(uint64_t offset, char* buf) const;

  // Immutable after Open.
  const TableReadOptions options_;
  const std::unique_ptr<RandomAccessFile> file_;
  const std::string file_name_;
  const Footer footer_;
  const uint64_t footer_offset_;  // blocks lie in [0, footer_offset_)
  const uint64_t cache_id_;       // prefix of this table's block cache keys
  // Pinned with the reader; both nullptr when they live in the block cache
  // (cache_index_and_filter_blocks), filter_ also when the table has none.
  std::shared_ptr<const Block> index_block_;
  std::shared_ptr<const FilterBlock> filter_;
  TableProperties properties_;
  // The file's bytes when it is memory-mapped and as long as expected;
  // nullptr otherwise.
  const char* mapped_ = nullptr;
  // Mapped tables: one bit per data block (by ordinal), set once its
  // checksum was verified. nullptr: every read verifies.
  uint32_t num_data_blocks_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> verified_blocks_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_TABLE_READER_H_
