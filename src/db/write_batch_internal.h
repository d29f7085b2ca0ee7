// Access to the encoding of a WriteBatch for the DB internals, which the
// public class keeps private. Encoding: docs/format/wal.md, "Batch payload".
#ifndef FERRISDB_DB_WRITE_BATCH_INTERNAL_H_
#define FERRISDB_DB_WRITE_BATCH_INTERNAL_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "ferrisdb/write_batch.h"
#include "memtable/internal_key.h"

namespace ferrisdb {

class MemTable;

namespace internal {

// Fixed header before the first entry: sequence (8 bytes) + count (4 bytes).
inline constexpr size_t kBatchHeaderSize = 12;

class WriteBatchInternal {
 public:
  static uint32_t Count(const WriteBatch& batch);
  static void SetCount(WriteBatch* batch, uint32_t count);

  // Sequence number of the first entry of the batch.
  static SequenceNumber Sequence(const WriteBatch& batch);
  static void SetSequence(WriteBatch* batch, SequenceNumber sequence);

  static std::string_view Contents(const WriteBatch& batch) {
    return batch.rep_;
  }
  static size_t ByteSize(const WriteBatch& batch) { return batch.rep_.size(); }

  // Replaces the batch with an encoded one read from the log. Checks that the
  // encoding is well formed (header present, every entry parses, the count
  // matches); a malformed batch is an error and leaves *batch empty.
  static absl::Status SetContents(WriteBatch* batch, std::string_view contents);

  // Checks the limits of the public API: key and value sizes, batch size.
  // InvalidArgument naming the offending entry otherwise.
  static absl::Status ValidateForWrite(const WriteBatch& batch);

  // Inserts every entry into memtable with consecutive sequence numbers
  // starting at Sequence(batch).
  // REQUIRES: external synchronization of memtable writers.
  static absl::Status InsertInto(const WriteBatch& batch, MemTable* memtable);

  // Appends the entries of src to dst (dst keeps its sequence number).
  static void Append(WriteBatch* dst, const WriteBatch& src);
};

}  // namespace internal
}  // namespace ferrisdb

#endif  // FERRISDB_DB_WRITE_BATCH_INTERNAL_H_
