// PosixEnv: Env::Default(), the Env of every FerrisDB on a POSIX system.
// Files: posix_file.h; locks: posix_file_lock.h; errno mapping: io_error.h.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "env/io_error.h"
#include "env/posix_file.h"
#include "env/posix_file_lock.h"
#include "ferrisdb/env.h"

namespace ferrisdb {
namespace {

using internal::IOError;

// open(2) retried on EINTR; every descriptor is close-on-exec so that a
// fork+exec elsewhere in the process does not leak files (or locks).
int OpenRetrying(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    int fd = OpenRetrying(path, O_RDONLY);
    if (fd < 0) return IOError("open", path, errno);
    return std::unique_ptr<SequentialFile>(
        new internal::PosixSequentialFile(path, fd));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    int fd = OpenRetrying(path, O_RDONLY);
    if (fd < 0) return IOError("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(
        new internal::PosixRandomAccessFile(path, fd));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedRandomAccessFile(
      const std::string& path) override {
    int fd = OpenRetrying(path, O_RDONLY);
    if (fd < 0) return IOError("open", path, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      const int err = errno;
      close(fd);
      return IOError("fstat", path, err);
    }
    return internal::PosixMappedFile::Open(path, fd,
                                           static_cast<uint64_t>(st.st_size));
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return OpenWritable(path, O_WRONLY | O_CREAT | O_TRUNC);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return OpenWritable(path, O_WRONLY | O_CREAT | O_APPEND);
  }

  bool FileExists(const std::string& path) override {
    return access(path.c_str(), F_OK) == 0;
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return IOError("opendir", dir, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;  // readdir returns nullptr both at the end and on error.
      const struct dirent* entry = readdir(d);
      if (entry == nullptr) {
        int err = errno;
        closedir(d);
        if (err != 0) return IOError("readdir", dir, err);
        return names;
      }
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return IOError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return IOError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) {
      return IOError("rename", absl::StrCat(from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    int r;
    do {
      r = truncate(path.c_str(), static_cast<off_t>(size));
    } while (r != 0 && errno == EINTR);
    if (r != 0) return IOError("truncate", path, errno);
    return absl::OkStatus();
  }

  absl::Status CreateDirIfMissing(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) == 0) return absl::OkStatus();
    int err = errno;
    if (err != EEXIST) return IOError("mkdir", dir, err);
    if (IsDirectory(dir)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("mkdir ", dir, ": exists and is not a directory"));
  }

  absl::Status RemoveDir(const std::string& dir) override {
    if (rmdir(dir.c_str()) != 0) return IOError("rmdir", dir, errno);
    return absl::OkStatus();
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  absl::Status SyncDir(const std::string& dir) override {
    int fd = OpenRetrying(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return IOError("open", dir, errno);
    absl::Status status;
    while (fsync(fd) != 0) {
      if (errno != EINTR) {
        status = IOError("fsync", dir, errno);
        break;
      }
    }
    close(fd);
    return status;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    return internal::LockPosixFile(path);
  }

  uint64_t NowMicros() override {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 +
           static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }

 private:
  static absl::StatusOr<std::unique_ptr<WritableFile>> OpenWritable(
      const std::string& path, int flags) {
    int fd = OpenRetrying(path, flags, 0644);
    if (fd < 0) return IOError("open", path, errno);
    return std::unique_ptr<WritableFile>(
        new internal::PosixWritableFile(path, fd));
  }
};

}  // namespace

Env* Env::Default() {
  // Leaked on purpose: DB objects destroyed during static destruction may
  // still use it.
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace ferrisdb
