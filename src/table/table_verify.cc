// TableReader::VerifyBlocks: a full re-read of a table for
// DB::VerifyChecksums.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "table/table_reader.h"

namespace ferrisdb {

std::vector<absl::Status> TableReader::VerifyBlocks() const {
  std::vector<absl::Status> problems;
  // Fresh reads of the metadata blocks (the pinned copies were verified at
  // Open, but the file may have changed since).
  absl::StatusOr<std::shared_ptr<const Block>> index = ReadIndexBlock();
  if (!index.ok()) return {index.status()};
  if (has_filter()) {
    absl::StatusOr<std::shared_ptr<const FilterBlock>> filter =
        ReadFilterBlock();
    if (!filter.ok()) problems.push_back(filter.status());
  }

  ReadBlockOptions read_options;
  read_options.verify_checksum = true;
  read_options.max_block_size = footer_.max_block_size;
  BlockIter index_iter(index->get(), BlockKeyOrder::kInternal);
  std::string previous_key;  // last key of the previous data block
  std::string separator;     // index key of the current data block
  for (index_iter.SeekToFirst(); index_iter.Valid(); index_iter.Next()) {
    // ReadIndexBlock checked that the separators ascend. SeekForPrev steps
    // back one block from the first separator >= its target, so each
    // separator must also lie below every key of the next block
    // (sstable.md "Index block"); checksums cannot tell.
    const std::string previous_separator =
        std::exchange(separator, std::string(index_iter.key()));
    BlockHandle handle;
    if (!DecodeBlockHandle(index_iter.value(), &handle)) {
      problems.push_back(TableCorruption(
          file_name_, "bad block handle in index block", footer_.index.offset));
      return problems;
    }
    absl::StatusOr<BlockContents> contents =
        ReadBlock(*file_, file_name_, footer_offset_, handle, read_options);
    if (!contents.ok()) {
      problems.push_back(contents.status());
      continue;
    }
    absl::StatusOr<Block> block = Block::Create(*std::move(contents));
    if (!block.ok()) {
      problems.push_back(TableCorruption(
          file_name_,
          absl::StrCat("bad data block: ", block.status().message()),
          handle.offset));
      continue;
    }
    BlockIter iter(&*block, BlockKeyOrder::kInternal);
    const char* damage = nullptr;
    for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(iter.key(), &parsed)) {
        damage = "malformed internal key";
      } else if (!previous_key.empty() &&
                 CompareInternalKeys(previous_key, iter.key()) >= 0) {
        damage = "keys out of order";
      } else if (!previous_separator.empty() &&
                 CompareInternalKeys(previous_separator, iter.key()) >= 0) {
        damage = "key not above the previous block's separator";
      } else if (CompareInternalKeys(iter.key(), separator) > 0) {
        damage = "key beyond its index separator";
      }
      if (damage != nullptr) break;
      previous_key.assign(iter.key());
    }
    if (damage != nullptr) {
      problems.push_back(TableCorruption(
          file_name_, absl::StrCat("data block: ", damage), handle.offset));
    } else if (!iter.status().ok()) {
      problems.push_back(BlockError(iter.status(), handle.offset));
    }
  }
  if (!index_iter.status().ok()) {
    problems.push_back(BlockError(index_iter.status(), footer_.index.offset));
  }
  return problems;
}

}  // namespace ferrisdb
