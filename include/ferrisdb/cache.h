// A cache of values by key with a byte budget: the block cache of
// Options::block_cache. One cache may be shared by several DBs.
//
// Every entry has a charge (its size in bytes, as the inserter declares it).
// When the charges of the entries exceed the capacity, entries nobody holds a
// handle to are evicted, least recently used first. A handle pins its entry:
// pinned entries are never evicted, so usage may exceed capacity while they
// are held.
#ifndef FERRISDB_CACHE_H_
#define FERRISDB_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ferrisdb {

// A snapshot of a cache's counters. Counters are cumulative since the cache
// was made; the fields are read one after another, not atomically together.
struct CacheStatistics {
  uint64_t hits = 0;       // Lookups that found their key
  uint64_t misses = 0;     // Lookups that did not
  uint64_t inserts = 0;    // Insert calls
  uint64_t evictions = 0;  // entries dropped to honour the capacity
  // Charge of all live entries: those in the cache plus those erased or
  // replaced but still held by a handle.
  size_t usage = 0;
  // Charge of the entries that at least one handle holds.
  size_t pinned_usage = 0;
  size_t capacity = 0;
};

// Thread-safe: every method may be called concurrently.
class Cache {
 public:
  // A reference to one entry, returned by Insert and Lookup. Opaque.
  struct Handle;
  // Frees a value when its entry leaves the cache and no handle holds it.
  // Called exactly once per inserted value, without any cache lock held, on
  // the thread that dropped the last reference. key is valid only during the
  // call.
  using Deleter = void (*)(std::string_view key, void* value);

  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  // REQUIRES: every handle has been released.
  virtual ~Cache();

  // Inserts key -> value charging `charge` bytes and returns a handle that
  // pins the entry until Release. An existing entry with the same key is
  // replaced: it leaves the cache at once and its value is freed when its last
  // handle is released. Then, if usage exceeds capacity, unpinned entries are
  // evicted in LRU order. The caller must Release the returned handle.
  virtual Handle* Insert(std::string_view key, void* value, size_t charge,
                         Deleter deleter) = 0;

  // The entry for key, pinned, or nullptr if there is none. Counts a hit or a
  // miss. A non-null result must be Released.
  virtual Handle* Lookup(std::string_view key) = 0;

  // Drops the reference of handle. If the entry is still in the cache it
  // becomes the most recently used one once no handle holds it.
  // REQUIRES: handle came from this cache and was not released yet.
  virtual void Release(Handle* handle) = 0;

  // The value of a handle's entry. REQUIRES: handle was not released yet.
  virtual void* Value(Handle* handle) = 0;

  // Removes key's entry, if any. Its value is freed now, or when the last
  // handle holding it is released.
  virtual void Erase(std::string_view key) = 0;

  // A number no other NewId call on this cache returns (starting at 1): users
  // sharing a cache (one per table file) prefix their keys with it.
  virtual uint64_t NewId() = 0;

  virtual CacheStatistics GetStatistics() const = 0;
  virtual size_t GetCapacity() const = 0;
  // Evicts unpinned entries at once if usage exceeds the new capacity.
  virtual void SetCapacity(size_t capacity) = 0;
};

// A sharded LRU cache of capacity bytes: 2^num_shard_bits shards, each with
// capacity / 2^num_shard_bits bytes and its own lock; a key's shard is chosen
// by its hash. num_shard_bits = -1 picks up to 16 shards of at least 512 KiB
// each (1 shard below 1 MiB). num_shard_bits is clamped to [0, 16].
std::shared_ptr<Cache> NewLRUCache(size_t capacity, int num_shard_bits = -1);

}  // namespace ferrisdb

#endif  // FERRISDB_CACHE_H_
