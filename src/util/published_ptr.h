// PublishedPtr<T>: a std::shared_ptr<const T> that writers replace while
// readers copy it, for the one hot spot where an absl::Mutex costs too much:
// the DB's read view, copied by every Get and iterator. A copy holds a spin
// lock for the reference-count increment only (one exchange, one increment,
// one store), where absl::Mutex also runs Debian's deadlock detector, which
// takes a process-wide lock on every acquisition (docs/performance.md,
// "readmissing").
//
// Why not std::atomic<std::shared_ptr>: libstdc++ 12's load() unlocks with
// memory_order_relaxed, so its read of the pointer is not ordered before the
// next store (ThreadSanitizer reports the race).
//
// Thread-safe.
#ifndef FERRISDB_UTIL_PUBLISHED_PTR_H_
#define FERRISDB_UTIL_PUBLISHED_PTR_H_

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

namespace ferrisdb {

template <typename T>
class PublishedPtr {
 public:
  PublishedPtr() = default;
  PublishedPtr(const PublishedPtr&) = delete;
  PublishedPtr& operator=(const PublishedPtr&) = delete;

  // A reference to the current value (nullptr before the first Store).
  std::shared_ptr<const T> Load() const {
    Lock();
    std::shared_ptr<const T> copy = value_;
    Unlock();
    return copy;
  }

  // Makes value current. The previous one is released after the lock, so
  // its destructor (possibly the last reference) runs without it.
  void Store(std::shared_ptr<const T> value) {
    Lock();
    value_.swap(value);
    Unlock();
  }

 private:
  void Lock() const {
    int spins = 0;
    while (locked_.exchange(true, std::memory_order_acquire)) {
      // The holder only copies a pointer: it is gone soon unless it was
      // descheduled, in which case give it the core.
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins >= kSpinsBeforeYield) {
          std::this_thread::yield();
          spins = 0;
        }
      }
    }
  }
  void Unlock() const { locked_.store(false, std::memory_order_release); }

  static constexpr int kSpinsBeforeYield = 64;

  mutable std::atomic<bool> locked_{false};
  std::shared_ptr<const T> value_;  // guarded by locked_
};

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_PUBLISHED_PTR_H_
