// Counts heap allocations (this binary replaces the global operator new) to
// check the memtable's hot paths: Add allocates only arena blocks, Get only
// the value copy, iteration nothing.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "memtable/memtable.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  std::abort();  // no exceptions in this code base
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace ferrisdb {
namespace {

long Allocations() { return g_allocations.load(std::memory_order_relaxed); }

class MemTableAllocTest : public ::testing::Test {
 protected:
  MemTableAllocTest() : mem_(new MemTable()) { mem_->Ref(); }
  ~MemTableAllocTest() override { mem_->Unref(); }
  MemTable* mem_;
};

TEST_F(MemTableAllocTest, AddAllocatesNothingWhileTheArenaBlockHasRoom) {
  const std::string key(16, 'k');
  const std::string value(100, 'v');
  mem_->Add(1, ValueType::kValue, "first", value);  // arena has a block now
  const long before = Allocations();
  for (SequenceNumber seq = 2; seq < 100; ++seq) {
    mem_->Add(seq, ValueType::kValue, key, value);
  }
  // 98 entries of ~140 bytes fit in the current 64 KiB block.
  EXPECT_EQ(Allocations() - before, 0);
}

TEST_F(MemTableAllocTest, GetAllocatesOnlyTheValueCopy) {
  const std::string value(100, 'v');
  for (int i = 0; i < 1000; ++i) {
    mem_->Add(static_cast<SequenceNumber>(i + 1), ValueType::kValue,
              "key" + std::to_string(i), value);
  }
  mem_->Add(5000, ValueType::kDeletion, "key7", "");
  std::string out;
  out.reserve(200);
  const std::string present = "key500";
  const std::string absent = "key5000";
  const std::string deleted = "key7";
  const long before = Allocations();
  for (int i = 0; i < 100; ++i) {
    // A LookupKey for a short key lives in its inline buffer.
    EXPECT_EQ(mem_->Get(LookupKey(present, 100000), &out),
              MemTable::GetResult::kFound);
    EXPECT_EQ(mem_->Get(LookupKey(absent, 100000), &out),
              MemTable::GetResult::kNotPresent);
    EXPECT_EQ(mem_->Get(LookupKey(deleted, 100000), &out),
              MemTable::GetResult::kDeleted);
  }
  EXPECT_EQ(Allocations() - before, 0);
  EXPECT_EQ(out, value);
}

TEST_F(MemTableAllocTest, IterationAllocatesOnlyTheIterator) {
  for (int i = 0; i < 1000; ++i) {
    mem_->Add(static_cast<SequenceNumber>(i + 1), ValueType::kValue,
              "key" + std::to_string(i), "v");
  }
  std::string target;
  AppendInternalKey(&target, "key300", kMaxSequenceNumber, kValueTypeForSeek);
  const long before = Allocations();
  auto it = mem_->NewIterator();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  it->Seek(target);
  EXPECT_TRUE(it->Valid());
  it->SeekForPrev(target);
  EXPECT_TRUE(it->Valid());
  it->Prev();
  EXPECT_TRUE(it->Valid());
  EXPECT_EQ(Allocations() - before, 1);  // the iterator object
  EXPECT_EQ(n, 1000u);
}

}  // namespace
}  // namespace ferrisdb
