#include "util/arena.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/test_dir.h"

namespace ferrisdb {
namespace {

TEST(ArenaTest, EmptyArenaUsesNoMemory) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(ArenaTest, AllocateAlignedIsMaxAligned) {
  Arena arena;
  for (size_t i = 1; i < 2000; ++i) {
    // Unaligned allocations in between push next_ off alignment.
    arena.Allocate(i % 7 + 1);
    const char* p = arena.AllocateAligned(i);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u)
        << i;
  }
}

TEST(ArenaTest, AllocateAlignedHonorsSmallerAlignments) {
  Arena arena;
  for (size_t align : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    for (int i = 0; i < 100; ++i) {
      arena.Allocate(1);
      const char* p = arena.AllocateAligned(3, align);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << align;
    }
  }
}

TEST(ArenaTest, AllocationsDoNotOverlapAndKeepTheirBytes) {
  const uint32_t seed = testing::TestSeed(301);
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  std::mt19937 rnd(seed);
  Arena arena;
  std::vector<std::pair<char*, size_t>> allocated;
  size_t total = 0;
  for (int i = 0; i < 5000; ++i) {
    size_t size;
    switch (rnd() % 10) {
      case 0:
        size = 1 + rnd() % 100000;  // sometimes larger than a quarter block
        break;
      case 1:
        size = 1 + rnd() % 6000;
        break;
      default:
        size = 1 + rnd() % 40;
    }
    char* p = (i % 3 == 0) ? arena.AllocateAligned(size) : arena.Allocate(size);
    std::memset(p, static_cast<unsigned char>(i), size);
    allocated.emplace_back(p, size);
    total += size;
    ASSERT_GE(arena.MemoryUsage(), total);
  }
  for (size_t i = 0; i < allocated.size(); ++i) {
    const auto [p, size] = allocated[i];
    for (size_t j = 0; j < size; ++j) {
      ASSERT_EQ(static_cast<unsigned char>(p[j]), static_cast<unsigned char>(i))
          << "allocation " << i << " byte " << j;
    }
  }
  // Block overhead stays modest for this mix.
  EXPECT_LE(arena.MemoryUsage(), total + total / 4 + 2 * Arena::kBlockSize);
}

TEST(ArenaTest, LargeAllocationGetsItsOwnBlock) {
  Arena arena;
  char* small = arena.Allocate(10);
  const size_t after_small = arena.MemoryUsage();
  EXPECT_GE(after_small, 10u);
  EXPECT_LT(after_small, 10u + 64);
  const size_t big = 1 << 20;
  char* p = arena.Allocate(big);
  std::memset(p, 0xab, big);
  EXPECT_GE(arena.MemoryUsage(), after_small + big);
  EXPECT_LT(arena.MemoryUsage(), after_small + big + 64);
  // The current block is still in use: the next small allocation follows the
  // first one without a new block.
  char* small2 = arena.Allocate(10);
  EXPECT_EQ(small2, small + 10);
  EXPECT_LT(arena.MemoryUsage(), after_small + big + 64 + 10);
}

TEST(ArenaTest, MemoryUsageCountsWhatIsHandedOutAndWastedTails) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
  arena.Allocate(1);
  const size_t overhead = arena.MemoryUsage() - 1;  // block bookkeeping
  EXPECT_LT(overhead, 64u);
  // The unused part of the current block is not counted...
  arena.Allocate(100);
  EXPECT_EQ(arena.MemoryUsage(), overhead + 101);
  // ...until the block is retired: then its tail is wasted and counted.
  arena.Allocate(Arena::kBlockSize / 4);
  arena.Allocate(Arena::kBlockSize / 4);
  arena.Allocate(Arena::kBlockSize / 4);
  const size_t before_new_block = arena.MemoryUsage();
  arena.Allocate(Arena::kBlockSize / 4);  // does not fit: new block
  EXPECT_EQ(arena.MemoryUsage(),
            Arena::kBlockSize + 2 * overhead + Arena::kBlockSize / 4);
  EXPECT_GT(arena.MemoryUsage(), before_new_block);
}

}  // namespace
}  // namespace ferrisdb
