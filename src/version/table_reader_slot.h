// TableReaderSlot: where a FileMetaData keeps its table's open reader, so a
// read finds it with one atomic load instead of a table-cache lookup (a
// lock, a hash and an LRU update per probed table). The TableCache decides
// whether a reader is pinned here (see TableCache::GetForRead); the slot only
// stores it and closes it with the last version that lists the file.
//
// A copy of a slot starts empty: the reader belongs to one FileMetaData
// object, which versions share through std::shared_ptr, not to the file's
// description (copied into edits and rebuilt on recovery).
//
// Thread-safe: Install and Get may race; the first Install wins.
#ifndef FERRISDB_VERSION_TABLE_READER_SLOT_H_
#define FERRISDB_VERSION_TABLE_READER_SLOT_H_

#include <atomic>
#include <memory>

namespace ferrisdb {

class TableReader;

class TableReaderSlot {
 public:
  TableReaderSlot() = default;
  TableReaderSlot(const TableReaderSlot&) : TableReaderSlot() {}
  // REQUIRES: no concurrent use of *this (assignment happens while building
  // edits, before a version shares the object).
  TableReaderSlot& operator=(const TableReaderSlot& other) {
    if (this != &other) Reset();
    return *this;
  }
  ~TableReaderSlot() { Reset(); }

  // The pinned reader, or nullptr. Valid as long as this slot.
  const TableReader* Get() const {
    const Holder* holder = holder_.load(std::memory_order_acquire);
    return holder == nullptr ? nullptr : holder->get();
  }

  // Pins reader unless another is already pinned; returns the pinned one
  // (reader, or the earlier one, in which case reader is released here).
  // REQUIRES: reader != nullptr.
  const TableReader* Install(std::shared_ptr<const TableReader> reader) const {
    auto* fresh = new Holder(std::move(reader));
    const Holder* expected = nullptr;
    if (holder_.compare_exchange_strong(expected, fresh,
                                        std::memory_order_acq_rel)) {
      return fresh->get();
    }
    delete fresh;
    return expected->get();
  }

 private:
  using Holder = std::shared_ptr<const TableReader>;

  void Reset() { delete holder_.exchange(nullptr, std::memory_order_acq_rel); }

  // Logically part of the cache, not of the file's description: set through
  // const FileMetaData references.
  mutable std::atomic<const Holder*> holder_{nullptr};
};

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_TABLE_READER_SLOT_H_
