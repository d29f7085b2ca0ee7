#include "db/db_iter.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "util/strings.h"

namespace ferrisdb {
namespace {

// Counts one positioning of an iterator and times it, if statistics are
// kept.
class SeekRecorder {
 public:
  explicit SeekRecorder(Statistics* statistics)
      : statistics_(statistics),
        start_nanos_(statistics != nullptr ? absl::GetCurrentTimeNanos() : 0) {}
  ~SeekRecorder() {
    if (statistics_ == nullptr) return;
    statistics_->RecordTick(Ticker::kIteratorSeeks);
    statistics_->RecordLatency(
        HistogramType::kSeekMicros,
        static_cast<uint64_t>(absl::GetCurrentTimeNanos() - start_nanos_) /
            1000);
  }
  SeekRecorder(const SeekRecorder&) = delete;
  SeekRecorder& operator=(const SeekRecorder&) = delete;

 private:
  Statistics* const statistics_;
  const int64_t start_nanos_;
};

class DBIter final : public Iterator {
 public:
  DBIter(std::unique_ptr<InternalIterator> internal, SequenceNumber sequence,
         std::shared_ptr<const void> pinned,
         std::optional<std::string> lower_bound,
         std::optional<std::string> upper_bound, Statistics* statistics)
      : statistics_(statistics),
        pinned_(std::move(pinned)),
        iter_(std::move(internal)),
        sequence_(sequence),
        lower_bound_(std::move(lower_bound)),
        upper_bound_(std::move(upper_bound)) {}

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
    const SeekRecorder record(statistics_);
    if (lower_bound_.has_value()) {
      SeekImpl(*lower_bound_);
      return;
    }
    direction_ = Direction::kForward;
    ClearSaved();
    iter_->SeekToFirst();
    FindNextUserEntry(/*skipping=*/false);
  }

  void SeekToLast() override {
    const SeekRecorder record(statistics_);
    if (upper_bound_.has_value()) {
      SeekBeforeUpperBound();
      return;
    }
    direction_ = Direction::kBackward;
    ClearSaved();
    iter_->SeekToLast();
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    const SeekRecorder record(statistics_);
    if (lower_bound_.has_value() && target < std::string_view(*lower_bound_)) {
      target = *lower_bound_;
    }
    SeekImpl(target);
  }

  void SeekForPrev(std::string_view target) override {
    const SeekRecorder record(statistics_);
    if (upper_bound_.has_value() && target >= std::string_view(*upper_bound_)) {
      SeekBeforeUpperBound();
      return;
    }
    direction_ = Direction::kBackward;
    ClearSaved();
    if (BelowLowerBound(target)) {
      valid_ = false;
      return;
    }
    // (target, 0, kDeletion) is the last internal key with user key target.
    seek_key_.clear();
    AppendInternalKey(&seek_key_, target, 0, ValueType::kDeletion);
    iter_->SeekForPrev(seek_key_);
    FindPrevUserEntry();
  }

  void Next() override {
    if (statistics_ != nullptr) statistics_->RecordTick(Ticker::kIteratorNexts);
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
    if (statistics_ != nullptr) statistics_->RecordTick(Ticker::kIteratorPrevs);
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

  bool AtOrAboveUpperBound(std::string_view user_key) const {
    return upper_bound_.has_value() &&
           user_key >= std::string_view(*upper_bound_);
  }
  bool BelowLowerBound(std::string_view user_key) const {
    return lower_bound_.has_value() &&
           user_key < std::string_view(*lower_bound_);
  }

  // Seek to a target already clamped to the lower bound.
  void SeekImpl(std::string_view target) {
    direction_ = Direction::kForward;
    ClearSaved();
    if (AtOrAboveUpperBound(target)) {
      valid_ = false;
      return;
    }
    seek_key_.clear();
    AppendInternalKey(&seek_key_, target, sequence_, kValueTypeForSeek);
    iter_->Seek(seek_key_);
    FindNextUserEntry(/*skipping=*/false);
  }

  // Positions at the last visible key below the upper bound.
  // REQUIRES: upper_bound_.has_value().
  void SeekBeforeUpperBound() {
    direction_ = Direction::kBackward;
    ClearSaved();
    // (upper, kMaxSequenceNumber, kValueTypeForSeek) is the first internal
    // key with user key upper: SeekForPrev lands on it (if such an entry
    // exists) or on the last entry below the bound.
    seek_key_.clear();
    AppendInternalKey(&seek_key_, *upper_bound_, kMaxSequenceNumber,
                      kValueTypeForSeek);
    iter_->SeekForPrev(seek_key_);
    if (iter_->Valid() && CompareInternalKeys(iter_->key(), seek_key_) == 0) {
      iter_->Prev();
    }
    FindPrevUserEntry();
  }

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

  // Forward: positions at the first visible, live entry at or after iter_
  // and below the upper bound; with skipping, entries of user key saved_key_
  // are passed over. Reads no entry past the first one at or above the upper
  // bound.
  // Postcondition when valid_: iter_ is at the entry returned by key()/value().
  void FindNextUserEntry(bool skipping) {
    ParsedInternalKey parsed;
    for (; iter_->Valid(); iter_->Next()) {
      if (!ParseCurrent(&parsed)) return;
      if (AtOrAboveUpperBound(parsed.user_key)) break;
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
  // iter_ and not below the lower bound, copying it and its value into
  // saved_key_/saved_value_. Reads no entry past the first one below the
  // lower bound.
  // Postcondition when valid_: iter_ is at the last entry before that key's
  // entries (or invalid).
  void FindPrevUserEntry() {
    ValueType newest_type = ValueType::kDeletion;
    ParsedInternalKey parsed;
    while (iter_->Valid()) {
      if (!ParseCurrent(&parsed)) return;
      if (BelowLowerBound(parsed.user_key)) break;
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

  Statistics* const statistics_;  // may be nullptr
  const std::shared_ptr<const void> pinned_;
  const std::unique_ptr<InternalIterator> iter_;
  const SequenceNumber sequence_;
  const std::optional<std::string> lower_bound_;  // inclusive
  const std::optional<std::string> upper_bound_;  // exclusive

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
    std::shared_ptr<const void> pinned, std::optional<std::string> lower_bound,
    std::optional<std::string> upper_bound, Statistics* statistics) {
  return std::make_unique<DBIter>(std::move(internal), sequence,
                                  std::move(pinned), std::move(lower_bound),
                                  std::move(upper_bound), statistics);
}

}  // namespace ferrisdb
