// ReadView: the memtables and the table version a read sees, pinned together
// so a read runs against one consistent set without holding the DB mutex.
// Immutable once built; shared (std::shared_ptr) by the DB and every read in
// flight. When the DB switches memtables it builds a new view; the old one
// lives until its last reader lets go.
#ifndef FERRISDB_DB_READ_VIEW_H_
#define FERRISDB_DB_READ_VIEW_H_

#include <vector>

#include "memtable/memtable.h"
#include "version/version_set.h"

namespace ferrisdb {

class ReadView {
 public:
  // Takes a reference on mem and on every memtable of imm.
  // REQUIRES: imm ordered newest first.
  ReadView(MemTable* mem, std::vector<MemTable*> imm,
           std::shared_ptr<const Version> version)
      : mem_(mem), imm_(std::move(imm)), version_(std::move(version)) {
    mem_->Ref();
    for (MemTable* m : imm_) m->Ref();
  }
  ~ReadView() {
    mem_->Unref();
    for (MemTable* m : imm_) m->Unref();
  }
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;

  // The active memtable, the only one written to (by the write leader).
  MemTable* mem() const { return mem_; }
  // Memtables that are full and wait to be flushed, newest first.
  const std::vector<MemTable*>& imm() const { return imm_; }
  // The tables on disk, older than every memtable.
  const Version& version() const { return *version_; }
  const std::shared_ptr<const Version>& version_ptr() const { return version_; }

 private:
  MemTable* const mem_;
  const std::vector<MemTable*> imm_;
  const std::shared_ptr<const Version> version_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_READ_VIEW_H_
