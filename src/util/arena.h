// Arena: bump allocation of many small objects that are freed together (the
// memtable's skiplist nodes and entries).
//
// REQUIRES: external synchronization for Allocate*. MemoryUsage() is
// thread-safe (readers may poll it while a writer allocates).
#ifndef FERRISDB_UTIL_ARENA_H_
#define FERRISDB_UTIL_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace ferrisdb {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns bytes of uninitialized memory owned by the arena.
  // REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = next_;
      next_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Like Allocate, aligned to alignof(std::max_align_t).
  char* AllocateAligned(size_t bytes);

  // Bytes of memory held by the arena, including block bookkeeping.
  // Relaxed: a monotone statistic, read without ordering other memory.
  size_t MemoryUsage() const {
    return memory_usage_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kBlockSize = 4096 * 16;

  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t bytes);

  char* next_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_ARENA_H_
