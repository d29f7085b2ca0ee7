#include "env/posix_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "env/io_error.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ferrisdb::internal {

PosixSequentialFile::PosixSequentialFile(std::string path, int fd)
    : path_(std::move(path)), fd_(fd) {}

PosixSequentialFile::~PosixSequentialFile() { close(fd_); }

absl::Status PosixSequentialFile::Read(size_t n, std::string_view* result,
                                       char* scratch) {
  // read(2) may return less than asked before the end (signals, pipes);
  // loop so that a short result always means end of file.
  size_t total = 0;
  while (total < n) {
    ssize_t r = read(fd_, scratch + total, n - total);
    if (r < 0) {
      if (errno == EINTR) continue;
      *result = std::string_view();
      return IOError("read", path_, errno);
    }
    if (r == 0) break;
    total += static_cast<size_t>(r);
  }
  *result = std::string_view(scratch, total);
  return absl::OkStatus();
}

absl::Status PosixSequentialFile::Skip(uint64_t n) {
  struct stat st;
  if (fstat(fd_, &st) != 0) return IOError("stat", path_, errno);
  off_t pos = lseek(fd_, 0, SEEK_CUR);
  if (pos < 0) return IOError("seek", path_, errno);
  // Clamp at the end so that huge n neither overflows off_t nor leaves the
  // position beyond the end.
  uint64_t left =
      st.st_size > pos ? static_cast<uint64_t>(st.st_size - pos) : 0;
  off_t target = n >= left ? std::max<off_t>(st.st_size, pos)
                           : pos + static_cast<off_t>(n);
  if (lseek(fd_, target, SEEK_SET) < 0) return IOError("seek", path_, errno);
  return absl::OkStatus();
}

PosixRandomAccessFile::PosixRandomAccessFile(std::string path, int fd)
    : path_(std::move(path)), fd_(fd) {}

PosixRandomAccessFile::~PosixRandomAccessFile() { close(fd_); }

absl::Status PosixRandomAccessFile::Read(uint64_t offset, size_t n,
                                         std::string_view* result,
                                         char* scratch) const {
  constexpr uint64_t kMaxOffset = std::numeric_limits<off_t>::max();
  size_t total = 0;
  while (total < n && offset + total < kMaxOffset) {
    ssize_t r = pread(fd_, scratch + total, n - total,
                      static_cast<off_t>(offset + total));
    if (r < 0) {
      if (errno == EINTR) continue;
      *result = std::string_view();
      return IOError("read", path_, errno);
    }
    if (r == 0) break;
    total += static_cast<size_t>(r);
  }
  *result = std::string_view(scratch, total);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> PosixMappedFile::Open(
    std::string path, int fd, uint64_t size) {
  void* base = nullptr;
  if (size > std::numeric_limits<size_t>::max()) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("mmap ", path, ": file too large to map"));
  }
  if (size > 0) {
    base = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd,
                0);
    if (base == MAP_FAILED) {
      const int err = errno;
      close(fd);
      return IOError("mmap", path, err);
    }
  }
  close(fd);
  return std::unique_ptr<RandomAccessFile>(
      new PosixMappedFile(static_cast<const char*>(base),
                          static_cast<size_t>(size)));
}

PosixMappedFile::~PosixMappedFile() {
  if (base_ != nullptr) munmap(const_cast<char*>(base_), size_);
}

absl::Status PosixMappedFile::Read(uint64_t offset, size_t n,
                                   std::string_view* result,
                                   char* /*scratch*/) const {
  if (offset >= size_) {
    *result = std::string_view();
  } else {
    *result = std::string_view(base_ + offset,
                               std::min<uint64_t>(n, size_ - offset));
  }
  return absl::OkStatus();
}

PosixWritableFile::PosixWritableFile(std::string path, int fd)
    : path_(std::move(path)), fd_(fd), buffer_(new char[kBufferSize]) {}

PosixWritableFile::~PosixWritableFile() {
  if (fd_ >= 0) Close().IgnoreError();
}

absl::Status PosixWritableFile::CheckOpen(std::string_view operation) const {
  if (fd_ >= 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(ToAbsl(operation), " ", path_, ": file already closed"));
}

absl::Status PosixWritableFile::Append(std::string_view data) {
  FERRISDB_RETURN_IF_ERROR(CheckOpen("append"));
  if (data.size() <= kBufferSize - buffered_) {
    std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
    buffered_ += data.size();
    return absl::OkStatus();
  }
  FERRISDB_RETURN_IF_ERROR(FlushBuffer());
  if (data.size() < kBufferSize) {
    std::memcpy(buffer_.get(), data.data(), data.size());
    buffered_ = data.size();
    return absl::OkStatus();
  }
  // Copying a write at least as large as the buffer would only add a copy.
  size_t written = 0;
  return WriteFully(data.data(), data.size(), &written);
}

absl::Status PosixWritableFile::Flush() {
  FERRISDB_RETURN_IF_ERROR(CheckOpen("flush"));
  return FlushBuffer();
}

absl::Status PosixWritableFile::Sync() {
  FERRISDB_RETURN_IF_ERROR(CheckOpen("sync"));
  FERRISDB_RETURN_IF_ERROR(FlushBuffer());
  while (fdatasync(fd_) != 0) {
    if (errno != EINTR) return IOError("fdatasync", path_, errno);
  }
  return absl::OkStatus();
}

absl::Status PosixWritableFile::StartWriteback() {
  FERRISDB_RETURN_IF_ERROR(CheckOpen("start writeback"));
  FERRISDB_RETURN_IF_ERROR(FlushBuffer());
  if (written_ > writeback_started_) {
    // Only a hint: a file system that does not support it (EINVAL, ENOSYS)
    // or any other failure leaves the work to the next Sync.
    sync_file_range(fd_, static_cast<off_t>(writeback_started_),
                    static_cast<off_t>(written_ - writeback_started_),
                    SYNC_FILE_RANGE_WRITE);
    writeback_started_ = written_;
  }
  return absl::OkStatus();
}

absl::Status PosixWritableFile::Close() {
  FERRISDB_RETURN_IF_ERROR(CheckOpen("close"));
  absl::Status status = FlushBuffer();
  // No retry on EINTR: Linux releases the descriptor even then, and a retry
  // could close a descriptor another thread has just been given.
  if (close(fd_) != 0 && status.ok()) status = IOError("close", path_, errno);
  fd_ = -1;
  buffered_ = 0;
  return status;
}

absl::Status PosixWritableFile::WriteFully(const char* data, size_t n,
                                           size_t* written) {
  *written = 0;
  while (*written < n) {
    ssize_t r = write(fd_, data + *written, n - *written);
    if (r < 0) {
      if (errno == EINTR) continue;
      return IOError("write", path_, errno);
    }
    if (r == 0) {
      return absl::InternalError(
          absl::StrCat("write ", path_, ": no progress (write returned 0)"));
    }
    *written += static_cast<size_t>(r);
    written_ += static_cast<uint64_t>(r);
  }
  return absl::OkStatus();
}

absl::Status PosixWritableFile::FlushBuffer() {
  if (buffered_ == 0) return absl::OkStatus();
  size_t written = 0;
  absl::Status status = WriteFully(buffer_.get(), buffered_, &written);
  // Keep what did not reach the file at the front so a later Flush retries it.
  if (written < buffered_) {
    std::memmove(buffer_.get(), buffer_.get() + written, buffered_ - written);
  }
  buffered_ -= written;
  return status;
}

}  // namespace ferrisdb::internal
