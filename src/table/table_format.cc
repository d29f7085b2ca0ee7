#include "table/table_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "table/compression.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ferrisdb {

absl::Status TableCorruption(std::string_view file_name, std::string_view what,
                             uint64_t offset) {
  return absl::DataLossError(absl::StrCat("sstable ", ToAbsl(file_name), ": ",
                                          ToAbsl(what), " at offset ", offset));
}

void EncodeBlockHandle(const BlockHandle& handle, std::string* dst) {
  PutVarint64(dst, handle.offset);
  PutVarint64(dst, handle.size);
}

bool DecodeBlockHandle(std::string_view input, BlockHandle* handle) {
  return GetVarint64(&input, &handle->offset) &&
         GetVarint64(&input, &handle->size) && input.empty();
}

namespace {

void PutHandleFixed(char* dst, const BlockHandle& h) {
  EncodeFixed64(dst, h.offset);
  EncodeFixed64(dst + 8, h.size);
}

BlockHandle GetHandleFixed(const char* p) {
  return BlockHandle{DecodeFixed64(p), DecodeFixed64(p + 8)};
}

}  // namespace

void EncodeFooter(const Footer& footer, std::string* dst) {
  char buf[kFooterSize];
  PutHandleFixed(buf + kFooterIndexHandleOffset, footer.index);
  PutHandleFixed(buf + kFooterFilterHandleOffset, footer.filter);
  PutHandleFixed(buf + kFooterPropertiesHandleOffset, footer.properties);
  EncodeFixed32(buf + kFooterMaxBlockSizeOffset, footer.max_block_size);
  EncodeFixed32(buf + kFooterVersionOffset, kTableFormatVersion);
  EncodeFixed32(buf + kFooterChecksumOffset,
                Checksum32(std::string_view(buf, kFooterChecksumOffset)));
  EncodeFixed64(buf + kFooterMagicOffset, kTableMagic);
  dst->append(buf, kFooterSize);
}

absl::StatusOr<Footer> DecodeFooter(std::string_view input,
                                    std::string_view file_name,
                                    uint64_t footer_offset) {
  if (input.size() != kFooterSize) {
    return TableCorruption(file_name, "truncated footer", footer_offset);
  }
  const char* p = input.data();
  if (DecodeFixed64(p + kFooterMagicOffset) != kTableMagic) {
    return TableCorruption(file_name, "not an sstable (bad magic number)",
                           footer_offset + kFooterMagicOffset);
  }
  // sstable.md "Footer": the checksum covers every byte before it, including
  // the version, so a damaged version is DataLoss, not FailedPrecondition.
  if (DecodeFixed32(p + kFooterChecksumOffset) !=
      Checksum32(std::string_view(p, kFooterChecksumOffset))) {
    return TableCorruption(file_name, "footer checksum mismatch",
                           footer_offset);
  }
  Footer f;
  f.format_version = DecodeFixed32(p + kFooterVersionOffset);
  if (f.format_version > kTableFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sstable ", ToAbsl(file_name), ": format version ", f.format_version,
        " needs a newer FerrisDB (this build reads up to version ",
        kTableFormatVersion, ")"));
  }
  if (f.format_version == 0) {
    return TableCorruption(file_name, "invalid format version 0",
                           footer_offset + kFooterVersionOffset);
  }
  f.index = GetHandleFixed(p + kFooterIndexHandleOffset);
  f.filter = GetHandleFixed(p + kFooterFilterHandleOffset);
  f.properties = GetHandleFixed(p + kFooterPropertiesHandleOffset);
  f.max_block_size = DecodeFixed32(p + kFooterMaxBlockSizeOffset);
  if (f.max_block_size > kMaxBlockContentsSize) {
    return TableCorruption(file_name, "footer max block size out of range",
                           footer_offset + kFooterMaxBlockSizeOffset);
  }
  return f;
}

uint32_t BlockChecksum(const char* data, size_t size) {
  return Checksum32(std::string_view(data, size + 1));
}

absl::Status CheckBlockHandle(std::string_view file_name, uint64_t limit,
                              const BlockHandle& handle) {
  if (handle.offset > limit || handle.size > limit - handle.offset ||
      limit - handle.offset - handle.size < kBlockTrailerSize) {
    return TableCorruption(
        file_name,
        absl::StrCat("block handle (size ", handle.size,
                     ") extends past the end of the blocks (", limit, ")"),
        handle.offset);
  }
  return absl::OkStatus();
}

absl::StatusOr<BlockContents> DecodeStoredBlock(
    std::string_view stored, std::string_view file_name,
    const BlockHandle& handle, const ReadBlockOptions& options) {
  const size_t n = stored.size() - kBlockTrailerSize;
  const char* data = stored.data();
  const char* trailer = data + n;
  if (options.verify_checksum &&
      DecodeFixed32(trailer + kBlockTrailerChecksumOffset) !=
          BlockChecksum(data, n)) {
    return TableCorruption(file_name, "block checksum mismatch", handle.offset);
  }
  const auto type = static_cast<uint8_t>(trailer[kBlockTrailerTypeOffset]);
  BlockContents contents;
  if (type == static_cast<uint8_t>(CompressionType::kNone)) {
    if (n > options.max_block_size) {
      return TableCorruption(file_name, "block larger than the table maximum",
                             handle.offset);
    }
    contents.data = std::string_view(data, n);
    return contents;
  }
  if (type == static_cast<uint8_t>(CompressionType::kZstd)) {
    const std::string_view compressed(data, n);
    absl::StatusOr<uint64_t> size =
        ZstdUncompressedSize(compressed, options.max_block_size);
    if (!size.ok()) {
      return TableCorruption(file_name, ToStd(size.status().message()),
                             handle.offset);
    }
    const auto usize = static_cast<size_t>(*size);
    contents.owned = std::make_unique_for_overwrite<char[]>(usize + 1);
    absl::Status s = ZstdUncompress(compressed, contents.owned.get(), usize);
    if (!s.ok()) {
      return TableCorruption(file_name, ToStd(s.message()), handle.offset);
    }
    contents.data = std::string_view(contents.owned.get(), usize);
    return contents;
  }
  return TableCorruption(file_name,
                         absl::StrCat("unknown block compression type ", type),
                         handle.offset);
}

absl::StatusOr<BlockContents> ReadBlock(const RandomAccessFile& file,
                                        std::string_view file_name,
                                        uint64_t limit,
                                        const BlockHandle& handle,
                                        const ReadBlockOptions& options) {
  // Validate before allocating: a damaged handle must never cause a huge
  // allocation or a read past the blocks region.
  FERRISDB_RETURN_IF_ERROR(CheckBlockHandle(file_name, limit, handle));
  const size_t n = static_cast<size_t>(handle.size);
  auto buf = std::make_unique_for_overwrite<char[]>(n + kBlockTrailerSize);
  std::string_view read;
  FERRISDB_RETURN_IF_ERROR(
      file.Read(handle.offset, n + kBlockTrailerSize, &read, buf.get()));
  if (read.size() != n + kBlockTrailerSize) {
    return TableCorruption(file_name, "truncated block read", handle.offset);
  }
  FERRISDB_ASSIGN_OR_RETURN(
      BlockContents contents,
      DecodeStoredBlock(read, file_name, handle, options));
  if (contents.owned == nullptr) {
    // Uncompressed: the contents view `read`, which is buf or the file's
    // own memory; either way the result owns a copy.
    if (read.data() != buf.get()) std::memcpy(buf.get(), read.data(), n);
    contents.owned = std::move(buf);
    contents.data = std::string_view(contents.owned.get(), n);
  }
  return contents;
}

}  // namespace ferrisdb
