// WriteBatch: a group of updates applied atomically by DB::Write. After a
// crash, either every update of a batch is visible or none is.
//
// REQUIRES: external synchronization for a non-const batch.
#ifndef FERRISDB_WRITE_BATCH_H_
#define FERRISDB_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ferrisdb {

namespace internal {
class WriteBatchInternal;
}  // namespace internal

class WriteBatch {
 public:
  // Receives the updates of a batch, in the order they were added.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual absl::Status Put(std::string_view key, std::string_view value) = 0;
    virtual absl::Status Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch() = default;

  // Stores key -> value. Keys longer than kMaxKeySize or values longer than
  // kMaxValueSize make DB::Write fail with InvalidArgument.
  void Put(std::string_view key, std::string_view value);

  // Erases key if present.
  void Delete(std::string_view key);

  // Removes every update from the batch.
  void Clear();

  // Number of updates in the batch.
  size_t Count() const;

  // Bytes of the encoded batch, a measure of the memory and log space it needs.
  size_t ApproximateSize() const { return rep_.size(); }

  // Appends every update of `other` to this batch.
  void Append(const WriteBatch& other);

  // Calls handler for each update in order. Returns the first non-OK status
  // from the handler, or DataLoss if the batch encoding is damaged.
  absl::Status Iterate(Handler* handler) const;

 private:
  friend class internal::WriteBatchInternal;

  // Encoding, documented in docs/format/wal.md ("Batch payload").
  std::string rep_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_WRITE_BATCH_H_
