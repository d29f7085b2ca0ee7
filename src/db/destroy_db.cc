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
  absl::StatusOr<std::vector<std::string>> children = env->GetChildren(path);
  if (absl::IsNotFound(children.status())) return absl::OkStatus();
  if (!children.ok()) return children.status();

  absl::Status result;
  {
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
    for (const std::string& name : *children) {
      std::optional<ParsedFileName> parsed = ParseFileName(name);
      if (!parsed.has_value() || parsed->type == FileType::kLock) continue;
      absl::Status s = env->RemoveFile(path + "/" + name);
      if (result.ok()) result = s;
    }
  }
  absl::Status s = env->RemoveFile(LockFileName(path));
  if (result.ok() && !absl::IsNotFound(s)) result = s;
  // Leaves the directory in place if it holds files that are not ours.
  if (env->GetChildren(path).value_or(std::vector<std::string>{"x"}).empty()) {
    s = env->RemoveDir(path);
    if (result.ok()) result = s;
  }
  return result;
}

}  // namespace ferrisdb
