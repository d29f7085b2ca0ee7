// Arena: bump allocation of many small objects that are freed together (the
// memtable's skiplist nodes and entries).
//
// Memory comes from blocks of kBlockSize bytes; a request larger than a
// quarter block gets a block of its own so the tail of the current block is
// not wasted. Nothing is freed before the arena is destroyed.
//
// REQUIRES: external synchronization for Allocate*. MemoryUsage() is
// thread-safe (readers may poll it while a writer allocates).
#ifndef FERRISDB_UTIL_ARENA_H_
#define FERRISDB_UTIL_ARENA_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace ferrisdb {

class Arena {
 public:
  static constexpr size_t kBlockSize = 4096 * 16;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns bytes of uninitialized memory owned by the arena, with no
  // alignment guarantee.
  // REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    assert(bytes > 0);
    if (bytes <= remaining_) {
      char* result = next_;
      next_ += bytes;
      remaining_ -= bytes;
      AddUsage(bytes);
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Like Allocate, aligned to `alignment`.
  // REQUIRES: bytes > 0; alignment is a power of two no larger than
  // alignof(std::max_align_t) (the alignment of a fresh block).
  char* AllocateAligned(size_t bytes,
                        size_t alignment = alignof(std::max_align_t)) {
    assert(bytes > 0);
    assert(alignment != 0 && (alignment & (alignment - 1)) == 0);
    assert(alignment <= alignof(std::max_align_t));
    const size_t misalignment =
        reinterpret_cast<uintptr_t>(next_) & (alignment - 1);
    const size_t slop = misalignment == 0 ? 0 : alignment - misalignment;
    if (bytes + slop <= remaining_) {
      char* result = next_ + slop;
      next_ += bytes + slop;
      remaining_ -= bytes + slop;
      AddUsage(bytes + slop);
      return result;
    }
    // Every block starts max_align_t aligned (operator new[]).
    return AllocateFallback(bytes);
  }

  // Bytes of memory in use: everything handed out (with alignment padding),
  // the unused tails of retired blocks, and block bookkeeping. The unused
  // part of the current block is not counted, so a small memtable limit is
  // honoured even though blocks are 64 KiB.
  // Relaxed: a monotone statistic, read without ordering other memory.
  size_t MemoryUsage() const {
    return memory_usage_.load(std::memory_order_relaxed);
  }

 private:
  // Only the (single) allocating thread writes memory_usage_, so a plain
  // load + store is enough; readers only need an untorn value.
  void AddUsage(size_t bytes) {
    memory_usage_.store(memory_usage_.load(std::memory_order_relaxed) + bytes,
                        std::memory_order_relaxed);
  }

  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t bytes);

  char* next_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_ARENA_H_
