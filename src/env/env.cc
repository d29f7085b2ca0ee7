// The free helpers declared at the end of include/ferrisdb/env.h.
#include "ferrisdb/env.h"

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "util/status_macros.h"

namespace ferrisdb {

// On failure path may be left holding a prefix of data: callers that need
// all-or-nothing write a temporary file and rename it into place.
absl::Status WriteStringToFile(Env* env, std::string_view data,
                               const std::string& path, bool sync) {
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env->NewWritableFile(path));
  FERRISDB_RETURN_IF_ERROR(file->Append(data));
  if (sync) FERRISDB_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

absl::StatusOr<std::string> ReadFileToString(Env* env,
                                             const std::string& path) {
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file,
                            env->NewSequentialFile(path));
  constexpr size_t kChunk = 64 * 1024;
  std::unique_ptr<char[]> scratch(new char[kChunk]);
  std::string contents;
  while (true) {
    std::string_view chunk;
    FERRISDB_RETURN_IF_ERROR(file->Read(kChunk, &chunk, scratch.get()));
    contents.append(chunk.data(), chunk.size());
    if (chunk.size() < kChunk) return contents;
  }
}

}  // namespace ferrisdb
