// Block: the read side of one block's contents (docs/format/sstable.md
// "Block contents"), and BlockIter, an InternalIterator over its entries.
//
// Lookups binary-search the restart points, then scan forward. Keys are
// compared by the block's BlockKeyOrder: internal-key order for data and
// index blocks, bytewise for the properties block.
//
// Thread-safety: a Block is immutable and thread-safe; a BlockIter requires
// external synchronization.
#ifndef FERRISDB_TABLE_BLOCK_H_
#define FERRISDB_TABLE_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "table/table_format.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

// How the keys of a block are ordered. kInternal keys must be at least
// kInternalKeyTrailerSize bytes; a shorter one is corruption.
enum class BlockKeyOrder : uint8_t {
  kBytewise = 0,
  kInternal = 1,
};

class Block {
 public:
  // Validates the restart array of contents (count, bounds, order) and takes
  // the contents (owned, or a view whose memory outlives the Block; see
  // BlockContents). Error: DataLoss describing the problem (the caller adds
  // the file and offset).
  static absl::StatusOr<Block> Create(BlockContents contents);

  Block(Block&&) = default;
  Block& operator=(Block&&) = default;

  // Bytes of the contents (entries + restart array).
  size_t size() const { return contents_.data.size(); }
  // Number of restart points (at least 1).
  uint32_t num_restarts() const { return num_restarts_; }

 private:
  friend class BlockIter;
  Block() = default;

  BlockContents contents_;
  uint32_t restarts_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;
};

// Iterates over the entries of a Block. key() views the block for restart
// entries and an internal buffer otherwise; value() always views the block.
// A malformed entry makes the iterator invalid with a DataLoss status, which
// then stays (positioning calls do nothing).
class BlockIter final : public InternalIterator {
 public:
  // An iterator over nothing; Init() before use.
  BlockIter() = default;
  // REQUIRES: block outlives the iterator (or the next Init()).
  BlockIter(const Block* block, BlockKeyOrder order) { Init(block, order); }

  // Re-targets the iterator at block, unpositioned, with an OK status.
  void Init(const Block* block, BlockKeyOrder order);

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  absl::Status status() const override { return status_; }

  // REQUIRES: Valid(). Index of the last restart point at or before the
  // current entry: in a block with a restart point at every entry (an index
  // block), the entry's position in the block.
  uint32_t restart_index() const { return restart_index_; }

 private:
  int Compare(std::string_view a, std::string_view b) const;
  uint32_t RestartOffset(uint32_t index) const;
  // Decodes the entry at offset into key_/value_/next_. `restart` means the
  // entry is a restart point (it must store its whole key). False (and the
  // iterator corrupt) if the entry is malformed.
  bool DecodeEntry(uint32_t offset, bool restart);
  // The whole key stored at restart point index, or false (corrupt).
  bool RestartKey(uint32_t index, std::string_view* key);
  void SeekToRestart(uint32_t index);
  // Moves to the entry at next_; invalid at the end of the entries.
  void Advance();
  void Corrupt(std::string_view what, uint32_t offset);

  const char* data_ = nullptr;
  uint32_t restarts_offset_ = 0;
  uint32_t num_restarts_ = 0;
  BlockKeyOrder order_ = BlockKeyOrder::kBytewise;

  bool valid_ = false;
  uint32_t current_ = 0;        // offset of the current entry
  uint32_t next_ = 0;           // offset just past the current entry
  uint32_t restart_index_ = 0;  // last restart point <= current_
  std::string_view key_;
  std::string_view value_;
  std::string key_buf_;      // the current key when it is not a restart
  bool key_in_buf_ = false;  // key_ views key_buf_
  absl::Status status_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_BLOCK_H_
