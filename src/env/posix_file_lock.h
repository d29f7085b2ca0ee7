// Exclusive advisory file locks for PosixEnv::LockFile.
//
// fcntl(2) record locks exclude other processes only: a process may take the
// same lock twice, and closing ANY descriptor of the file releases all of the
// process's locks on it. So besides the fcntl lock we keep a process-wide
// table of locked files, keyed by (device, inode) so that different
// spellings of one path ("db/LOCK", "db//LOCK") are the same lock. Entries
// remember the pid that made them: a child made by fork(2) does not inherit
// fcntl locks, and it ignores the table entries it inherited.
//
// Because of the close-releases-all rule, code in the process must not open
// and close a lock file while it is locked (nothing in FerrisDB does).
#ifndef FERRISDB_ENV_POSIX_FILE_LOCK_H_
#define FERRISDB_ENV_POSIX_FILE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ferrisdb/env.h"

namespace ferrisdb::internal {

// Creates path if missing and locks it exclusively. kFailedPrecondition if
// another process or another caller in this process holds the lock; the lock
// is released when the returned object is destroyed. Thread-safe.
absl::StatusOr<std::unique_ptr<FileLock>> LockPosixFile(
    const std::string& path);

}  // namespace ferrisdb::internal

#endif  // FERRISDB_ENV_POSIX_FILE_LOCK_H_
