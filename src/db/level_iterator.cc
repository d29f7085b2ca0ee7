#include "db/level_iterator.h"

#include <algorithm>
#include <utility>

#include "db/table_iterator.h"
#include "memtable/internal_key.h"

namespace ferrisdb {
namespace {

class LevelIterator final : public InternalIterator {
 public:
  LevelIterator(TableCache* table_cache,
                std::vector<std::shared_ptr<const FileMetaData>> files,
                bool verify_checksums, bool fill_cache)
      : table_cache_(table_cache),
        files_(std::move(files)),
        verify_checksums_(verify_checksums),
        fill_cache_(fill_cache),
        file_index_(files_.size()) {}

  bool Valid() const override {
    return status_.ok() && table_iter_ != nullptr && table_iter_->Valid();
  }

  void SeekToFirst() override {
    if (!status_.ok() || files_.empty()) return;
    if (!OpenFile(0)) return;
    table_iter_->SeekToFirst();
    SkipExhaustedFilesForward();
  }

  void SeekToLast() override {
    if (!status_.ok() || files_.empty()) return;
    if (!OpenFile(files_.size() - 1)) return;
    table_iter_->SeekToLast();
    SkipExhaustedFilesBackward();
  }

  void Seek(std::string_view target) override {
    if (!status_.ok()) return;
    // The first file whose largest key is >= target holds the answer, if
    // any file does.
    const auto it = std::lower_bound(
        files_.begin(), files_.end(), target,
        [](const std::shared_ptr<const FileMetaData>& f, std::string_view t) {
          return CompareInternalKeys(f->largest, t) < 0;
        });
    if (it == files_.end()) {
      CloseFile();
      return;
    }
    if (!OpenFile(static_cast<size_t>(it - files_.begin()))) return;
    table_iter_->Seek(target);
    SkipExhaustedFilesForward();
  }

  void SeekForPrev(std::string_view target) override {
    if (!status_.ok()) return;
    // The last file whose smallest key is <= target holds the answer, if
    // any file does.
    const auto it = std::upper_bound(
        files_.begin(), files_.end(), target,
        [](std::string_view t, const std::shared_ptr<const FileMetaData>& f) {
          return CompareInternalKeys(t, f->smallest) < 0;
        });
    if (it == files_.begin()) {
      CloseFile();
      return;
    }
    if (!OpenFile(static_cast<size_t>(it - files_.begin()) - 1)) return;
    table_iter_->SeekForPrev(target);
    SkipExhaustedFilesBackward();
  }

  void Next() override {
    table_iter_->Next();
    SkipExhaustedFilesForward();
  }

  void Prev() override {
    table_iter_->Prev();
    SkipExhaustedFilesBackward();
  }

  std::string_view key() const override { return table_iter_->key(); }
  std::string_view value() const override { return table_iter_->value(); }

  absl::Status status() const override {
    if (!status_.ok()) return status_;
    return table_iter_ != nullptr ? table_iter_->status() : absl::OkStatus();
  }

 private:
  // Makes files_[index] the current file (opening it unless it already is).
  // False, with status_ set, if it cannot be opened.
  bool OpenFile(size_t index) {
    if (index == file_index_ && table_iter_ != nullptr) return true;
    CloseFile();
    absl::StatusOr<std::shared_ptr<const TableReader>> reader =
        table_cache_->Get(files_[index]);
    if (!reader.ok()) {
      status_ = reader.status();
      return false;
    }
    file_index_ = index;
    table_iter_ = NewPinnedTableIterator(*std::move(reader), verify_checksums_,
                                         fill_cache_);
    return true;
  }

  void CloseFile() {
    table_iter_.reset();
    file_index_ = files_.size();
  }

  // True if the current table iterator stopped on an error; records it.
  bool TableFailed() {
    absl::Status s = table_iter_->status();
    if (s.ok()) return false;
    status_ = std::move(s);
    return true;
  }

  // While the current file has no entry left (forward), moves to the start
  // of the next one. Stops at an error, or invalid past the last file.
  void SkipExhaustedFilesForward() {
    while (table_iter_ != nullptr && !table_iter_->Valid()) {
      if (TableFailed()) return;
      const size_t next = file_index_ + 1;
      if (next >= files_.size()) {
        CloseFile();
        return;
      }
      if (!OpenFile(next)) return;
      table_iter_->SeekToFirst();
    }
  }

  // The mirror image of SkipExhaustedFilesForward.
  void SkipExhaustedFilesBackward() {
    while (table_iter_ != nullptr && !table_iter_->Valid()) {
      if (TableFailed()) return;
      if (file_index_ == 0) {
        CloseFile();
        return;
      }
      if (!OpenFile(file_index_ - 1)) return;
      table_iter_->SeekToLast();
    }
  }

  TableCache* const table_cache_;
  const std::vector<std::shared_ptr<const FileMetaData>> files_;
  const bool verify_checksums_;
  const bool fill_cache_;

  // files_.size() when no file is open.
  size_t file_index_;
  // Over files_[file_index_]; nullptr when no file is open. Owns a reference
  // to the file's TableReader.
  std::unique_ptr<InternalIterator> table_iter_;
  // The first error met (sticky).
  absl::Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewLevelIterator(
    TableCache* table_cache,
    std::vector<std::shared_ptr<const FileMetaData>> files,
    bool verify_checksums, bool fill_cache) {
  return std::make_unique<LevelIterator>(table_cache, std::move(files),
                                         verify_checksums, fill_cache);
}

}  // namespace ferrisdb
