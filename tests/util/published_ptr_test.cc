// PublishedPtr: readers copying while a writer replaces the value see only
// values that were stored, never one older than what they saw before, and
// every value is freed once no one holds it.
#include "util/published_ptr.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

// Counts live instances, so a leak or a double free shows.
struct Counted {
  explicit Counted(int64_t v, std::atomic<int>* live) : value(v), live(live) {
    live->fetch_add(1);
  }
  ~Counted() { live->fetch_sub(1); }
  const int64_t value;
  std::atomic<int>* const live;
};

TEST(PublishedPtrTest, EmptyUntilTheFirstStore) {
  PublishedPtr<int> published;
  EXPECT_EQ(published.Load(), nullptr);
  published.Store(std::make_shared<const int>(7));
  ASSERT_NE(published.Load(), nullptr);
  EXPECT_EQ(*published.Load(), 7);
}

TEST(PublishedPtrTest, ALoadedValueOutlivesItsReplacement) {
  std::atomic<int> live{0};
  PublishedPtr<Counted> published;
  published.Store(std::make_shared<const Counted>(1, &live));
  std::shared_ptr<const Counted> held = published.Load();
  published.Store(std::make_shared<const Counted>(2, &live));
  EXPECT_EQ(live.load(), 2);
  EXPECT_EQ(held->value, 1);
  held.reset();
  EXPECT_EQ(live.load(), 1);
  EXPECT_EQ(published.Load()->value, 2);
}

TEST(PublishedPtrTest, ConcurrentReadersSeeStoredValuesInOrder) {
  constexpr int64_t kStores = 20000;
  constexpr int kReaders = 3;
  std::atomic<int> live{0};
  {
    PublishedPtr<Counted> published;
    published.Store(std::make_shared<const Counted>(0, &live));
    std::atomic<bool> done{false};
    std::atomic<int> violations{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&] {
        int64_t last = 0;
        while (!done.load(std::memory_order_acquire)) {
          std::shared_ptr<const Counted> v = published.Load();
          if (v == nullptr || v->value < last || v->value > kStores) {
            violations.fetch_add(1);
            return;
          }
          last = v->value;
        }
      });
    }
    for (int64_t i = 1; i <= kStores; ++i) {
      published.Store(std::make_shared<const Counted>(i, &live));
    }
    done.store(true, std::memory_order_release);
    for (std::thread& t : readers) t.join();
    EXPECT_EQ(violations.load(), 0);
    EXPECT_EQ(published.Load()->value, kStores);
    EXPECT_EQ(live.load(), 1);  // every replaced value was freed
  }
  EXPECT_EQ(live.load(), 0);
}

}  // namespace
}  // namespace ferrisdb
