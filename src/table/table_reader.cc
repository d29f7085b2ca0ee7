#include "table/table_reader.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace ferrisdb {
namespace {

// Block cache values are heap std::shared_ptr<const T>: a reader copies the
// shared_ptr and releases the handle at once, so what it holds stays alive
// after eviction, and the cache's charge covers only what the cache keeps.
template <typename T>
std::shared_ptr<const T> CacheLookup(Cache* cache, std::string_view key) {
  Cache::Handle* h = cache->Lookup(key);
  if (h == nullptr) return nullptr;
  std::shared_ptr<const T> value =
      *static_cast<std::shared_ptr<const T>*>(cache->Value(h));
  cache->Release(h);
  return value;
}

template <typename T>
void CacheInsert(Cache* cache, std::string_view key,
                 std::shared_ptr<const T> value, size_t charge) {
  Cache::Handle* h =
      cache->Insert(key, new std::shared_ptr<const T>(std::move(value)), charge,
                    [](std::string_view, void* v) {
                      delete static_cast<std::shared_ptr<const T>*>(v);
                    });
  cache->Release(h);
}

}  // namespace

struct TableReader::FilterBlock {
  FilterBlock(BlockContents c, BloomFilterReader r)
      : contents(std::move(c)), reader(r) {}
  BlockContents contents;  // viewed by reader
  BloomFilterReader reader;
};

TableReader::TableReader(const TableReadOptions& options,
                         std::unique_ptr<RandomAccessFile> file,
                         std::string file_name, const Footer& footer,
                         uint64_t footer_offset)
    : options_(options),
      file_(std::move(file)),
      file_name_(std::move(file_name)),
      footer_(footer),
      footer_offset_(footer_offset),
      cache_id_(options.block_cache == nullptr ? 0
                : options.cache_id != 0        ? options.cache_id
                                        : options.block_cache->NewId()) {}

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
  std::unique_ptr<TableReader> table(new TableReader(
      options, std::move(file), std::move(file_name), footer, footer_offset));

  // The index and filter are read and verified here either way, so a damaged
  // file fails at Open whether or not they are then cached.
  FERRISDB_ASSIGN_OR_RETURN(std::shared_ptr<const Block> index,
                            table->ReadIndexBlock());
  std::shared_ptr<const FilterBlock> filter;
  if (!footer.filter.IsNull()) {
    FERRISDB_ASSIGN_OR_RETURN(filter, table->ReadFilterBlock());
  }
  FERRISDB_ASSIGN_OR_RETURN(BlockContents props_contents,
                            table->ReadMetaBlock(footer.properties));
  absl::StatusOr<TableProperties> props =
      DecodePropertiesBlock(props_contents.data);
  if (!props.ok()) {
    return TableCorruption(
        table->file_name_,
        absl::StrCat("bad properties block: ", props.status().message()),
        footer.properties.offset);
  }
  table->properties_ = std::move(*props);

  table->SetUpMappedReads(*index);

  Cache* const cache = options.block_cache;
  if (cache != nullptr && options.cache_index_and_filter_blocks) {
    char key[kCacheKeySize];
    CacheInsert(cache, table->CacheKey(footer.index.offset, key),
                std::move(index), footer.index.size + sizeof(Block));
    if (filter != nullptr) {
      CacheInsert(cache, table->CacheKey(footer.filter.offset, key),
                  std::move(filter), footer.filter.size + sizeof(FilterBlock));
    }
  } else {
    table->index_block_ = std::move(index);
    table->filter_ = std::move(filter);
  }
  return table;
}

std::string_view TableReader::CacheKey(uint64_t offset, char* buf) const {
  // Reader id and block offset, both fixed64. Block offsets are unique within
  // the file, so data, index and filter blocks share one key space.
  EncodeFixed64(buf, cache_id_);
  EncodeFixed64(buf + 8, offset);
  return {buf, kCacheKeySize};
}

absl::StatusOr<BlockContents> TableReader::ReadMetaBlock(
    const BlockHandle& handle) const {
  ReadBlockOptions o;
  o.verify_checksum = true;  // sstable.md: metadata is always verified
  o.max_block_size = footer_.max_block_size;
  return ReadBlock(*file_, file_name_, footer_offset_, handle, o);
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::ReadIndexBlock()
    const {
  FERRISDB_ASSIGN_OR_RETURN(BlockContents contents,
                            ReadMetaBlock(footer_.index));
  absl::StatusOr<Block> index = Block::Create(std::move(contents));
  if (!index.ok()) {
    return TableCorruption(
        file_name_, absl::StrCat("bad index block: ", index.status().message()),
        footer_.index.offset);
  }
  // sstable.md "Index block": lookups binary-search the separators, so they
  // must strictly ascend. Checksums cannot vouch for that (a broken writer
  // checksums what it wrote); one pass per read of the index does.
  BlockIter it(&*index, BlockKeyOrder::kInternal);
  std::string previous;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (!previous.empty() && CompareInternalKeys(previous, it.key()) >= 0) {
      return TableCorruption(file_name_, "index separators out of order",
                             footer_.index.offset);
    }
    previous.assign(it.key());
  }
  if (!it.status().ok()) {
    return TableCorruption(
        file_name_, absl::StrCat("bad index block: ", it.status().message()),
        footer_.index.offset);
  }
  return std::make_shared<const Block>(*std::move(index));
}

absl::StatusOr<std::shared_ptr<const TableReader::FilterBlock>>
TableReader::ReadFilterBlock() const {
  FERRISDB_ASSIGN_OR_RETURN(BlockContents contents,
                            ReadMetaBlock(footer_.filter));
  absl::StatusOr<BloomFilterReader> reader =
      BloomFilterReader::Open(contents.data);
  if (!reader.ok()) {
    return TableCorruption(
        file_name_,
        absl::StrCat("bad filter block: ", reader.status().message()),
        footer_.filter.offset);
  }
  // The reader views the heap bytes of contents, which moving keeps in place.
  return std::make_shared<const FilterBlock>(std::move(contents), *reader);
}

absl::StatusOr<std::shared_ptr<const Block>> TableReader::FetchIndexBlock()
    const {
  if (index_block_ != nullptr) return index_block_;
  Cache* const cache = options_.block_cache;
  char key_buf[kCacheKeySize];
  const std::string_view key = CacheKey(footer_.index.offset, key_buf);
  if (auto index = CacheLookup<Block>(cache, key)) return index;
  FERRISDB_ASSIGN_OR_RETURN(std::shared_ptr<const Block> index,
                            ReadIndexBlock());
  CacheInsert(cache, key, index, footer_.index.size + sizeof(Block));
  return index;
}

absl::StatusOr<std::shared_ptr<const TableReader::FilterBlock>>
TableReader::FetchFilterBlock() const {
  if (filter_ != nullptr) return filter_;
  Cache* const cache = options_.block_cache;
  char key_buf[kCacheKeySize];
  const std::string_view key = CacheKey(footer_.filter.offset, key_buf);
  if (auto filter = CacheLookup<FilterBlock>(cache, key)) return filter;
  FERRISDB_ASSIGN_OR_RETURN(std::shared_ptr<const FilterBlock> filter,
                            ReadFilterBlock());
  CacheInsert(cache, key, filter, footer_.filter.size + sizeof(FilterBlock));
  return filter;
}

void TableReader::SetUpMappedReads(const Block& index) {
  const std::optional<std::string_view> mapped = file_->MappedContents();
  // A file shorter than the manifest says is read with Read, which reports
  // the truncation instead of touching memory past the mapping.
  if (!mapped.has_value() || mapped->size() != footer_offset_ + kFooterSize) {
    return;
  }
  mapped_ = mapped->data();
  // Ordinals come from the index's restart points, so they are usable only
  // if every index entry is one (sstable.md: the writer uses interval 1).
  BlockIter it(&index, BlockKeyOrder::kInternal);
  uint32_t entries = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (it.restart_index() != entries) return;
    ++entries;
  }
  if (!it.status().ok() || entries != index.num_restarts()) return;
  num_data_blocks_ = entries;
  const size_t words = (size_t{entries} + 63) / 64;
  verified_blocks_ = std::make_unique<std::atomic<uint64_t>[]>(words);
  for (size_t w = 0; w < words; ++w) verified_blocks_[w].store(0);
}

bool TableReader::IsVerified(uint32_t ordinal) const {
  if (ordinal >= num_data_blocks_) return false;
  return (verified_blocks_[ordinal / 64].load(std::memory_order_acquire) >>
          (ordinal % 64)) &
         1;
}

void TableReader::MarkVerified(uint32_t ordinal) const {
  if (ordinal >= num_data_blocks_) return;
  verified_blocks_[ordinal / 64].fetch_or(uint64_t{1} << (ordinal % 64),
                                          std::memory_order_release);
}

absl::Status TableReader::ReadDataBlock(const BlockHandle& handle,
                                        uint32_t ordinal, bool verify_checksums,
                                        bool fill_cache,
                                        DataBlockRef* block) const {
  block->reset();
  if (mapped_ == nullptr) {
    return ReadCachedDataBlock(handle, {}, verify_checksums, fill_cache, block);
  }
  FERRISDB_RETURN_IF_ERROR(
      CheckBlockHandle(file_name_, footer_offset_, handle));
  const std::string_view stored(mapped_ + handle.offset,
                                handle.size + kBlockTrailerSize);
  const auto type =
      static_cast<uint8_t>(stored[handle.size + kBlockTrailerTypeOffset]);
  if (type != static_cast<uint8_t>(CompressionType::kNone)) {
    return ReadCachedDataBlock(handle, stored, verify_checksums, fill_cache,
                               block);
  }
  ReadBlockOptions o;
  o.verify_checksum = !IsVerified(ordinal);
  o.max_block_size = footer_.max_block_size;
  FERRISDB_ASSIGN_OR_RETURN(BlockContents contents,
                            DecodeStoredBlock(stored, file_name_, handle, o));
  absl::StatusOr<Block> parsed = Block::Create(std::move(contents));
  if (!parsed.ok()) {
    return TableCorruption(
        file_name_, absl::StrCat("bad data block: ", parsed.status().message()),
        handle.offset);
  }
  if (o.verify_checksum) MarkVerified(ordinal);
  block->view_.emplace(*std::move(parsed));
  return absl::OkStatus();
}

absl::Status TableReader::ReadCachedDataBlock(const BlockHandle& handle,
                                              std::string_view stored,
                                              bool verify_checksums,
                                              bool fill_cache,
                                              DataBlockRef* block) const {
  char key_buf[kCacheKeySize];
  std::string_view key;
  Cache* const cache = options_.block_cache;
  if (cache != nullptr) {
    key = CacheKey(handle.offset, key_buf);
    if (auto cached = CacheLookup<Block>(cache, key)) {
      block->shared_ = std::move(cached);
      return absl::OkStatus();
    }
  }
  ReadBlockOptions o;
  // A block that enters the cache is always verified, so no later read can
  // be served unverified bytes.
  o.verify_checksum = verify_checksums || cache != nullptr;
  o.max_block_size = footer_.max_block_size;
  absl::StatusOr<BlockContents> contents =
      stored.empty() ? ReadBlock(*file_, file_name_, footer_offset_, handle, o)
                     : DecodeStoredBlock(stored, file_name_, handle, o);
  if (!contents.ok()) return contents.status();
  absl::StatusOr<Block> parsed = Block::Create(*std::move(contents));
  if (!parsed.ok()) {
    return TableCorruption(
        file_name_, absl::StrCat("bad data block: ", parsed.status().message()),
        handle.offset);
  }
  auto result = std::make_shared<const Block>(*std::move(parsed));
  if (cache != nullptr && fill_cache) {
    // Charged for what it holds: the contents as decompressed, not the
    // stored size (a zstd block is several times smaller on disk).
    CacheInsert(cache, key, result, result->size() + sizeof(Block));
  }
  block->shared_ = std::move(result);
  return absl::OkStatus();
}

absl::Status TableReader::BlockError(const absl::Status& iter_status,
                                     uint64_t block_offset) const {
  if (iter_status.code() != absl::StatusCode::kDataLoss) return iter_status;
  return TableCorruption(
      file_name_, absl::StrCat("corrupt block (", iter_status.message(), ")"),
      block_offset);
}

std::unique_ptr<InternalIterator> TableReader::NewIterator(
    bool verify_checksums, bool fill_cache) const {
  return std::make_unique<TwoLevelIterator>(this, FetchIndexBlock(),
                                            verify_checksums, fill_cache);
}

absl::StatusOr<uint64_t> TableReader::ApproximateOffsetOf(
    std::string_view internal_key) const {
  std::shared_ptr<const Block> cached_index;
  const Block* index = index_block_.get();
  if (index == nullptr) {
    FERRISDB_ASSIGN_OR_RETURN(cached_index, FetchIndexBlock());
    index = cached_index.get();
  }
  BlockIter index_iter(index, BlockKeyOrder::kInternal);
  index_iter.Seek(internal_key);
  if (!index_iter.Valid()) {
    if (!index_iter.status().ok()) {
      return BlockError(index_iter.status(), footer_.index.offset);
    }
    return data_end_offset();
  }
  BlockHandle handle;
  if (!DecodeBlockHandle(index_iter.value(), &handle)) {
    return TableCorruption(file_name_, "bad block handle in index block",
                           footer_.index.offset);
  }
  return handle.offset;
}

absl::Status TableReader::Get(const LookupKey& key, bool verify_checksums,
                              GetResult* result, bool fill_cache) const {
  result->state = GetResult::State::kNotPresent;
  // Pinned blocks are used through raw pointers, so the default path copies
  // no shared_ptr; cached ones are held by these locals until return.
  std::shared_ptr<const FilterBlock> cached_filter;
  std::shared_ptr<const Block> cached_index;
  if (options_.use_filter && has_filter()) {
    const FilterBlock* filter = filter_.get();
    if (filter == nullptr) {
      FERRISDB_ASSIGN_OR_RETURN(cached_filter, FetchFilterBlock());
      filter = cached_filter.get();
    }
    if (!filter->reader.KeyMayMatch(key.user_key())) return absl::OkStatus();
  }
  const Block* index = index_block_.get();
  if (index == nullptr) {
    FERRISDB_ASSIGN_OR_RETURN(cached_index, FetchIndexBlock());
    index = cached_index.get();
  }
  const std::string_view target = key.internal_key();
  BlockIter index_iter(index, BlockKeyOrder::kInternal);
  index_iter.Seek(target);
  // Usually one block; the next one too when the target equals a shortened
  // separator (an entry >= target can then start the following block).
  for (; index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    if (!DecodeBlockHandle(index_iter.value(), &handle)) {
      return TableCorruption(file_name_, "bad block handle in index block",
                             footer_.index.offset);
    }
    DataBlockRef block;
    FERRISDB_RETURN_IF_ERROR(ReadDataBlock(handle, index_iter.restart_index(),
                                           verify_checksums, fill_cache,
                                           &block));
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
