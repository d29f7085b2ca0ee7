// TwoLevelIterator: the iterator over a whole table. The first level walks
// the index block; the second the data block each index entry points to.
//
// The iterator holds the index block (a shared_ptr) for its lifetime, so a
// block cache may evict it meanwhile.
//
// REQUIRES: external synchronization; the TableReader outlives the iterator.
#ifndef FERRISDB_TABLE_TWO_LEVEL_ITERATOR_H_
#define FERRISDB_TABLE_TWO_LEVEL_ITERATOR_H_

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "table/block.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

class TwoLevelIterator final : public InternalIterator {
 public:
  // index_block: the table's index (TableReader::FetchIndexBlock); an error
  // makes the iterator invalid with that status.
  TwoLevelIterator(const TableReader* table,
                   absl::StatusOr<std::shared_ptr<const Block>> index_block,
                   bool verify_checksums, bool fill_cache = true);

  // Invalid once status() is not OK; the error stays.
  bool Valid() const override {
    return status_.ok() && data_block_.get() != nullptr && data_iter_.Valid();
  }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return data_iter_.key(); }
  std::string_view value() const override { return data_iter_.value(); }
  absl::Status status() const override { return status_; }

 private:
  // Points data_iter_ at the block of the current index entry (unpositioned)
  // or clears it when the index iterator is invalid. False on error.
  bool InitDataBlock();
  // Moves past data blocks without (further) entries.
  void SkipEmptyBlocksForward();
  void SkipEmptyBlocksBackward();
  // Records the error of either level, if any. False if there is one.
  bool CheckErrors();

  const TableReader* const table_;
  const bool verify_checksums_;
  const bool fill_cache_;
  std::shared_ptr<const Block> index_block_;  // viewed by index_iter_
  BlockIter index_iter_;
  DataBlockRef data_block_;  // viewed by data_iter_
  BlockHandle data_handle_;
  BlockIter data_iter_;
  absl::Status status_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_TWO_LEVEL_ITERATOR_H_
