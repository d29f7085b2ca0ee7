// TableReaderSlot: where a FileMetaData keeps its table's open reader, so a
// read finds it with one atomic load instead of a table-cache lookup (a
// lock, a hash and an LRU update per probed table). The TableCache decides
// whether a reader is pinned here (see TableCache::GetForRead); the slot only
// stores it and closes it with the last version that lists the file.
//
// A copy shares the reader (one open file, one unit of the pin budget): a
// trivial move copies the file's metadata into an edit and on into the new
// version, and must not open the table a second time.
//
// Thread-safe: Install, Get and copying from a slot may race; the first
// Install wins.
#ifndef FERRISDB_VERSION_TABLE_READER_SLOT_H_
#define FERRISDB_VERSION_TABLE_READER_SLOT_H_

#include <atomic>
#include <memory>

namespace ferrisdb {

class TableReader;

class TableReaderSlot {
 public:
  TableReaderSlot() = default;
  TableReaderSlot(const TableReaderSlot& other) : holder_(other.CopyHolder()) {}
  // REQUIRES: no concurrent use of *this (assignment happens while building
  // edits, before a version shares the object).
  TableReaderSlot& operator=(const TableReaderSlot& other) {
    if (this != &other) {
      Reset();
      holder_.store(other.CopyHolder(), std::memory_order_release);
    }
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

  // A new holder sharing this slot's reader, or nullptr. (The holder is
  // never replaced while the slot lives, so it can be copied without a
  // lock.)
  const Holder* CopyHolder() const {
    const Holder* holder = holder_.load(std::memory_order_acquire);
    return holder == nullptr ? nullptr : new Holder(*holder);
  }

  void Reset() { delete holder_.exchange(nullptr, std::memory_order_acq_rel); }

  // Logically part of the cache, not of the file's description: set through
  // const FileMetaData references.
  mutable std::atomic<const Holder*> holder_{nullptr};
};

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_TABLE_READER_SLOT_H_
