#include "util/arena.h"

namespace ferrisdb {

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // A large object gets its own block so the rest of the current block is
    // not wasted.
    AddUsage(bytes);
    return AllocateNewBlock(bytes);
  }
  // The tail of the current block is lost for good: count it as used.
  AddUsage(remaining_ + bytes);
  next_ = AllocateNewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = next_;
  next_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateNewBlock(size_t bytes) {
  // Not make_unique: arena memory need not be zeroed. operator new[] returns
  // memory aligned for any fundamental type, which AllocateAligned relies on.
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));
  AddUsage(sizeof(std::unique_ptr<char[]>));
  return blocks_.back().get();
}

}  // namespace ferrisdb
