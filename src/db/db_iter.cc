#include "db/db_iter.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/strings.h"

namespace ferrisdb {
namespace {

class DBIter final : public Iterator {
 public:
  DBIter(std::unique_ptr<InternalIterator> internal, SequenceNumber sequence,
         std::shared_ptr<const void> pinned)
      : pinned_(std::move(pinned)),
        iter_(std::move(internal)),
        sequence_(sequence) {}

  bool Valid() const override { return valid_; }

  std::string_view key() const override {
    return direction_ == Direction::kForward ? ExtractUserKey(iter_->key())
                                             : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    return direction_ == Direction::kForward ? iter_->value()
                                             : std::string_view(saved_value_);
  }

  absl::Status status() const override {
    return status_.ok() ? iter_->status() : status_;
  }

  void SeekToFirst() override {
    direction_ = Direction::kForward;
    ClearSaved();
    iter_->SeekToFirst();
    FindNextUserEntry(/*skipping=*/false);
  }

  void SeekToLast() override {
    direction_ = Direction::kBackward;
    ClearSaved();
    iter_->SeekToLast();
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    direction_ = Direction::kForward;
    ClearSaved();
    seek_key_.clear();
    AppendInternalKey(&seek_key_, target, sequence_, kValueTypeForSeek);
    iter_->Seek(seek_key_);
    FindNextUserEntry(/*skipping=*/false);
  }

  void SeekForPrev(std::string_view target) override {
    direction_ = Direction::kBackward;
    ClearSaved();
    // (target, 0, kDeletion) is the last internal key with user key target.
    seek_key_.clear();
    AppendInternalKey(&seek_key_, target, 0, ValueType::kDeletion);
    iter_->SeekForPrev(seek_key_);
    FindPrevUserEntry();
  }

  void Next() override {
    if (direction_ == Direction::kBackward) {
      // iter_ sits just before the entries of saved_key_ (or is invalid if
      // they start the source); step onto them, then past them.
      direction_ = Direction::kForward;
      if (iter_->Valid()) {
        iter_->Next();
      } else {
        iter_->SeekToFirst();
      }
    } else {
      saved_key_.assign(ExtractUserKey(iter_->key()));
      iter_->Next();
    }
    FindNextUserEntry(/*skipping=*/true);
  }

  void Prev() override {
    if (direction_ == Direction::kForward) {
      // Move iter_ before every entry of the current user key.
      saved_key_.assign(ExtractUserKey(iter_->key()));
      while (true) {
        iter_->Prev();
        if (!iter_->Valid()) {
          valid_ = false;
          ClearSaved();
          return;
        }
        if (ExtractUserKey(iter_->key()) < std::string_view(saved_key_)) break;
      }
      direction_ = Direction::kBackward;
    }
    FindPrevUserEntry();
  }

 private:
  enum class Direction { kForward, kBackward };

  void ClearSaved() {
    saved_key_.clear();
    saved_value_.clear();
  }

  bool ParseCurrent(ParsedInternalKey* parsed) {
    if (ParseInternalKey(iter_->key(), parsed)) return true;
    status_ = absl::DataLossError(absl::StrFormat(
        "corrupted internal key in iteration: %s", EscapeBytes(iter_->key())));
    valid_ = false;
    return false;
  }

  // Forward: positions at the first visible, live entry at or after iter_;
  // with skipping, entries of user key saved_key_ are passed over.
  // Postcondition when valid_: iter_ is at the entry returned by key()/value().
  void FindNextUserEntry(bool skipping) {
    ParsedInternalKey parsed;
    for (; iter_->Valid(); iter_->Next()) {
      if (!ParseCurrent(&parsed)) return;
      if (parsed.sequence > sequence_) continue;  // newer than the read view
      if (skipping && parsed.user_key <= std::string_view(saved_key_)) continue;
      if (parsed.type == ValueType::kDeletion) {
        // Hide this key: skip its older versions.
        saved_key_.assign(parsed.user_key);
        skipping = true;
        continue;
      }
      valid_ = true;
      return;
    }
    valid_ = false;
  }

  // Backward: positions at the last visible, live user key at or before
  // iter_, copying it and its value into saved_key_/saved_value_.
  // Postcondition when valid_: iter_ is at the last entry before that key's
  // entries (or invalid).
  void FindPrevUserEntry() {
    ValueType newest_type = ValueType::kDeletion;
    ParsedInternalKey parsed;
    while (iter_->Valid()) {
      if (!ParseCurrent(&parsed)) return;
      if (parsed.sequence <= sequence_) {
        if (newest_type != ValueType::kDeletion &&
            parsed.user_key < std::string_view(saved_key_)) {
          // Every entry of saved_key_ has been seen; the last one visible
          // (the newest) was a value.
          break;
        }
        newest_type = parsed.type;
        if (parsed.type == ValueType::kDeletion) {
          ClearSaved();
        } else {
          saved_key_.assign(parsed.user_key);
          saved_value_.assign(iter_->value());
        }
      }
      iter_->Prev();
    }
    if (newest_type == ValueType::kDeletion) {
      valid_ = false;
      ClearSaved();
      direction_ = Direction::kForward;
    } else {
      valid_ = true;
    }
  }

  const std::shared_ptr<const void> pinned_;
  const std::unique_ptr<InternalIterator> iter_;
  const SequenceNumber sequence_;

  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  absl::Status status_;
  std::string saved_key_;    // see FindNextUserEntry / FindPrevUserEntry
  std::string saved_value_;  // backward direction only
  std::string seek_key_;     // reused buffer for Seek targets
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(
    std::unique_ptr<InternalIterator> internal, SequenceNumber sequence,
    std::shared_ptr<const void> pinned) {
  return std::make_unique<DBIter>(std::move(internal), sequence,
                                  std::move(pinned));
}

}  // namespace ferrisdb
