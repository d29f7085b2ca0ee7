#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "ferrisdb/db.h"
#include "ferrisdb/env.h"

namespace ferrisdb {

absl::Status DestroyDB(const std::string& path, const Options& options) {
  if (path.empty()) {
    return absl::InvalidArgumentError("DestroyDB: the path is empty");
  }
  Env* env = options.env != nullptr ? options.env : Env::Default();
  if (!env->IsDirectory(path)) {
    return env->FileExists(path)
               ? absl::InvalidArgumentError(absl::StrFormat(
                     "DestroyDB %s: the path is not a directory", path))
               : absl::OkStatus();  // nothing to destroy
  }
  // Refuses to destroy a database that is open.
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      env->LockFile(LockFileName(path));
  if (!lock.ok()) {
    return absl::Status(
        lock.status().code(),
        absl::StrFormat("DestroyDB %s: cannot lock the directory (is the "
                        "database open?): %s",
                        path, lock.status().message()));
  }
  // Listed under the lock, so no DB can be creating files meanwhile.
  absl::StatusOr<std::vector<std::string>> children = env->GetChildren(path);
  if (!children.ok()) return children.status();
  absl::Status result;
  for (const std::string& name : *children) {
    std::optional<ParsedFileName> parsed = ParseFileName(name);
    if (!parsed.has_value() || parsed->type == FileType::kLock) continue;
    absl::Status s = env->RemoveFile(path + "/" + name);
    if (result.ok()) result = s;
  }
  // Unlinked while still held: an Open racing with us then either fails to
  // lock or creates a fresh LOCK file after we are done.
  absl::Status s = env->RemoveFile(LockFileName(path));
  if (result.ok() && !absl::IsNotFound(s)) result = s;
  lock->reset();
  // Leaves the directory in place if it holds files that are not ours.
  if (env->GetChildren(path).value_or(std::vector<std::string>{"x"}).empty()) {
    s = env->RemoveDir(path);
    if (result.ok()) result = s;
  }
  return result;
}

}  // namespace ferrisdb
