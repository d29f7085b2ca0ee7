// BlockBuilder: builds the contents of one block (docs/format/sstable.md
// "Block contents"): prefix-compressed entries with a restart point (an entry
// storing its whole key) every `restart_interval` entries, then the restart
// offsets and their count.
//
// REQUIRES: external synchronization.
#ifndef FERRISDB_TABLE_BLOCK_BUILDER_H_
#define FERRISDB_TABLE_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferrisdb {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Appends an entry. REQUIRES: Finish() not called since the last Reset();
  // key sorts after every key added before (in the order of the block's
  // reader; the builder does not compare).
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the block contents, which stay
  // valid until Reset() or destruction.
  std::string_view Finish();

  // Empties the builder for a new block.
  void Reset();

  // Size of the contents Finish() would return now.
  size_t CurrentSizeEstimate() const {
    return buffer_.size() + restarts_.size() * 4 + 4;
  }
  bool empty() const { return counter_ == 0 && buffer_.empty(); }
  // Entries added since the last Reset().
  size_t NumEntries() const { return num_entries_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart
  size_t num_entries_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_BLOCK_BUILDER_H_
