// Env: the file-system and clock abstraction through which all of FerrisDB's
// I/O goes. Env::Default() is the POSIX implementation; tests substitute an
// Env that injects faults or simulates a crash.
//
// Error convention for every method: a missing file is kNotFound, a
// permission problem kPermissionDenied, a full disk kResourceExhausted, and
// any other I/O failure kInternal; the message names the file and carries the
// operating system's error text.
//
// Thread-safety: Env methods are thread-safe. File objects require external
// synchronization unless a method says otherwise.
#ifndef FERRISDB_ENV_H_
#define FERRISDB_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ferrisdb {

// A file read from the beginning to the end.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;

  // Reads up to n bytes. *result points into scratch (or into memory owned by
  // the file) and holds fewer than n bytes only at the end of the file.
  // REQUIRES: scratch has room for n bytes.
  virtual absl::Status Read(size_t n, std::string_view* result,
                            char* scratch) = 0;

  // Skips n bytes; skipping past the end positions at the end.
  virtual absl::Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to n bytes starting at offset. *result holds fewer than n bytes
  // only when the file ends first. *result may point into scratch or into
  // memory owned by the file that lives as long as the file object.
  // REQUIRES: scratch has room for n bytes.
  virtual absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                            char* scratch) const = 0;

  // The whole file as one span of memory that stays valid, unchanged, as
  // long as this object lives (a read-only memory mapping); nullopt when the
  // file is read with system calls. Readers may then use the bytes in place
  // instead of calling Read.
  virtual std::optional<std::string_view> MappedContents() const {
    return std::nullopt;
  }
};

// A file written sequentially. Data passed to Append may be buffered in the
// process until Flush, Sync or Close.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  virtual absl::Status Append(std::string_view data) = 0;
  // Hands buffered data to the operating system (it survives a process crash,
  // not a power loss).
  virtual absl::Status Flush() = 0;
  // Makes every appended byte durable (fdatasync).
  virtual absl::Status Sync() = 0;
  // Flushes, then asks the operating system to start writing the file's
  // data to storage without waiting for it: a hint that keeps a later Sync
  // short. Promises no durability. The default does nothing.
  virtual absl::Status StartWriteback() { return Flush(); }
  // Flushes and closes; further calls are errors. The destructor closes a file
  // that was not closed, ignoring errors.
  virtual absl::Status Close() = 0;
};

// A held advisory lock on a file, released when the object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never destroyed.
  static Env* Default();

  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Like NewRandomAccessFile, but for a file that no one changes while it is
  // open (an SSTable): the Env may map it into memory (MappedContents), so
  // reads cost no system call and no copy. A mapped file that is truncated
  // or whose storage fails under the mapping raises SIGBUS on access. The
  // default opens it with NewRandomAccessFile.
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>>
  NewMappedRandomAccessFile(const std::string& path) {
    return NewRandomAccessFile(path);
  }
  // Creates path, truncating any existing file.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens path for appending, creating it if missing.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)). Call SyncDir afterwards
  // to make the rename durable.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;
  // Shrinks or extends path to size bytes.
  virtual absl::Status TruncateFile(const std::string& path, uint64_t size) = 0;

  // Creates dir if it does not exist. FailedPrecondition if path exists and is
  // not a directory.
  virtual absl::Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual absl::Status RemoveDir(const std::string& dir) = 0;
  // True if path exists and is a directory.
  virtual bool IsDirectory(const std::string& path) = 0;
  // Makes the creation, removal and renaming of entries of dir durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive advisory lock on path (creating the file). Fails with
  // FailedPrecondition if another process, or another caller in this
  // process, holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  // Microseconds since some fixed point in the past, for measuring intervals.
  virtual uint64_t NowMicros() = 0;
};

// Writes data to path (truncating) and, if sync, syncs the file.
absl::Status WriteStringToFile(Env* env, std::string_view data,
                               const std::string& path, bool sync);
// Reads the whole of path.
absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path);

}  // namespace ferrisdb

#endif  // FERRISDB_ENV_H_
