// The POSIX implementations of SequentialFile, RandomAccessFile and
// WritableFile. Each takes ownership of an open file descriptor; PosixEnv
// (posix_env.cc) opens the descriptors.
#ifndef FERRISDB_ENV_POSIX_FILE_H_
#define FERRISDB_ENV_POSIX_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"

namespace ferrisdb::internal {

// Reads with read(2) from the descriptor's current position.
// REQUIRES: external synchronization.
class PosixSequentialFile final : public SequentialFile {
 public:
  // Takes ownership of fd; path is used in error messages only.
  PosixSequentialFile(std::string path, int fd);
  ~PosixSequentialFile() override;
  PosixSequentialFile(const PosixSequentialFile&) = delete;
  PosixSequentialFile& operator=(const PosixSequentialFile&) = delete;

  absl::Status Read(size_t n, std::string_view* result, char* scratch) override;
  absl::Status Skip(uint64_t n) override;

 private:
  const std::string path_;
  const int fd_;
};

// Reads with pread(2), so concurrent reads need no locking. Thread-safe.
class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  // Takes ownership of fd; path is used in error messages only.
  PosixRandomAccessFile(std::string path, int fd);
  ~PosixRandomAccessFile() override;
  PosixRandomAccessFile(const PosixRandomAccessFile&) = delete;
  PosixRandomAccessFile& operator=(const PosixRandomAccessFile&) = delete;

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override;

 private:
  const std::string path_;
  const int fd_;
};

// A read-only shared memory mapping of a whole file, made at open: Read and
// MappedContents return pointers into it (no system call, no copy). The
// file must not change while mapped (SIGBUS if it shrinks). Thread-safe.
class PosixMappedFile final : public RandomAccessFile {
 public:
  // Maps the file open at fd (size bytes), then closes fd (the mapping keeps
  // the file's data reachable). path is used in error messages only.
  static absl::StatusOr<std::unique_ptr<RandomAccessFile>> Open(
      std::string path, int fd, uint64_t size);
  ~PosixMappedFile() override;
  PosixMappedFile(const PosixMappedFile&) = delete;
  PosixMappedFile& operator=(const PosixMappedFile&) = delete;

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override;
  std::optional<std::string_view> MappedContents() const override {
    return std::string_view(base_, size_);
  }

 private:
  PosixMappedFile(const char* base, size_t size) : base_(base), size_(size) {}

  const char* const base_;  // nullptr for an empty file
  const size_t size_;
};

// Appends through a kBufferSize userspace buffer: Append copies small writes
// into the buffer and writes larger than the buffer go straight to write(2);
// Flush empties the buffer (retrying partial writes and EINTR); Sync is
// Flush + fdatasync(2).
//
// After a failed Append, Flush or Sync a prefix of the data may have reached
// the file; bytes not yet written stay buffered and a later Flush retries
// them. Close closes the descriptor even when its final flush fails (the
// unwritten bytes are then lost and the flush error is returned). Every call
// after Close, including a second Close, returns kFailedPrecondition.
// REQUIRES: external synchronization.
class PosixWritableFile final : public WritableFile {
 public:
  static constexpr size_t kBufferSize = 64 * 1024;

  // Takes ownership of fd; path is used in error messages only.
  PosixWritableFile(std::string path, int fd);
  // Closes the file if still open, ignoring errors.
  ~PosixWritableFile() override;
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  absl::Status Append(std::string_view data) override;
  absl::Status Flush() override;
  absl::Status Sync() override;
  absl::Status StartWriteback() override;
  absl::Status Close() override;

 private:
  absl::Status CheckOpen(std::string_view operation) const;
  // Writes all n bytes at the file position, retrying partial writes and
  // EINTR. *written is how many bytes reached the file, also on error.
  absl::Status WriteFully(const char* data, size_t n, size_t* written);
  absl::Status FlushBuffer();

  const std::string path_;
  int fd_;  // -1 once closed.
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;   // Bytes at the start of buffer_ not yet written.
  uint64_t written_ = 0;  // Bytes handed to the file (past buffer_).
  uint64_t writeback_started_ = 0;  // Bytes StartWriteback covered.
};

}  // namespace ferrisdb::internal

#endif  // FERRISDB_ENV_POSIX_FILE_H_
