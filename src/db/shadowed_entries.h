// The rule flushes and compactions share for leaving out old versions: an
// entry is hidden when a newer entry of the same user key is at or below
// the smallest snapshot (the oldest snapshot, the history horizon and the
// last sequence, see DBImpl::SmallestSnapshotLocked), because every read
// still possible then sees that newer entry instead. The newest entry of a
// key is never hidden.
#ifndef FERRISDB_SRC_DB_SHADOWED_ENTRIES_H_
#define FERRISDB_SRC_DB_SHADOWED_ENTRIES_H_

#include <string>
#include <string_view>

#include "memtable/internal_key.h"

namespace ferrisdb {

// Fed every entry of a stream in internal-key order (user key ascending,
// sequence descending). Not thread-safe.
class ShadowedEntries {
 public:
  explicit ShadowedEntries(SequenceNumber smallest_snapshot)
      : smallest_snapshot_(smallest_snapshot) {}

  // Whether the entry (user_key, sequence), the next of the stream, is
  // hidden by a newer entry of its key. *new_user_key: whether it is the
  // first entry of its user key.
  bool Hidden(std::string_view user_key, SequenceNumber sequence,
              bool* new_user_key) {
    *new_user_key = !has_user_key_ || user_key != user_key_;
    if (*new_user_key) {
      user_key_.assign(user_key);
      has_user_key_ = true;
      newer_sequence_ = kMaxSequenceNumber + 1;
    }
    const bool hidden = newer_sequence_ <= smallest_snapshot_;
    newer_sequence_ = sequence;
    return hidden;
  }

 private:
  const SequenceNumber smallest_snapshot_;
  std::string user_key_;
  bool has_user_key_ = false;
  // Sequence of the previous (newer) entry of user_key_.
  SequenceNumber newer_sequence_ = kMaxSequenceNumber + 1;
};

}  // namespace ferrisdb

#endif  // FERRISDB_SRC_DB_SHADOWED_ENTRIES_H_
