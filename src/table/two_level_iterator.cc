#include "table/two_level_iterator.h"

#include <utility>

#include "table/table_reader.h"

namespace ferrisdb {

TwoLevelIterator::TwoLevelIterator(
    const TableReader* table,
    absl::StatusOr<std::shared_ptr<const Block>> index_block,
    bool verify_checksums, bool fill_cache)
    : table_(table),
      verify_checksums_(verify_checksums),
      fill_cache_(fill_cache) {
  if (!index_block.ok()) {
    status_ = index_block.status();  // every positioning call is then a no-op
    return;
  }
  index_block_ = *std::move(index_block);
  index_iter_.Init(index_block_.get(), BlockKeyOrder::kInternal);
}

bool TwoLevelIterator::CheckErrors() {
  if (!status_.ok()) return false;
  if (!index_iter_.status().ok()) {
    status_ = table_->BlockError(index_iter_.status(), table_->index_offset());
  } else if (data_block_.get() != nullptr && !data_iter_.status().ok()) {
    status_ = table_->BlockError(data_iter_.status(), data_handle_.offset);
  }
  return status_.ok();
}

bool TwoLevelIterator::InitDataBlock() {
  if (!index_iter_.Valid()) {
    data_block_.reset();
    return CheckErrors();
  }
  BlockHandle handle;
  if (!DecodeBlockHandle(index_iter_.value(), &handle)) {
    data_block_.reset();
    status_ =
        TableCorruption(table_->file_name(), "bad block handle in index block",
                        table_->index_offset());
    return false;
  }
  if (data_block_.get() != nullptr && handle == data_handle_) {
    return true;  // already loaded; the caller repositions data_iter_
  }
  absl::Status s =
      table_->ReadDataBlock(handle, index_iter_.restart_index(),
                            verify_checksums_, fill_cache_, &data_block_);
  if (!s.ok()) {
    status_ = std::move(s);
    return false;
  }
  data_handle_ = handle;
  data_iter_.Init(data_block_.get(), BlockKeyOrder::kInternal);
  return true;
}

void TwoLevelIterator::SkipEmptyBlocksForward() {
  while (status_.ok() && (data_block_.get() == nullptr || !data_iter_.Valid())) {
    if (!CheckErrors()) return;
    if (!index_iter_.Valid()) {
      data_block_.reset();
      return;
    }
    index_iter_.Next();
    if (!InitDataBlock()) return;
    if (data_block_.get() != nullptr) data_iter_.SeekToFirst();
  }
  CheckErrors();
}

void TwoLevelIterator::SkipEmptyBlocksBackward() {
  while (status_.ok() && (data_block_.get() == nullptr || !data_iter_.Valid())) {
    if (!CheckErrors()) return;
    if (!index_iter_.Valid()) {
      data_block_.reset();
      return;
    }
    index_iter_.Prev();
    if (!InitDataBlock()) return;
    if (data_block_.get() != nullptr) data_iter_.SeekToLast();
  }
  CheckErrors();
}

void TwoLevelIterator::SeekToFirst() {
  if (!status_.ok()) return;
  index_iter_.SeekToFirst();
  if (!InitDataBlock()) return;
  if (data_block_.get() != nullptr) data_iter_.SeekToFirst();
  SkipEmptyBlocksForward();
}

void TwoLevelIterator::SeekToLast() {
  if (!status_.ok()) return;
  index_iter_.SeekToLast();
  if (!InitDataBlock()) return;
  if (data_block_.get() != nullptr) data_iter_.SeekToLast();
  SkipEmptyBlocksBackward();
}

void TwoLevelIterator::Seek(std::string_view target) {
  if (!status_.ok()) return;
  index_iter_.Seek(target);
  if (!InitDataBlock()) return;
  if (data_block_.get() != nullptr) data_iter_.Seek(target);
  SkipEmptyBlocksForward();
}

void TwoLevelIterator::SeekForPrev(std::string_view target) {
  if (!status_.ok()) return;
  // The block that may hold the last entry <= target is the one Seek picks
  // (its separator is the first >= target); if every entry there is above
  // target, the answer is the last entry of the previous block.
  index_iter_.Seek(target);
  if (!index_iter_.Valid()) {
    if (!CheckErrors()) return;
    index_iter_.SeekToLast();
  }
  if (!InitDataBlock()) return;
  if (data_block_.get() != nullptr) data_iter_.SeekForPrev(target);
  SkipEmptyBlocksBackward();
}

void TwoLevelIterator::Next() {
  data_iter_.Next();
  SkipEmptyBlocksForward();
}

void TwoLevelIterator::Prev() {
  data_iter_.Prev();
  SkipEmptyBlocksBackward();
}

}  // namespace ferrisdb
