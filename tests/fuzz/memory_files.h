// In-memory files for the fuzz targets and the seed generator: a reader
// never reads past the bytes it was given (so AddressSanitizer sees any
// out-of-bounds access of the code under test as one into a heap block of
// exactly the input's size), and a writer appends to a string.
#ifndef FERRISDB_TESTS_FUZZ_MEMORY_FILES_H_
#define FERRISDB_TESTS_FUZZ_MEMORY_FILES_H_

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "ferrisdb/env.h"

namespace ferrisdb::fuzz {

// Reads a string it owns from the front to the back.
class MemorySequentialFile final : public SequentialFile {
 public:
  explicit MemorySequentialFile(std::string contents)
      : contents_(std::move(contents)) {}
  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    n = std::min(n, contents_.size() - pos_);
    if (n > 0) std::memcpy(scratch, contents_.data() + pos_, n);
    pos_ += n;
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, contents_.size() - pos_));
    return absl::OkStatus();
  }

 private:
  const std::string contents_;
  size_t pos_ = 0;
};

// Reads bytes it owns at any offset. With `mapped`, also offers them through
// MappedContents, as a memory-mapped table file does. The bytes live in a
// heap block of exactly their size, so AddressSanitizer catches a read one
// byte past the end of the mapping.
class MemoryRandomAccessFile final : public RandomAccessFile {
 public:
  MemoryRandomAccessFile(std::string_view contents, bool mapped)
      : data_(new char[contents.size()]),
        size_(contents.size()),
        mapped_(mapped) {
    if (size_ > 0) std::memcpy(data_.get(), contents.data(), size_);
  }
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (offset >= size_) {
      *result = {};
      return absl::OkStatus();
    }
    n = std::min(n, size_ - static_cast<size_t>(offset));
    if (n > 0) std::memcpy(scratch, data_.get() + offset, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }
  std::optional<std::string_view> MappedContents() const override {
    if (!mapped_) return std::nullopt;
    return std::string_view(data_.get(), size_);
  }

 private:
  const std::unique_ptr<char[]> data_;
  const size_t size_;
  const bool mapped_;
};

// Appends to a string owned by the caller.
class MemoryWritableFile final : public WritableFile {
 public:
  explicit MemoryWritableFile(std::string* contents) : contents_(contents) {}
  absl::Status Append(std::string_view data) override {
    contents_->append(data);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* const contents_;
};

}  // namespace ferrisdb::fuzz

#endif  // FERRISDB_TESTS_FUZZ_MEMORY_FILES_H_
