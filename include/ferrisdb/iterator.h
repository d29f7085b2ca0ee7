// An iterator over the key/value pairs of a database, in ascending key order
// (bytewise). Created by DB::NewIterator.
//
// REQUIRES: external synchronization; one iterator is used by one thread at a
// time. Different iterators may be used concurrently.
#ifndef FERRISDB_ITERATOR_H_
#define FERRISDB_ITERATOR_H_

#include <string_view>

#include "absl/status/status.h"

namespace ferrisdb {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  // True when positioned at an entry. When false, status() tells whether the
  // iterator ran off the end or stopped on an error.
  virtual bool Valid() const = 0;

  // Positions at the first entry (or becomes invalid if there is none).
  virtual void SeekToFirst() = 0;
  // Positions at the last entry (or becomes invalid if there is none).
  virtual void SeekToLast() = 0;
  // Positions at the first entry with key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last entry with key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;

  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;

  // The current entry. The views stay valid until the iterator is moved or
  // destroyed. REQUIRES: Valid().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;

  // OK unless an error (for example DataLoss) stopped the iteration.
  virtual absl::Status status() const = 0;
};

}  // namespace ferrisdb

#endif  // FERRISDB_ITERATOR_H_
