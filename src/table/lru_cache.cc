#include "table/lru_cache.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "util/hash.h"

namespace ferrisdb {

Cache::~Cache() = default;

namespace internal {
namespace {

constexpr int kMaxShardBits = 16;
// The automatic choice: at most 2^kMaxDefaultShardBits shards, each with at
// least kMinDefaultShardCapacity bytes.
constexpr int kMaxDefaultShardBits = 4;
constexpr size_t kMinDefaultShardCapacity = size_t{512} << 10;

inline void IncrementLocked(std::atomic<uint64_t>* counter) {
  counter->store(counter->load(std::memory_order_relaxed) + 1,
                 std::memory_order_relaxed);
}

LRUEntry* NewEntry(std::string_view key, uint64_t hash, void* value,
                   size_t charge, Cache::Deleter deleter) {
  void* mem = ::operator new(sizeof(LRUEntry) + key.size());
  auto* e = new (mem) LRUEntry;
  e->value = value;
  e->deleter = deleter;
  e->charge = charge;
  e->hash = hash;
  e->key_size = key.size();
  e->refs = 0;
  e->in_cache = false;
  if (!key.empty()) std::memcpy(e + 1, key.data(), key.size());
  return e;
}

void DeleteEntry(LRUEntry* e) {
  e->~LRUEntry();
  ::operator delete(e);
}

}  // namespace

int DefaultCacheShardBits(size_t capacity) {
  int bits = 0;
  while (bits < kMaxDefaultShardBits &&
         (capacity >> (bits + 1)) >= kMinDefaultShardCapacity) {
    ++bits;
  }
  return bits;
}

// ---- LRUShard ----

LRUShard::LRUShard() {
  absl::MutexLock lock(&mu_);
  lru_.prev = &lru_;
  lru_.next = &lru_;
}

LRUShard::~LRUShard() {
  FreeList free_list = nullptr;
  {
    absl::MutexLock lock(&mu_);
    for (LRUEntry* e : table_) {
      // A held entry here is a caller bug (REQUIRES of ~Cache); leak it rather
      // than free memory a handle still points to.
      if (e->refs != 1) continue;
      ListRemove(e);
      e->in_cache = false;
      e->refs = 0;
      e->next = free_list;
      free_list = e;
    }
    table_.clear();
  }
  FreeEntries(free_list);
}

void LRUShard::ListRemove(LRUEntry* e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = nullptr;
}

void LRUShard::ListAppendLocked(LRUEntry* e) {
  // Newest at the tail (lru_.prev), oldest at the head (lru_.next).
  e->next = &lru_;
  e->prev = lru_.prev;
  e->prev->next = e;
  lru_.prev = e;
}

void LRUShard::UnrefLocked(LRUEntry* e, FreeList* free_list) {
  --e->refs;
  if (e->refs == 0) {
    usage_ -= e->charge;
    e->next = *free_list;
    *free_list = e;
  }
}

void LRUShard::DetachLocked(LRUEntry* e, FreeList* free_list) {
  e->in_cache = false;
  if (e->refs == 1) {
    ListRemove(e);  // unpinned: it was on the LRU list
  }
  UnrefLocked(e, free_list);
}

void LRUShard::EvictLocked(FreeList* free_list) {
  while (usage_ > capacity_ && lru_.next != &lru_) {
    auto* oldest = static_cast<LRUEntry*>(lru_.next);
    table_.erase(oldest);
    DetachLocked(oldest, free_list);
    IncrementLocked(&evictions_);
  }
}

void LRUShard::FreeEntries(FreeList free_list) {
  while (free_list != nullptr) {
    LRUEntry* e = free_list;
    free_list = static_cast<LRUEntry*>(e->next);
    e->deleter(e->key(), e->value);
    DeleteEntry(e);
  }
}

LRUEntry* LRUShard::Insert(std::string_view key, uint64_t hash, void* value,
                           size_t charge, Cache::Deleter deleter) {
  LRUEntry* e = NewEntry(key, hash, value, charge, deleter);
  e->refs = 2;  // the returned handle and the table
  e->in_cache = true;
  FreeList free_list = nullptr;
  {
    absl::MutexLock lock(&mu_);
    IncrementLocked(&inserts_);
    usage_ += charge;
    pinned_usage_ += charge;
    auto it = table_.find(LRUKeyRef{key, hash});
    if (it != table_.end()) {
      LRUEntry* old = *it;
      table_.erase(it);
      DetachLocked(old, &free_list);
    }
    table_.insert(e);
    EvictLocked(&free_list);
  }
  FreeEntries(free_list);
  return e;
}

LRUEntry* LRUShard::Lookup(std::string_view key, uint64_t hash) {
  absl::MutexLock lock(&mu_);
  auto it = table_.find(LRUKeyRef{key, hash});
  if (it == table_.end()) {
    IncrementLocked(&misses_);
    return nullptr;
  }
  IncrementLocked(&hits_);
  LRUEntry* e = *it;
  if (e->refs == 1) {  // becomes pinned: off the LRU list
    ListRemove(e);
    pinned_usage_ += e->charge;
  }
  ++e->refs;
  return e;
}

void LRUShard::Release(LRUEntry* e) {
  FreeList free_list = nullptr;
  {
    absl::MutexLock lock(&mu_);
    // The last handle of an entry: it is no longer pinned.
    if (e->refs == (e->in_cache ? 2u : 1u)) pinned_usage_ -= e->charge;
    UnrefLocked(e, &free_list);
    if (e->in_cache && e->refs == 1) {
      ListAppendLocked(e);
      // Pinned entries may have pushed usage past capacity; now this one
      // can go.
      EvictLocked(&free_list);
    }
  }
  FreeEntries(free_list);
}

void LRUShard::Erase(std::string_view key, uint64_t hash) {
  FreeList free_list = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = table_.find(LRUKeyRef{key, hash});
    if (it == table_.end()) return;
    LRUEntry* e = *it;
    table_.erase(it);
    DetachLocked(e, &free_list);
  }
  FreeEntries(free_list);
}

void LRUShard::SetCapacity(size_t capacity) {
  FreeList free_list = nullptr;
  {
    absl::MutexLock lock(&mu_);
    capacity_ = capacity;
    EvictLocked(&free_list);
  }
  FreeEntries(free_list);
}

void LRUShard::AddStatistics(CacheStatistics* stats) const {
  stats->hits += hits_.load(std::memory_order_relaxed);
  stats->misses += misses_.load(std::memory_order_relaxed);
  stats->inserts += inserts_.load(std::memory_order_relaxed);
  stats->evictions += evictions_.load(std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  stats->usage += usage_;
  stats->pinned_usage += pinned_usage_;
}

// ---- LRUCache ----

LRUCache::LRUCache(size_t capacity, int num_shard_bits)
    : num_shard_bits_(std::clamp(num_shard_bits, 0, kMaxShardBits)),
      shards_(new LRUShard[size_t{1} << num_shard_bits_]),
      capacity_(capacity) {
  SetShardCapacities(capacity);
}

LRUCache::~LRUCache() = default;

void LRUCache::SetShardCapacities(size_t capacity) {
  const size_t n = size_t{1} << num_shard_bits_;
  // Round up so that the shards together hold at least `capacity`.
  const size_t per_shard = capacity / n + (capacity % n != 0 ? 1 : 0);
  for (size_t i = 0; i < n; ++i) shards_[i].SetCapacity(per_shard);
}

Cache::Handle* LRUCache::Insert(std::string_view key, void* value,
                                size_t charge, Deleter deleter) {
  const uint64_t hash = Hash64(key);
  return reinterpret_cast<Handle*>(
      ShardFor(hash).Insert(key, hash, value, charge, deleter));
}

Cache::Handle* LRUCache::Lookup(std::string_view key) {
  const uint64_t hash = Hash64(key);
  return reinterpret_cast<Handle*>(ShardFor(hash).Lookup(key, hash));
}

void LRUCache::Release(Handle* handle) {
  auto* e = reinterpret_cast<LRUEntry*>(handle);
  ShardFor(e->hash).Release(e);
}

void* LRUCache::Value(Handle* handle) {
  return reinterpret_cast<LRUEntry*>(handle)->value;
}

void LRUCache::Erase(std::string_view key) {
  const uint64_t hash = Hash64(key);
  ShardFor(hash).Erase(key, hash);
}

uint64_t LRUCache::NewId() {
  return last_id_.fetch_add(1, std::memory_order_relaxed) + 1;
}

CacheStatistics LRUCache::GetStatistics() const {
  CacheStatistics stats;
  for (int i = 0; i < num_shards(); ++i) shards_[i].AddStatistics(&stats);
  stats.capacity = GetCapacity();
  return stats;
}

size_t LRUCache::GetCapacity() const {
  return capacity_.load(std::memory_order_relaxed);
}

void LRUCache::SetCapacity(size_t capacity) {
  absl::MutexLock lock(&capacity_mu_);
  capacity_.store(capacity, std::memory_order_relaxed);
  SetShardCapacities(capacity);
}

}  // namespace internal

std::shared_ptr<Cache> NewLRUCache(size_t capacity, int num_shard_bits) {
  if (num_shard_bits < 0) {
    num_shard_bits = internal::DefaultCacheShardBits(capacity);
  }
  return std::make_shared<internal::LRUCache>(capacity, num_shard_bits);
}

}  // namespace ferrisdb
