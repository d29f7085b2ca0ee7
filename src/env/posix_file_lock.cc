#include "env/posix_file_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "env/io_error.h"

namespace ferrisdb::internal {
namespace {

struct FileId {
  dev_t dev;
  ino_t ino;

  bool operator==(const FileId& other) const {
    return dev == other.dev && ino == other.ino;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FileId& id) {
    return H::combine(std::move(h), id.dev, id.ino);
  }
};

// The files this process holds locks on. Never destroyed, so that locks
// released during static destruction still find it.
class LockTable {
 public:
  static LockTable* Get() {
    static LockTable* const table = new LockTable();
    return table;
  }

  absl::Mutex* mu() ABSL_LOCK_RETURNED(mu_) { return &mu_; }

  bool HeldLocked(const FileId& id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = holders_.find(id);
    return it != holders_.end() && it->second == getpid();
  }
  void InsertLocked(const FileId& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    holders_[id] = getpid();
  }
  void Erase(const FileId& id) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = holders_.find(id);
    if (it != holders_.end() && it->second == getpid()) holders_.erase(it);
  }

 private:
  absl::Mutex mu_;
  // File -> pid of the process that locked it (see the header on fork).
  absl::flat_hash_map<FileId, pid_t> holders_ ABSL_GUARDED_BY(mu_);
};

absl::Status AlreadyHeld(const std::string& path, int err) {
  std::string message = absl::StrCat(
      "lock ", path, ": already held by another process or DB instance");
  if (err != 0) absl::StrAppend(&message, ": ", ErrnoText(err));
  return absl::FailedPreconditionError(message);
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, FileId id) : fd_(fd), id_(id) {}
  ~PosixFileLock() override {
    struct flock unlock = {};
    unlock.l_type = F_UNLCK;
    unlock.l_whence = SEEK_SET;
    fcntl(fd_, F_SETLK, &unlock);
    close(fd_);
    // Only now: until the descriptor is closed, another LockFile in this
    // process must not open (and later close) the file.
    LockTable::Get()->Erase(id_);
  }
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  const int fd_;
  const FileId id_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FileLock>> LockPosixFile(
    const std::string& path) {
  LockTable* table = LockTable::Get();
  // Held across the whole sequence so that two callers in this process
  // cannot both pass the table check.
  absl::MutexLock lock(table->mu());
  // Check before opening: if this process already holds the lock, opening
  // and closing another descriptor would silently release it.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 &&
      table->HeldLocked(FileId{st.st_dev, st.st_ino})) {
    return AlreadyHeld(path, 0);
  }
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IOError("open", path, errno);
  if (fstat(fd, &st) != 0) {
    absl::Status status = IOError("stat", path, errno);
    close(fd);
    return status;
  }
  FileId id{st.st_dev, st.st_ino};
  struct flock request = {};
  request.l_type = F_WRLCK;
  request.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file.
  if (fcntl(fd, F_SETLK, &request) != 0) {
    int err = errno;
    close(fd);
    if (err == EACCES || err == EAGAIN) return AlreadyHeld(path, err);
    return IOError("lock", path, err);
  }
  table->InsertLocked(id);
  return std::unique_ptr<FileLock>(new PosixFileLock(fd, id));
}

}  // namespace ferrisdb::internal
