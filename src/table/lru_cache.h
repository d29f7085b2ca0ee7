// The sharded LRU implementation of Cache (include/ferrisdb/cache.h) returned
// by NewLRUCache.
//
// Each shard is a hash table of entries plus an intrusive doubly-linked LRU
// list of the entries no handle holds, under one absl::Mutex. An entry is
// reference counted: one reference per outstanding handle, plus one while it
// is in the shard's table. It is freed (deleter called, outside the lock) when
// the count drops to zero.
#ifndef FERRISDB_TABLE_LRU_CACHE_H_
#define FERRISDB_TABLE_LRU_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "ferrisdb/cache.h"

namespace ferrisdb {
namespace internal {

// Links of the LRU list; the list head is a bare node.
struct LRUNode {
  LRUNode* prev = nullptr;
  LRUNode* next = nullptr;
};

// One cached value. Allocated with its key bytes right after it.
struct LRUEntry : LRUNode {
  // Immutable after construction.
  void* value;
  Cache::Deleter deleter;
  size_t charge;
  uint64_t hash;
  size_t key_size;
  // Protected by the owning shard's mutex.
  uint32_t refs;  // handles + (in_cache ? 1 : 0)
  bool in_cache;  // in the shard's table

  std::string_view key() const {
    return {reinterpret_cast<const char*>(this + 1), key_size};
  }
};

// The table's view of an entry: the entry pointer, looked up by key and hash.
struct LRUKeyRef {
  std::string_view key;
  uint64_t hash;
};
struct LRUEntryHash {
  using is_transparent = void;
  size_t operator()(const LRUEntry* e) const { return e->hash; }
  size_t operator()(const LRUKeyRef& k) const { return k.hash; }
};
struct LRUEntryEq {
  using is_transparent = void;
  bool operator()(const LRUEntry* a, const LRUEntry* b) const { return a == b; }
  bool operator()(const LRUEntry* a, const LRUKeyRef& b) const {
    return a->hash == b.hash && a->key() == b.key;
  }
  bool operator()(const LRUKeyRef& a, const LRUEntry* b) const {
    return (*this)(b, a);
  }
};

// One shard: a capacity, a table and an LRU list. Thread-safe.
// Aligned to a cache line so that shards' locks do not share one.
class alignas(64) LRUShard {
 public:
  LRUShard();
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;
  // REQUIRES: no entry of this shard is held by a handle.
  ~LRUShard();

  // hash is the key's Hash64; the semantics are those of Cache's methods.
  LRUEntry* Insert(std::string_view key, uint64_t hash, void* value,
                   size_t charge, Cache::Deleter deleter)
      ABSL_LOCKS_EXCLUDED(mu_);
  LRUEntry* Lookup(std::string_view key, uint64_t hash)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Release(LRUEntry* e) ABSL_LOCKS_EXCLUDED(mu_);
  void Erase(std::string_view key, uint64_t hash) ABSL_LOCKS_EXCLUDED(mu_);
  void SetCapacity(size_t capacity) ABSL_LOCKS_EXCLUDED(mu_);

  // Adds this shard's counters to *stats (all but capacity).
  void AddStatistics(CacheStatistics* stats) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Entries whose last reference was dropped under the lock, chained through
  // LRUNode::next, freed by FreeEntries after unlocking.
  using FreeList = LRUEntry*;

  static void ListRemove(LRUEntry* e);
  void ListAppendLocked(LRUEntry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops one reference held by a handle or by the table.
  void UnrefLocked(LRUEntry* e, FreeList* free_list)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes e out of the table (the caller has erased it from table_).
  void DetachLocked(LRUEntry* e, FreeList* free_list)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked(FreeList* free_list) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void FreeEntries(FreeList free_list);

  // Counters, written only with mu_ held (so a relaxed load + store is an
  // exact increment) and read without it by AddStatistics: relaxed order,
  // because statistics order nothing else.
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> inserts_{0};
  std::atomic<uint64_t> evictions_{0};

  mutable absl::Mutex mu_;
  size_t capacity_ ABSL_GUARDED_BY(mu_) = 0;
  size_t usage_ ABSL_GUARDED_BY(mu_) = 0;
  size_t pinned_usage_ ABSL_GUARDED_BY(mu_) = 0;
  // Entries with refs == 1 and in_cache (unpinned), oldest first after lru_.
  LRUNode lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<LRUEntry*, LRUEntryHash, LRUEntryEq> table_
      ABSL_GUARDED_BY(mu_);
};

// Thread-safe.
class LRUCache final : public Cache {
 public:
  // REQUIRES: 0 <= num_shard_bits <= 16.
  LRUCache(size_t capacity, int num_shard_bits);
  ~LRUCache() override;

  Handle* Insert(std::string_view key, void* value, size_t charge,
                 Deleter deleter) override;
  Handle* Lookup(std::string_view key) override;
  void Release(Handle* handle) override;
  void* Value(Handle* handle) override;
  void Erase(std::string_view key) override;
  uint64_t NewId() override;
  CacheStatistics GetStatistics() const override;
  size_t GetCapacity() const override;
  void SetCapacity(size_t capacity) override;

  int num_shards() const { return 1 << num_shard_bits_; }

 private:
  LRUShard& ShardFor(uint64_t hash) const {
    // The top bits: the shard's hash table indexes by the low ones.
    return shards_[num_shard_bits_ == 0 ? 0 : hash >> (64 - num_shard_bits_)];
  }
  void SetShardCapacities(size_t capacity);

  // Immutable after construction.
  const int num_shard_bits_;
  const std::unique_ptr<LRUShard[]> shards_;

  // Relaxed: NewId needs only atomicity for uniqueness.
  std::atomic<uint64_t> last_id_{0};

  // Serializes SetCapacity so that capacity_ and the shards' capacities agree.
  absl::Mutex capacity_mu_;
  // Written with capacity_mu_ held, read without it by GetCapacity: relaxed,
  // it orders nothing (each shard keeps its own capacity under its lock).
  std::atomic<size_t> capacity_;
};

// The default shard bits of NewLRUCache for a capacity.
int DefaultCacheShardBits(size_t capacity);

}  // namespace internal
}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_LRU_CACHE_H_
