// Block compression for SSTables (docs/format/sstable.md "Compression").
//
// Thread-safety: the free functions are thread-safe. BlockCompressor requires
// external synchronization (it reuses one zstd context).
#ifndef FERRISDB_TABLE_COMPRESSION_H_
#define FERRISDB_TABLE_COMPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/options.h"

namespace ferrisdb {

// Compresses blocks with one reusable zstd context.
class BlockCompressor {
 public:
  BlockCompressor(CompressionType type, int level);
  ~BlockCompressor();
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  // Compresses raw into *out and returns the type to store. Returns kNone
  // (and leaves *out unspecified) when compression is off, fails, or saves
  // less than 1/8 of raw's size: the caller then stores raw.
  CompressionType Compress(std::string_view raw, std::string* out);

 private:
  struct ZstdContext;
  const CompressionType type_;
  const int level_;
  std::unique_ptr<ZstdContext> zstd_;
};

// Uncompressed size recorded in a zstd frame. Error (InvalidArgument) if the
// frame is malformed or its size is unknown or above max_size.
absl::StatusOr<uint64_t> ZstdUncompressedSize(std::string_view compressed,
                                              uint64_t max_size);

// Uncompresses a zstd frame into dst, which has room for exactly `size`
// bytes (from ZstdUncompressedSize). Error (InvalidArgument) if the frame is
// malformed or does not produce exactly `size` bytes.
absl::Status ZstdUncompress(std::string_view compressed, char* dst,
                            size_t size);

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_COMPRESSION_H_
