#include "table/table_builder.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "memtable/internal_key.h"
#include "table/bloom.h"
#include "table/compression.h"
#include "table/index_key.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {

TableBuildOptions TableBuildOptions::FromOptions(const Options& options) {
  TableBuildOptions t;
  t.block_size = options.block_size;
  t.block_restart_interval = options.block_restart_interval;
  t.bloom_bits_per_key = options.bloom_bits_per_key;
  t.compression = options.compression;
  t.compression_level = options.compression_level;
  return t;
}

TableBuilder::TableBuilder(const TableBuildOptions& options, WritableFile* file,
                           std::string file_name)
    : options_(options),
      file_(file),
      file_name_(std::move(file_name)),
      data_block_(std::max(options.block_restart_interval, 1)),
      // sstable.md "Index block": every index entry is a restart point, so
      // Seek binary-searches all separators.
      index_block_(1),
      compressor_(std::make_unique<BlockCompressor>(
          options.compression, options.compression_level)) {
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(options_.bloom_bits_per_key);
  }
  props_.compression = options_.compression;
  props_.format_version = kTableFormatVersion;
}

TableBuilder::~TableBuilder() = default;

absl::Status TableBuilder::Add(std::string_view internal_key,
                               std::string_view value) {
  assert(!closed_);
  if (!status_.ok()) return status_;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sstable ", file_name_, ": malformed internal key ",
                     InternalKeyDebugString(internal_key)));
  }
  if (props_.num_entries > 0 &&
      CompareInternalKeys(last_key_, internal_key) >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sstable ", file_name_, ": key ", InternalKeyDebugString(internal_key),
        " added after ", InternalKeyDebugString(last_key_)));
  }
  if (pending_index_entry_) AddIndexEntry(internal_key);
  if (filter_ != nullptr) filter_->AddKey(parsed.user_key);

  if (props_.num_entries == 0) {
    props_.smallest_user_key.assign(parsed.user_key);
    props_.smallest_sequence = parsed.sequence;
    props_.largest_sequence = parsed.sequence;
  } else {
    props_.smallest_sequence =
        std::min(props_.smallest_sequence, parsed.sequence);
    props_.largest_sequence =
        std::max(props_.largest_sequence, parsed.sequence);
  }
  ++props_.num_entries;
  if (parsed.type == ValueType::kDeletion) ++props_.num_deletions;
  props_.raw_key_size += internal_key.size();
  props_.raw_value_size += value.size();
  last_key_.assign(internal_key);

  data_block_.Add(internal_key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) {
    status_ = FlushDataBlock();
  }
  return status_;
}

void TableBuilder::AddIndexEntry(std::string_view next_key) {
  if (next_key.empty()) {
    FindShortSuccessor(last_key_, &separator_);
  } else {
    FindShortSeparator(last_key_, next_key, &separator_);
  }
  handle_encoding_.clear();
  EncodeBlockHandle(pending_handle_, &handle_encoding_);
  index_block_.Add(separator_, handle_encoding_);
  pending_index_entry_ = false;
}

absl::Status TableBuilder::FlushDataBlock() {
  if (data_block_.empty()) return absl::OkStatus();
  absl::StatusOr<BlockHandle> handle =
      WriteBlock(data_block_.Finish(), /*compress=*/true);
  if (!handle.ok()) return handle.status();
  data_block_.Reset();
  pending_handle_ = *handle;
  pending_index_entry_ = true;
  ++props_.num_data_blocks;
  if (offset_ < writeback_at_) return absl::OkStatus();  // stays buffered
  // Start writing every MiB to storage as the table grows, so the caller's
  // final Sync is short and does not hold up log syncs behind a burst.
  writeback_at_ = offset_ + kWritebackBytes;
  return file_->StartWriteback();
}

absl::StatusOr<BlockHandle> TableBuilder::WriteBlock(std::string_view contents,
                                                     bool compress) {
  if (contents.size() > kMaxBlockContentsSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("sstable ", file_name_, ": block of ", contents.size(),
                     " bytes exceeds the limit of ", kMaxBlockContentsSize));
  }
  max_block_size_ =
      std::max(max_block_size_, static_cast<uint32_t>(contents.size()));
  CompressionType type = CompressionType::kNone;
  std::string_view stored = contents;
  if (compress) {
    type = compressor_->Compress(contents, &compressed_);
    if (type != CompressionType::kNone) stored = compressed_;
  }
  // sstable.md "Blocks": trailer = type | checksum(stored bytes + type).
  char trailer[kBlockTrailerSize];
  trailer[kBlockTrailerTypeOffset] = static_cast<char>(type);
  const uint32_t checksum = Checksum32(stored, std::string_view(trailer, 1));
  EncodeFixed32(trailer + kBlockTrailerChecksumOffset, checksum);

  BlockHandle handle{offset_, stored.size()};
  absl::Status s = file_->Append(stored);
  if (s.ok()) s = file_->Append(std::string_view(trailer, kBlockTrailerSize));
  if (!s.ok()) return s;
  offset_ += stored.size() + kBlockTrailerSize;
  return handle;
}

absl::Status TableBuilder::Finish() {
  assert(!closed_);
  closed_ = true;
  if (!status_.ok()) return status_;
  status_ = FlushDataBlock();
  if (!status_.ok()) return status_;
  props_.data_size = offset_;
  if (props_.num_entries > 0) {
    props_.largest_user_key.assign(ExtractUserKey(last_key_));
  }

  Footer footer;
  if (filter_ != nullptr) {
    const std::string filter = filter_->Finish();
    absl::StatusOr<BlockHandle> h = WriteBlock(filter, /*compress=*/false);
    if (!h.ok()) return status_ = h.status();
    footer.filter = *h;
    props_.filter_size = h->size + kBlockTrailerSize;
  }

  if (pending_index_entry_) AddIndexEntry({});
  absl::StatusOr<BlockHandle> h =
      WriteBlock(index_block_.Finish(), /*compress=*/false);
  if (!h.ok()) return status_ = h.status();
  footer.index = *h;
  props_.index_size = h->size + kBlockTrailerSize;

  if (options_.creation_time != 0) {
    props_.creation_time = options_.creation_time;
  } else {
    props_.creation_time =
        static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()));
  }
  h = WriteBlock(EncodePropertiesBlock(props_), /*compress=*/false);
  if (!h.ok()) return status_ = h.status();
  footer.properties = *h;

  footer.max_block_size = max_block_size_;
  std::string encoded;
  EncodeFooter(footer, &encoded);
  status_ = file_->Append(encoded);
  if (!status_.ok()) return status_;
  offset_ += encoded.size();
  return status_ = file_->Flush();
}

void TableBuilder::Abandon() {
  assert(!closed_);
  closed_ = true;
}

}  // namespace ferrisdb
