// TableBuilder: writes one SSTable (docs/format/sstable.md) from entries
// added in ascending internal-key order.
//
//   TableBuilder b(options, file.get(), "000123.sst");
//   for (...) FERRISDB_RETURN_IF_ERROR(b.Add(internal_key, value));
//   FERRISDB_RETURN_IF_ERROR(b.Finish());  // then Sync/Close the file
//
// REQUIRES: external synchronization.
#ifndef FERRISDB_TABLE_TABLE_BUILDER_H_
#define FERRISDB_TABLE_TABLE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"
#include "ferrisdb/options.h"
#include "table/block_builder.h"
#include "table/table_format.h"
#include "table/table_properties.h"

namespace ferrisdb {

class BlockCompressor;
class BloomFilterBuilder;

// How a table is built. Defaults match ferrisdb::Options; see FromOptions.
struct TableBuildOptions {
  // Approximate uncompressed bytes per data block. A block is cut once it
  // reaches this size, so it exceeds it by at most one entry.
  size_t block_size = 4096;
  // Entries between restart points of data blocks. At least 1.
  int block_restart_interval = 16;
  // Bloom filter bits per user key; 0 writes no filter block.
  int bloom_bits_per_key = 10;
  // Compression of data blocks. Index, filter and properties blocks are
  // stored uncompressed.
  CompressionType compression = CompressionType::kZstd;
  int compression_level = 1;
  // Stored in the properties; 0 means the current time.
  uint64_t creation_time = 0;

  static TableBuildOptions FromOptions(const Options& options);
};

class TableBuilder {
 public:
  // Writes to *file, which must be empty, stay alive until Finish() or
  // Abandon() and is not closed by the builder. file_name is used in error
  // messages only.
  TableBuilder(const TableBuildOptions& options, WritableFile* file,
               std::string file_name);
  ~TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Appends an entry. InvalidArgument if internal_key is malformed or does
  // not sort after the previous key; the I/O error of a block write
  // otherwise. After an error every call returns it.
  // REQUIRES: Finish() and Abandon() not called.
  absl::Status Add(std::string_view internal_key, std::string_view value);

  // Writes the last data block, the filter, index and properties blocks and
  // the footer. Does not sync or close the file.
  // REQUIRES: Finish() and Abandon() not called.
  absl::Status Finish();

  // Stops building; the file content is unspecified (the caller deletes it).
  void Abandon();

  // The first error, or OK.
  absl::Status status() const { return status_; }

  // Entries added so far.
  uint64_t NumEntries() const { return props_.num_entries; }
  // Bytes written so far; after Finish(), the file size.
  uint64_t FileSize() const { return offset_; }
  // Properties of what was added; complete after Finish().
  const TableProperties& properties() const { return props_; }

 private:
  absl::Status FlushDataBlock();
  // Writes contents (compressed if `compress` and worth it) and its trailer;
  // returns its handle.
  absl::StatusOr<BlockHandle> WriteBlock(std::string_view contents,
                                         bool compress);
  // Adds the index entry of the pending block: a separator between
  // last_key_ and next_key, or (next_key empty: no block follows, since
  // internal keys are never empty) a short successor of last_key_.
  void AddIndexEntry(std::string_view next_key);

  const TableBuildOptions options_;
  WritableFile* const file_;
  const std::string file_name_;

  absl::Status status_;
  uint64_t offset_ = 0;
  // offset_ at which FlushDataBlock next starts writeback of the file.
  static constexpr uint64_t kWritebackBytes = uint64_t{1} << 20;
  uint64_t writeback_at_ = kWritebackBytes;
  bool closed_ = false;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<BlockCompressor> compressor_;
  std::unique_ptr<BloomFilterBuilder> filter_;
  std::string last_key_;         // last key added
  std::string compressed_;       // scratch for compression
  std::string separator_;        // scratch for index keys
  std::string handle_encoding_;  // scratch for index values
  // The last data block was flushed and its index entry waits for the first
  // key of the next block (to pick a short separator).
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  uint32_t max_block_size_ = 0;
  TableProperties props_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_TABLE_BUILDER_H_
