// Mapping of a failed system call's errno to an absl::Status, following the
// error convention of include/ferrisdb/env.h.
#ifndef FERRISDB_ENV_IO_ERROR_H_
#define FERRISDB_ENV_IO_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ferrisdb::internal {

// The operating system's text for err ("No such file or directory").
// Thread-safe.
std::string ErrnoText(int err);

// Status for a system call that failed with err. The message is
// "<operation> <subject>: <ErrnoText(err)>", e.g.
// "open /x/000005.log: No such file or directory". The code is
//   ENOENT                -> kNotFound
//   EACCES, EPERM, EROFS  -> kPermissionDenied
//   ENOSPC, EDQUOT        -> kResourceExhausted
//   anything else         -> kInternal.
// subject is normally a path; for two-path calls use "<from> to <to>".
absl::Status IOError(std::string_view operation, std::string_view subject,
                     int err);

}  // namespace ferrisdb::internal

#endif  // FERRISDB_ENV_IO_ERROR_H_
