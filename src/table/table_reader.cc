#include "table/table_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace ferrisdb {

TableReader::TableReader(const TableReadOptions& options,
                         std::unique_ptr<RandomAccessFile> file,
                         std::string file_name, const Footer& footer,
                         uint64_t footer_offset, Block index_block)
    : options_(options),
      file_(std::move(file)),
      file_name_(std::move(file_name)),
      footer_(footer),
      footer_offset_(footer_offset),
      cache_id_(options.block_cache != nullptr ? options.block_cache->NewId()
                                               : 0),
      index_block_(std::move(index_block)) {}

absl::StatusOr<std::unique_ptr<TableReader>> TableReader::Open(
    const TableReadOptions& options, std::unique_ptr<RandomAccessFile> file,
    uint64_t file_size, std::string file_name) {
  if (file_size < kFooterSize) {
    return TableCorruption(
        file_name,
        absl::StrCat("file of ", file_size, " bytes is too short for a footer"),
        0);
  }
  const uint64_t footer_offset = file_size - kFooterSize;
  char footer_buf[kFooterSize];
  std::string_view footer_data;
  FERRISDB_RETURN_IF_ERROR(
      file->Read(footer_offset, kFooterSize, &footer_data, footer_buf));
  FERRISDB_ASSIGN_OR_RETURN(
      Footer footer, DecodeFooter(footer_data, file_name, footer_offset));

  ReadBlockOptions meta_options;
  meta_options.verify_checksum = true;
  meta_options.max_block_size = footer.max_block_size;
  FERRISDB_ASSIGN_OR_RETURN(
      BlockContents index_contents,
      ReadBlock(*file, file_name, footer_offset, footer.index, meta_options));
  absl::StatusOr<Block> index = Block::Create(std::move(index_contents));
  if (!index.ok()) {
    return TableCorruption(file_name,
                           absl::StrCat("bad index block: ",
                                        index.status().message()),
                           footer.index.offset);
  }
  std::unique_ptr<TableReader> table(
      new TableReader(options, std::move(file), std::move(file_name), footer,
                      footer_offset, std::move(*index)));

  FERRISDB_ASSIGN_OR_RETURN(BlockContents props_contents,
                            table->ReadMetaBlock(footer.properties));
  absl::StatusOr<TableProperties> props =
      DecodePropertiesBlock(props_contents.data);
  if (!props.ok()) {
    return TableCorruption(table->file_name_,
                           absl::StrCat("bad properties block: ",
                                        props.status().message()),
                           footer.properties.offset);
  }
  table->properties_ = std::move(*props);

  if (!footer.filter.IsNull()) {
    FERRISDB_ASSIGN_OR_RETURN(table->filter_contents_,
                              table->ReadMetaBlock(footer.filter));
    absl::StatusOr<BloomFilterReader> filter =
        BloomFilterReader::Open(table->filter_contents_.data);
    if (!filter.ok()) {
      return TableCorruption(table->file_name_,
                             absl::StrCat("bad filter block: ",
                                          filter.status().message()),
                             footer.filter.offset);
    }
    table->filter_.emplace(*filter);
  }
  return table;
}

absl::StatusOr<BlockContents> TableReader::ReadMetaBlock(
    const BlockHandle& handle) const {
  ReadBlockOptions o;
  o.verify_checksum = true;  // sstable.md: metadata is always verified
  o.max_block_size = footer_.max_block_size;
  return ReadBlock(*file_, file_name_, footer_offset_, handle, o);
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::ReadDataBlock(
    const BlockHandle& handle, bool verify_checksums) const {
  // Cache key: reader id and block offset, both fixed64.
  char cache_key[16];
  Cache* const cache = options_.block_cache;
  if (cache != nullptr) {
    EncodeFixed64(cache_key, cache_id_);
    EncodeFixed64(cache_key + 8, handle.offset);
    if (Cache::Handle* h = cache->Lookup({cache_key, sizeof(cache_key)})) {
      auto block = *static_cast<std::shared_ptr<const Block>*>(cache->Value(h));
      cache->Release(h);
      return block;
    }
  }
  ReadBlockOptions o;
  // A block that enters the cache is always verified, so no later read can
  // be served unverified bytes.
  o.verify_checksum = verify_checksums || cache != nullptr;
  o.max_block_size = footer_.max_block_size;
  FERRISDB_ASSIGN_OR_RETURN(
      BlockContents contents,
      ReadBlock(*file_, file_name_, footer_offset_, handle, o));
  absl::StatusOr<Block> block = Block::Create(std::move(contents));
  if (!block.ok()) {
    return TableCorruption(
        file_name_, absl::StrCat("bad data block: ", block.status().message()),
        handle.offset);
  }
  auto result = std::make_shared<const Block>(std::move(*block));
  if (cache != nullptr) {
    auto* cached = new std::shared_ptr<const Block>(result);
    Cache::Handle* h = cache->Insert(
        {cache_key, sizeof(cache_key)}, cached,
        handle.size + sizeof(Block),
        [](std::string_view, void* value) {
          delete static_cast<std::shared_ptr<const Block>*>(value);
        });
    cache->Release(h);
  }
  return result;
}

absl::Status TableReader::BlockError(const absl::Status& iter_status,
                                     uint64_t block_offset) const {
  if (iter_status.code() != absl::StatusCode::kDataLoss) return iter_status;
  return TableCorruption(
      file_name_, absl::StrCat("corrupt block (", iter_status.message(), ")"),
      block_offset);
}

std::unique_ptr<InternalIterator> TableReader::NewIterator(
    bool verify_checksums) const {
  return std::make_unique<TwoLevelIterator>(this, verify_checksums);
}

absl::Status TableReader::Get(const LookupKey& key, bool verify_checksums,
                              GetResult* result) const {
  result->state = GetResult::State::kNotPresent;
  if (options_.use_filter && filter_.has_value() &&
      !filter_->KeyMayMatch(key.user_key())) {
    return absl::OkStatus();
  }
  const std::string_view target = key.internal_key();
  BlockIter index_iter(&index_block_, BlockKeyOrder::kInternal);
  index_iter.Seek(target);
  // Usually one block; the next one too when the target equals a shortened
  // separator (an entry >= target can then start the following block).
  for (; index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    if (!DecodeBlockHandle(index_iter.value(), &handle)) {
      return TableCorruption(file_name_, "bad block handle in index block",
                             footer_.index.offset);
    }
    FERRISDB_ASSIGN_OR_RETURN(std::shared_ptr<const Block> block,
                              ReadDataBlock(handle, verify_checksums));
    BlockIter it(block.get(), BlockKeyOrder::kInternal);
    it.Seek(target);
    if (!it.Valid()) {
      if (!it.status().ok()) return BlockError(it.status(), handle.offset);
      continue;
    }
    ParsedInternalKey parsed;
    if (!ParseInternalKey(it.key(), &parsed)) {
      return TableCorruption(file_name_, "malformed internal key in block",
                             handle.offset);
    }
    if (parsed.user_key != key.user_key()) return absl::OkStatus();
    result->sequence = parsed.sequence;
    if (parsed.type == ValueType::kDeletion) {
      result->state = GetResult::State::kDeleted;
    } else {
      result->state = GetResult::State::kFound;
      result->value.assign(it.value());
    }
    return absl::OkStatus();
  }
  if (!index_iter.status().ok()) {
    return BlockError(index_iter.status(), footer_.index.offset);
  }
  return absl::OkStatus();
}

}  // namespace ferrisdb
