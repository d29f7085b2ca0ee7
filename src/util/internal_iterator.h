// InternalIterator: the iterator every internal source implements (memtable,
// table, merging). Keys are internal keys (user key + sequence + type, see
// memtable/internal_key.h), ordered by CompareInternalKeys.
//
// REQUIRES: external synchronization (one thread uses an iterator at a time).
#ifndef FERRISDB_UTIL_INTERNAL_ITERATOR_H_
#define FERRISDB_UTIL_INTERNAL_ITERATOR_H_

#include <string_view>

#include "absl/status/status.h"

namespace ferrisdb {

class InternalIterator {
 public:
  InternalIterator() = default;
  InternalIterator(const InternalIterator&) = delete;
  InternalIterator& operator=(const InternalIterator&) = delete;
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // First entry with internal key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Last entry with internal key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;
  // Views valid until the iterator moves or is destroyed. REQUIRES: Valid().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_INTERNAL_ITERATOR_H_
