// MemTable: the in-memory, sorted buffer of recent writes, indexed by internal
// key (see internal_key.h). Writes go to the active memtable; when it is full
// the DB makes it immutable and flushes it to an sstable.
//
// Lifetime: reference counted. A new MemTable has no references; the creator
// calls Ref() before using it, and each holder calls Unref() when done; the
// last Unref() deletes it. Views and iterators obtained from a memtable are
// valid while the holder's reference is.
//
// Thread-safety: Add requires external synchronization (one writer at a
// time). Everything else is thread-safe, including concurrently with that
// writer; readers take no lock.
//
// Entry layout (in memory only, never persisted), one arena allocation per
// entry, placed right after the skiplist node's links:
//
//   varint32  internal_key_length      (= user key length + 8)
//   bytes     internal_key             user_key | fixed64 trailer
//                                      (docs/format/internal_key.md)
//   varint32  value_length
//   bytes     value
//
// The skiplist's key is a pointer to the first byte of that layout.
#ifndef FERRISDB_MEMTABLE_MEMTABLE_H_
#define FERRISDB_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "memtable/internal_key.h"
#include "memtable/skiplist.h"
#include "util/arena.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

class MemTable {
 public:
  MemTable();
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Thread-safe.
  void Ref();
  // Thread-safe. Deletes this when the last reference goes.
  void Unref();

  // Adds the entry (user_key, seq, type) -> value. For kDeletion, value is
  // usually empty. Copies the bytes into the arena: one arena allocation and
  // no other heap allocation.
  // REQUIRES: external synchronization (only one writer at a time);
  //           seq <= kMaxSequenceNumber and unique within this memtable;
  //           user_key.size() + 8 and value.size() below 2^32.
  void Add(SequenceNumber seq, ValueType type, std::string_view user_key,
           std::string_view value);

  enum class GetResult {
    kNotPresent,  // no entry for the user key at or below the sequence
    kFound,       // newest visible entry is a value; copied into *value
    kDeleted,     // newest visible entry is a deletion
  };

  // Looks up the newest entry for key.user_key() with sequence <=
  // key.sequence(). On kFound assigns the value to *value (its only
  // allocation, if *value lacks capacity); otherwise *value is untouched.
  // Thread-safe, including with a concurrent Add.
  GetResult Get(const LookupKey& key, std::string* value) const;

  // An iterator over all entries: key() is the internal key, value() the
  // value, in CompareInternalKeys order. It sees entries added before its
  // creation and may or may not see later ones. Its views live as long as
  // the memtable. Thread-safe with a concurrent Add (each iterator used by
  // one thread at a time).
  // REQUIRES: the memtable stays Ref'd for the iterator's lifetime.
  std::unique_ptr<InternalIterator> NewIterator() const;

  // Bytes held by the memtable (its arena). Thread-safe; what the DB compares
  // with Options::write_buffer_size.
  size_t ApproximateMemoryUsage() const;

  // Statistics. Thread-safe; exact once the writer's Add calls
  // happen-before the read (e.g. under the DB mutex), possibly stale
  // otherwise.
  uint64_t num_entries() const;
  uint64_t num_deletions() const;
  // Smallest / largest sequence added; 0 if empty.
  SequenceNumber first_sequence() const;
  SequenceNumber last_sequence() const;

  // Number of the write-ahead log file that holds this memtable's entries
  // (every memtable fills exactly one log). REQUIRES: set before the
  // memtable is shared with other threads.
  void set_log_number(uint64_t number) { log_number_ = number; }
  uint64_t log_number() const { return log_number_; }

 private:
  class Iter;

  // Orders entry pointers (the layout above) by their internal keys, and
  // compares an entry with a bare internal key (Get and Seek use that, so
  // a lookup needs no encoded copy of its target).
  struct KeyComparator {
    int operator()(const char* a, const char* b) const;
    int operator()(const char* entry, std::string_view internal_key) const;
  };
  using Table = SkipList<const char*, KeyComparator>;

  ~MemTable();  // only Unref deletes

  // Relaxed increments (a new reference is made from an existing one);
  // acq_rel decrement so the deleting thread sees all other holders' work.
  std::atomic<int> refs_{0};

  // Written by the writer in Add.
  Arena arena_;
  Table table_;  // after arena_: allocates its head from it

  // Statistics: written only by the writer, relaxed (no other memory is
  // published through them).
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletions_{0};
  uint64_t log_number_ = 0;
  std::atomic<SequenceNumber> first_sequence_{0};
  std::atomic<SequenceNumber> last_sequence_{0};
};

}  // namespace ferrisdb

#endif  // FERRISDB_MEMTABLE_MEMTABLE_H_
