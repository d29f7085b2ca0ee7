#include "util/arena.h"

#include <cstdint>

namespace ferrisdb {

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // A large object gets its own block so the rest of the current block is
    // not wasted.
    return AllocateNewBlock(bytes);
  }
  next_ = AllocateNewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = next_;
  next_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t);
  static_assert((kAlign & (kAlign - 1)) == 0, "alignment must be a power of 2");
  const size_t misalignment = reinterpret_cast<uintptr_t>(next_) & (kAlign - 1);
  const size_t slop = misalignment == 0 ? 0 : kAlign - misalignment;
  const size_t needed = bytes + slop;
  if (needed <= remaining_) {
    char* result = next_ + slop;
    next_ += needed;
    remaining_ -= needed;
    return result;
  }
  // New blocks come from operator new[], which is max_align_t aligned.
  return AllocateFallback(bytes);
}

char* Arena::AllocateNewBlock(size_t bytes) {
  // Not make_unique: arena memory need not be zeroed.
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));
  memory_usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace ferrisdb
