#include "db/merging_iterator.h"

#include <string_view>
#include <utility>

#include "memtable/internal_key.h"

namespace ferrisdb {
namespace {

// The valid children sit in a binary heap ordered by their current key:
// smallest on top when moving forward, largest on top when moving backward.
// The top is the merged iterator's current entry. A step moves the top child
// and sifts it down: O(log n) comparisons, no allocation.
class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(
      std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty() && !child_failed_; }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    RebuildHeap(Direction::kForward);
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    RebuildHeap(Direction::kBackward);
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    RebuildHeap(Direction::kForward);
  }

  void SeekForPrev(std::string_view target) override {
    for (auto& child : children_) child->SeekForPrev(target);
    RebuildHeap(Direction::kBackward);
  }

  void Next() override {
    if (direction_ != Direction::kForward) {
      // The other children sit at or before key(); move each to the first
      // entry after it. The top child stays put, so key() stays valid.
      InternalIterator* const current = heap_[0].iter;
      const std::string_view current_key = heap_[0].key;
      for (auto& child : children_) {
        if (child.get() == current) continue;
        child->Seek(current_key);
        if (child->Valid() &&
            CompareInternalKeys(child->key(), current_key) == 0) {
          child->Next();
        }
      }
      // Every other child is now after current_key: current stays on top.
      RebuildHeap(Direction::kForward);
    }
    heap_[0].iter->Next();
    TopMoved();
  }

  void Prev() override {
    if (direction_ != Direction::kBackward) {
      // The mirror image of Next: move the others before key().
      InternalIterator* const current = heap_[0].iter;
      const std::string_view current_key = heap_[0].key;
      for (auto& child : children_) {
        if (child.get() == current) continue;
        child->SeekForPrev(current_key);
        if (child->Valid() &&
            CompareInternalKeys(child->key(), current_key) == 0) {
          child->Prev();
        }
      }
      RebuildHeap(Direction::kBackward);
    }
    heap_[0].iter->Prev();
    TopMoved();
  }

  std::string_view key() const override { return heap_[0].key; }
  std::string_view value() const override { return heap_[0].iter->value(); }

  absl::Status status() const override {
    for (const auto& child : children_) {
      absl::Status s = child->status();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  enum class Direction { kForward, kBackward };

  // A valid child and its current key (cached: comparing needs no virtual
  // call; the view stays valid until that child moves, and only the top
  // child moves between rebuilds).
  struct HeapEntry {
    InternalIterator* iter;
    std::string_view key;
  };

  // True if a belongs nearer the top than b in the current direction.
  bool Before(const HeapEntry& a, const HeapEntry& b) const {
    const int c = CompareInternalKeys(a.key, b.key);
    return direction_ == Direction::kForward ? c < 0 : c > 0;
  }

  // Notes a child that is no longer valid: an error stops the merge.
  void NoteInvalidChild(const InternalIterator& child) {
    if (!child.status().ok()) child_failed_ = true;
  }

  // Builds the heap from every valid child, for `direction`.
  void RebuildHeap(Direction direction) {
    direction_ = direction;
    child_failed_ = false;
    heap_.clear();
    for (auto& child : children_) {
      if (child->Valid()) {
        heap_.push_back({child.get(), child->key()});
      } else {
        NoteInvalidChild(*child);
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  // The top child has moved: refresh its key, or drop it if it ran out.
  void TopMoved() {
    InternalIterator* const top = heap_[0].iter;
    if (top->Valid()) {
      heap_[0].key = top->key();
    } else {
      NoteInvalidChild(*top);
      heap_[0] = heap_.back();
      heap_.pop_back();
      if (heap_.empty()) return;
    }
    SiftDown(0);
  }

  // Restores the heap order below position i (only heap_[i] may be out of
  // place).
  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    const HeapEntry item = heap_[i];
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
      if (!Before(heap_[child], item)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = item;
  }

  const std::vector<std::unique_ptr<InternalIterator>> children_;
  std::vector<HeapEntry> heap_;  // heap_[0] is the current entry
  Direction direction_ = Direction::kForward;
  // A child stopped on an error since the last positioning.
  bool child_failed_ = false;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace ferrisdb
