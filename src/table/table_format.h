// Constants and small codecs of the SSTable format. The format is specified
// byte by byte in docs/format/sstable.md; change both together, and bump
// kTableFormatVersion for any change an older reader would misread.
//
//   file    := data_block* [filter_block] index_block properties_block footer
//   block   := contents (possibly compressed) | trailer
//   trailer := compression type (uint8) | checksum (fixed32)
//
// Thread-safety: everything here is a pure function or a value type.
#ifndef FERRISDB_TABLE_TABLE_FORMAT_H_
#define FERRISDB_TABLE_TABLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"
#include "ferrisdb/options.h"

namespace ferrisdb {

// Version of the layout in docs/format/sstable.md, stored in every footer.
inline constexpr uint32_t kTableFormatVersion = 1;

// ---- Block trailer (sstable.md "Blocks") ----
// compression type (uint8) | checksum (fixed32). The checksum is the low 32
// bits of XXH3-64 over the stored block bytes followed by the type byte.
inline constexpr size_t kBlockTrailerTypeOffset = 0;
inline constexpr size_t kBlockTrailerChecksumOffset = 1;
inline constexpr size_t kBlockTrailerSize = 5;
static_assert(kBlockTrailerChecksumOffset == kBlockTrailerTypeOffset + 1);
static_assert(kBlockTrailerSize == kBlockTrailerChecksumOffset + 4);

// Largest uncompressed block contents a writer produces or a reader accepts
// (1 GiB). Bounds the allocation a damaged or hostile file can cause, together
// with the per-table maximum stored in the footer.
inline constexpr uint64_t kMaxBlockContentsSize = uint64_t{1} << 30;

// ---- Block contents (sstable.md "Block contents") ----
// entries | restart offsets (fixed32 each) | restart count (fixed32).
inline constexpr size_t kRestartEntrySize = 4;
inline constexpr size_t kRestartCountSize = 4;

// ---- Footer (sstable.md "Footer"): the last kFooterSize bytes. ----
inline constexpr size_t kFooterIndexHandleOffset = 0;        // 2 x fixed64
inline constexpr size_t kFooterFilterHandleOffset = 16;      // 2 x fixed64
inline constexpr size_t kFooterPropertiesHandleOffset = 32;  // 2 x fixed64
inline constexpr size_t kFooterMaxBlockSizeOffset = 48;      // fixed32
inline constexpr size_t kFooterVersionOffset = 52;           // fixed32
inline constexpr size_t kFooterChecksumOffset = 56;          // fixed32
inline constexpr size_t kFooterMagicOffset = 60;             // fixed64
inline constexpr size_t kFooterSize = 68;
static_assert(kFooterFilterHandleOffset == kFooterIndexHandleOffset + 16);
static_assert(kFooterPropertiesHandleOffset == kFooterFilterHandleOffset + 16);
static_assert(kFooterMaxBlockSizeOffset == kFooterPropertiesHandleOffset + 16);
static_assert(kFooterVersionOffset == kFooterMaxBlockSizeOffset + 4);
static_assert(kFooterChecksumOffset == kFooterVersionOffset + 4);
static_assert(kFooterMagicOffset == kFooterChecksumOffset + 4);
static_assert(kFooterSize == kFooterMagicOffset + 8);
static_assert(kMaxBlockContentsSize <= UINT32_MAX);

// The magic's little-endian bytes spell "FerrisST".
inline constexpr uint64_t kTableMagic = 0x5453736972726546ULL;

// Where a block lives in the file: offset of its first byte and size of its
// stored contents, excluding the trailer. (sstable.md "Block handles")
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  // True for the null handle (no block), used for an absent filter.
  bool IsNull() const { return offset == 0 && size == 0; }
  friend bool operator==(const BlockHandle&, const BlockHandle&) = default;
};

// Largest varint encoding of a handle (two varint64s).
inline constexpr size_t kMaxEncodedBlockHandleSize = 20;

// Appends varint64 offset | varint64 size (the index block's values).
void EncodeBlockHandle(const BlockHandle& handle, std::string* dst);
// Decodes a handle that must fill all of input exactly. False if malformed.
bool DecodeBlockHandle(std::string_view input, BlockHandle* handle);

// The decoded footer.
struct Footer {
  BlockHandle index;
  BlockHandle filter;  // null: the table has no filter
  BlockHandle properties;
  // Largest uncompressed contents of any block of the table.
  uint32_t max_block_size = 0;
  uint32_t format_version = kTableFormatVersion;
};

// Writes the kFooterSize bytes of footer (with kTableFormatVersion, its
// checksum and the magic) to *dst.
void EncodeFooter(const Footer& footer, std::string* dst);

// Decodes the kFooterSize bytes of input. Checks, in order: the magic
// (DataLoss "not an sstable"), the checksum (DataLoss), the version
// (FailedPrecondition when newer than this build, DataLoss when 0). Messages
// name file_name and footer_offset.
absl::StatusOr<Footer> DecodeFooter(std::string_view input,
                                    std::string_view file_name,
                                    uint64_t footer_offset);

// Checksum stored in a block trailer: XXH3 over block bytes followed by the
// compression type byte. REQUIRES: data points to size + 1 bytes, the last of
// which is the type byte.
uint32_t BlockChecksum(const char* data, size_t size);

// The uncompressed contents of one block. `data` views `owned`, or, when
// owned is empty, memory that someone else keeps alive for as long as the
// contents are used (a table's memory-mapped file; see DecodeStoredBlock).
// Only owned contents may enter a block cache.
struct BlockContents {
  std::unique_ptr<char[]> owned;
  std::string_view data;
};

// How ReadBlock treats a block.
struct ReadBlockOptions {
  bool verify_checksum = true;
  // Largest uncompressed size accepted (from the footer).
  uint64_t max_block_size = kMaxBlockContentsSize;
};

// OK if the block at handle, with its trailer, lies within [0, limit)
// (limit is the footer offset); DataLoss naming file_name and handle.offset
// otherwise.
absl::Status CheckBlockHandle(std::string_view file_name, uint64_t limit,
                              const BlockHandle& handle);

// Verifies (if options.verify_checksum) and uncompresses one stored block:
// `stored` holds its handle.size bytes followed by its trailer. The contents
// of an uncompressed block view `stored` in place (owned stays empty); those
// of a compressed block are owned. Errors are DataLoss naming file_name and
// handle.offset.
absl::StatusOr<BlockContents> DecodeStoredBlock(std::string_view stored,
                                                std::string_view file_name,
                                                const BlockHandle& handle,
                                                const ReadBlockOptions& options);

// Reads, verifies and uncompresses the block at handle; the contents are
// always owned. The handle must lie
// within [0, limit) together with its trailer (limit is the footer offset).
// Errors are DataLoss naming file_name and handle.offset, or the I/O status
// of file->Read.
absl::StatusOr<BlockContents> ReadBlock(const RandomAccessFile& file,
                                        std::string_view file_name,
                                        uint64_t limit,
                                        const BlockHandle& handle,
                                        const ReadBlockOptions& options);

// DataLoss "sstable <file>: <what> at offset <offset>".
absl::Status TableCorruption(std::string_view file_name, std::string_view what,
                             uint64_t offset);

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_TABLE_FORMAT_H_
