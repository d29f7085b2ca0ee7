#include "ferrisdb/cache.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "table/lru_cache.h"
#include "testutil/test_dir.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

// Values are heap strings holding their own key, so a reader can check that
// a handle's value belongs to the key it looked up. The deleter records how
// often each value was freed.
struct DeleteLog {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, int> deletes ABSL_GUARDED_BY(mu);
  std::atomic<int64_t> live{0};
};
DeleteLog* log_ = new DeleteLog;  // leaked: outlives every cache

void* NewValue(std::string_view tag) {
  log_->live.fetch_add(1, std::memory_order_relaxed);
  return new std::string(tag);
}

void CountingDeleter(std::string_view key, void* value) {
  auto* s = static_cast<std::string*>(value);
  {
    absl::MutexLock lock(&log_->mu);
    ++log_->deletes[*s];
  }
  log_->live.fetch_sub(1, std::memory_order_relaxed);
  delete s;
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::MutexLock lock(&log_->mu);
    log_->deletes.clear();
    log_->live.store(0);
  }
  void TearDown() override {
    cache_.reset();
    EXPECT_EQ(log_->live.load(), 0) << "values leaked or freed twice";
    absl::MutexLock lock(&log_->mu);
    for (const auto& [tag, count] : log_->deletes) {
      EXPECT_EQ(count, 1) << "value " << tag << " freed " << count << " times";
    }
  }

  // One shard so that LRU order and capacity are exact.
  void MakeCache(size_t capacity, int shard_bits = 0) {
    cache_ = NewLRUCache(capacity, shard_bits);
  }

  // Inserts key with a value tagged `tag` (default: the key) and releases it.
  void Put(std::string_view key, size_t charge = 1, std::string_view tag = {}) {
    cache_->Release(cache_->Insert(key, NewValue(tag.empty() ? key : tag),
                                   charge, &CountingDeleter));
  }

  // The tag of key's value, or "" on a miss.
  std::string Get(std::string_view key) {
    Cache::Handle* h = cache_->Lookup(key);
    if (h == nullptr) return "";
    std::string tag = *static_cast<std::string*>(cache_->Value(h));
    cache_->Release(h);
    return tag;
  }

  int Deletes(const std::string& tag) {
    absl::MutexLock lock(&log_->mu);
    auto it = log_->deletes.find(tag);
    return it == log_->deletes.end() ? 0 : it->second;
  }

  std::shared_ptr<Cache> cache_;
};

TEST_F(CacheTest, HitAndMiss) {
  MakeCache(100);
  EXPECT_EQ(Get("a"), "");
  Put("a");
  Put("b");
  EXPECT_EQ(Get("a"), "a");
  EXPECT_EQ(Get("b"), "b");
  EXPECT_EQ(Get("c"), "");
  EXPECT_EQ(Get(""), "");
  Put("", 1, "empty");
  EXPECT_EQ(Get(""), "empty");
  std::string binary("\0\xff", 2);
  Put(binary, 1, "binary");
  EXPECT_EQ(Get(binary), "binary");
  EXPECT_EQ(Get(std::string_view("\0", 1)), "");
}

TEST_F(CacheTest, EvictsLeastRecentlyUsedFirst) {
  MakeCache(3);
  Put("1");
  Put("2");
  Put("3");
  EXPECT_EQ(Get("1"), "1");  // 2 is now the oldest
  Put("4");
  EXPECT_EQ(Get("2"), "");
  EXPECT_EQ(Deletes("2"), 1);
  EXPECT_EQ(Get("1"), "1");
  EXPECT_EQ(Get("3"), "3");
  EXPECT_EQ(Get("4"), "4");
  Put("5");  // 1 is now the oldest
  EXPECT_EQ(Get("1"), "");
  EXPECT_EQ(Get("3"), "3");
}

TEST_F(CacheTest, HonoursCapacityWithCharges) {
  MakeCache(100);
  for (int i = 0; i < 1000; ++i) {
    Put("k" + std::to_string(i), 7);
    EXPECT_LE(cache_->GetStatistics().usage, 100u);
  }
  const CacheStatistics stats = cache_->GetStatistics();
  EXPECT_EQ(stats.usage, 14u * 7);
  EXPECT_EQ(stats.evictions, 1000u - 14);
  EXPECT_EQ(Get("k999"), "k999");
  EXPECT_EQ(Get("k985"), "");
}

TEST_F(CacheTest, ShardedCacheHonoursCapacity) {
  MakeCache(1000, 3);
  for (int i = 0; i < 10000; ++i) Put("k" + std::to_string(i), 10);
  const CacheStatistics stats = cache_->GetStatistics();
  // Each of the 8 shards holds at most ceil(1000 / 8) = 125 bytes.
  EXPECT_LE(stats.usage, 8u * 120);
  EXPECT_GE(stats.usage, 500u);
  EXPECT_EQ(stats.capacity, 1000u);
}

TEST_F(CacheTest, PinnedEntriesAreNotEvicted) {
  MakeCache(3);
  Cache::Handle* pinned =
      cache_->Insert("pinned", NewValue("pinned"), 1, &CountingDeleter);
  for (int i = 0; i < 20; ++i) Put("k" + std::to_string(i));
  EXPECT_EQ(Get("pinned"), "pinned");
  EXPECT_EQ(Deletes("pinned"), 0);
  EXPECT_EQ(*static_cast<std::string*>(cache_->Value(pinned)), "pinned");
  cache_->Release(pinned);
  EXPECT_EQ(Get("pinned"), "pinned");  // still cached, now the newest
}

TEST_F(CacheTest, OverCapacityPinnedEntryIsFreedAfterRelease) {
  MakeCache(10);
  Put("small", 5);
  Cache::Handle* big =
      cache_->Insert("big", NewValue("big"), 50, &CountingDeleter);
  // "small" went to make room; "big" stays while pinned, over capacity.
  EXPECT_EQ(Get("small"), "");
  CacheStatistics stats = cache_->GetStatistics();
  EXPECT_EQ(stats.usage, 50u);
  EXPECT_EQ(stats.pinned_usage, 50u);
  EXPECT_EQ(Get("big"), "big");
  EXPECT_EQ(Deletes("big"), 0);
  cache_->Release(big);
  EXPECT_EQ(Deletes("big"), 1);
  stats = cache_->GetStatistics();
  EXPECT_EQ(stats.usage, 0u);
  EXPECT_EQ(stats.pinned_usage, 0u);
}

TEST_F(CacheTest, ErasePinnedEntry) {
  MakeCache(100);
  Put("a", 4);
  Cache::Handle* h = cache_->Lookup("a");
  ASSERT_NE(h, nullptr);
  cache_->Erase("a");
  EXPECT_EQ(Get("a"), "");
  EXPECT_EQ(Deletes("a"), 0);
  EXPECT_EQ(*static_cast<std::string*>(cache_->Value(h)), "a");
  EXPECT_EQ(cache_->GetStatistics().usage, 4u);  // still alive
  EXPECT_EQ(cache_->GetStatistics().pinned_usage, 4u);
  cache_->Release(h);
  EXPECT_EQ(Deletes("a"), 1);
  EXPECT_EQ(cache_->GetStatistics().usage, 0u);
  EXPECT_EQ(cache_->GetStatistics().pinned_usage, 0u);
  cache_->Erase("a");        // absent: no effect
  cache_->Erase("missing");  // never present
}

TEST_F(CacheTest, EraseUnpinnedEntryFreesAtOnce) {
  MakeCache(100);
  Put("a");
  cache_->Erase("a");
  EXPECT_EQ(Deletes("a"), 1);
  EXPECT_EQ(Get("a"), "");
}

TEST_F(CacheTest, InsertReplacesExistingEntry) {
  MakeCache(100);
  Put("k", 3, "v1");
  Cache::Handle* old = cache_->Lookup("k");
  ASSERT_NE(old, nullptr);
  Put("k", 5, "v2");
  EXPECT_EQ(Get("k"), "v2");
  EXPECT_EQ(Deletes("v1"), 0);
  EXPECT_EQ(*static_cast<std::string*>(cache_->Value(old)), "v1");
  EXPECT_EQ(cache_->GetStatistics().usage, 8u);
  cache_->Release(old);
  EXPECT_EQ(Deletes("v1"), 1);
  EXPECT_EQ(cache_->GetStatistics().usage, 5u);
  // Replacing an unpinned entry frees the old value at once.
  Put("k", 1, "v3");
  EXPECT_EQ(Deletes("v2"), 1);
  EXPECT_EQ(Get("k"), "v3");
}

TEST_F(CacheTest, MultipleHandlesOfOneEntry) {
  MakeCache(1);
  Put("a");
  Cache::Handle* h1 = cache_->Lookup("a");
  Cache::Handle* h2 = cache_->Lookup("a");
  Put("b");  // over capacity; "a" is pinned twice
  cache_->Release(h1);
  EXPECT_EQ(Deletes("a"), 0);
  EXPECT_EQ(cache_->GetStatistics().pinned_usage, 1u);
  cache_->Release(h2);  // now evictable and the cache is over capacity
  EXPECT_EQ(Deletes("a") + Deletes("b"), 1);
}

TEST_F(CacheTest, DestroyingTheCacheFreesEveryValueOnce) {
  MakeCache(1000, 2);
  for (int i = 0; i < 300; ++i) Put("k" + std::to_string(i), 1);
  cache_.reset();
  EXPECT_EQ(log_->live.load(), 0);
  // TearDown checks each value was freed exactly once.
}

TEST_F(CacheTest, Statistics) {
  MakeCache(2);
  Put("a");
  Put("b");
  EXPECT_EQ(Get("a"), "a");
  EXPECT_EQ(Get("x"), "");
  Put("c");  // evicts b
  Cache::Handle* h = cache_->Lookup("c");
  const CacheStatistics stats = cache_->GetStatistics();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.inserts, 3u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.usage, 2u);
  EXPECT_EQ(stats.pinned_usage, 1u);
  EXPECT_EQ(stats.capacity, 2u);
  cache_->Release(h);
}

TEST_F(CacheTest, SetCapacityEvicts) {
  MakeCache(10);
  for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i));
  cache_->SetCapacity(4);
  EXPECT_EQ(cache_->GetCapacity(), 4u);
  const CacheStatistics stats = cache_->GetStatistics();
  EXPECT_EQ(stats.usage, 4u);
  EXPECT_EQ(stats.evictions, 6u);
  EXPECT_EQ(Get("k5"), "");
  EXPECT_EQ(Get("k6"), "k6");
  cache_->SetCapacity(0);
  EXPECT_EQ(cache_->GetStatistics().usage, 0u);
  // A zero-capacity cache still hands out a pinned entry.
  Cache::Handle* h = cache_->Insert("z", NewValue("z"), 1, &CountingDeleter);
  EXPECT_EQ(*static_cast<std::string*>(cache_->Value(h)), "z");
  cache_->Release(h);
  EXPECT_EQ(Deletes("z"), 1);
}

TEST_F(CacheTest, UsersOfASharedCacheSeparateKeysWithNewId) {
  MakeCache(1000, -1);
  const uint64_t table1 = cache_->NewId();
  const uint64_t table2 = cache_->NewId();
  EXPECT_NE(table1, table2);
  EXPECT_NE(table1, 0u);
  auto block_key = [](uint64_t id, uint64_t offset) {
    std::string key;
    PutFixed64(&key, id);
    PutFixed64(&key, offset);
    return key;
  };
  Put(block_key(table1, 0), 1, "t1-block0");
  Put(block_key(table2, 0), 1, "t2-block0");
  EXPECT_EQ(Get(block_key(table1, 0)), "t1-block0");
  EXPECT_EQ(Get(block_key(table2, 0)), "t2-block0");
  EXPECT_EQ(Get(block_key(table2, 4096)), "");
}

TEST(CacheShardingTest, DefaultShardBits) {
  using internal::DefaultCacheShardBits;
  EXPECT_EQ(DefaultCacheShardBits(0), 0);
  EXPECT_EQ(DefaultCacheShardBits(size_t{512} << 10), 0);
  EXPECT_EQ(DefaultCacheShardBits(size_t{1} << 20), 1);
  EXPECT_EQ(DefaultCacheShardBits(size_t{4} << 20), 3);
  EXPECT_EQ(DefaultCacheShardBits(size_t{8} << 20), 4);
  EXPECT_EQ(DefaultCacheShardBits(size_t{1} << 40), 4);
  auto cache = NewLRUCache(size_t{64} << 20);
  EXPECT_EQ(static_cast<internal::LRUCache*>(cache.get())->num_shards(), 16);
  EXPECT_EQ(cache->GetCapacity(), size_t{64} << 20);
}

TEST_F(CacheTest, ConcurrentUseKeepsValuesWithTheirKeys) {
  const uint32_t seed = testing::TestSeed(401);
  SCOPED_TRACE(::testing::Message() << "FERRISDB_TEST_SEED=" << seed);
  // Small enough that inserts evict constantly; 4 shards of 50 bytes.
  MakeCache(200, 2);
  constexpr int kThreads = 4;
  constexpr int kKeys = 500;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> mismatches{0};
  std::atomic<int64_t> operations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      std::vector<Cache::Handle*> held;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string key = "key" + std::to_string(rng() % kKeys);
        Cache::Handle* h = nullptr;
        switch (rng() % 8) {
          case 0:
          case 1:
            h = cache_->Insert(key, NewValue(key), 1 + rng() % 4,
                               &CountingDeleter);
            break;
          case 2:
            cache_->Erase(key);
            break;
          default:
            h = cache_->Lookup(key);
            break;
        }
        if (h != nullptr) {
          if (*static_cast<std::string*>(cache_->Value(h)) != key) {
            mismatches.fetch_add(1, std::memory_order_relaxed);
          }
          held.push_back(h);
        }
        // Hold a few handles for a while, across other operations.
        if (held.size() > 4 || (!held.empty() && rng() % 2 == 0)) {
          const size_t i = rng() % held.size();
          cache_->Release(held[i]);
          held[i] = held.back();
          held.pop_back();
        }
        operations.fetch_add(1, std::memory_order_relaxed);
      }
      for (Cache::Handle* h : held) cache_->Release(h);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(operations.load(), 1000);
  const CacheStatistics stats = cache_->GetStatistics();
  EXPECT_EQ(stats.pinned_usage, 0u);
  EXPECT_LE(stats.usage, 200u);
  // Every value's tag is its key, and a key is inserted many times: check
  // "freed once" per value through the live count only (TearDown).
  {
    absl::MutexLock lock(&log_->mu);
    log_->deletes.clear();
  }
}

}  // namespace
}  // namespace ferrisdb
