#include "db/merging_iterator.h"

#include <utility>

#include "memtable/internal_key.h"

namespace ferrisdb {
namespace {

// Picks the current child by a linear scan: read views hold few sources (the
// memtables of one DB), so a heap would not pay for itself yet.
class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(
      std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr; }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    direction_ = Direction::kForward;
    FindSmallest();
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    direction_ = Direction::kBackward;
    FindLargest();
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    direction_ = Direction::kForward;
    FindSmallest();
  }

  void SeekForPrev(std::string_view target) override {
    for (auto& child : children_) child->SeekForPrev(target);
    direction_ = Direction::kBackward;
    FindLargest();
  }

  void Next() override {
    if (direction_ != Direction::kForward) {
      // The other children sit at or before key(); move each to the first
      // entry after it.
      const std::string_view current_key = key();
      for (auto& child : children_) {
        if (child.get() == current_) continue;
        child->Seek(current_key);
        if (child->Valid() &&
            CompareInternalKeys(child->key(), current_key) == 0) {
          child->Next();
        }
      }
      direction_ = Direction::kForward;
    }
    current_->Next();
    FindSmallest();
  }

  void Prev() override {
    if (direction_ != Direction::kBackward) {
      // The other children sit after key(); move each to the last entry
      // before it.
      const std::string_view current_key = key();
      for (auto& child : children_) {
        if (child.get() == current_) continue;
        child->SeekForPrev(current_key);
        if (child->Valid() &&
            CompareInternalKeys(child->key(), current_key) == 0) {
          child->Prev();
        }
      }
      direction_ = Direction::kBackward;
    }
    current_->Prev();
    FindLargest();
  }

  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }

  absl::Status status() const override {
    for (const auto& child : children_) {
      absl::Status s = child->status();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  enum class Direction { kForward, kBackward };

  void FindSmallest() {
    current_ = nullptr;
    for (auto& child : children_) {
      if (child->Valid() &&
          (current_ == nullptr ||
           CompareInternalKeys(child->key(), current_->key()) < 0)) {
        current_ = child.get();
      }
    }
  }

  void FindLargest() {
    current_ = nullptr;
    for (auto& child : children_) {
      if (child->Valid() &&
          (current_ == nullptr ||
           CompareInternalKeys(child->key(), current_->key()) > 0)) {
        current_ = child.get();
      }
    }
  }

  std::vector<std::unique_ptr<InternalIterator>> children_;
  InternalIterator* current_ = nullptr;
  Direction direction_ = Direction::kForward;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace ferrisdb
