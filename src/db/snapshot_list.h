// SnapshotList: the snapshots a DB has handed out, oldest first.
//
// REQUIRES: external synchronization (DBImpl::mu_).
#ifndef FERRISDB_DB_SNAPSHOT_LIST_H_
#define FERRISDB_DB_SNAPSHOT_LIST_H_

#include <list>

#include "ferrisdb/db.h"
#include "memtable/internal_key.h"

namespace ferrisdb {

class SnapshotList;

class SnapshotImpl final : public Snapshot {
 public:
  uint64_t sequence_number() const override { return sequence_; }

 private:
  friend class SnapshotList;
  explicit SnapshotImpl(SequenceNumber sequence) : sequence_(sequence) {}
  ~SnapshotImpl() override = default;

  const SequenceNumber sequence_;
  std::list<SnapshotImpl*>::iterator position_;
};

class SnapshotList {
 public:
  SnapshotList() = default;
  SnapshotList(const SnapshotList&) = delete;
  SnapshotList& operator=(const SnapshotList&) = delete;
  // Snapshots still held when the DB closes are a caller bug; free them so
  // the process does not leak.
  ~SnapshotList() {
    for (SnapshotImpl* s : list_) delete s;
  }

  bool empty() const { return list_.empty(); }
  // REQUIRES: !empty().
  SequenceNumber oldest() const { return list_.front()->sequence_; }

  // REQUIRES: sequence >= the sequence of every snapshot in the list.
  const SnapshotImpl* New(SequenceNumber sequence) {
    auto* snapshot = new SnapshotImpl(sequence);
    snapshot->position_ = list_.insert(list_.end(), snapshot);
    return snapshot;
  }

  // REQUIRES: snapshot came from New() of this list and was not deleted.
  void Delete(const SnapshotImpl* snapshot) {
    list_.erase(snapshot->position_);
    delete snapshot;
  }

 private:
  std::list<SnapshotImpl*> list_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_SNAPSHOT_LIST_H_
