// RecordingEnv: an Env that passes every call to a base Env and records each
// call that changes the file system, in the order the changes took effect:
// the trace a crash-state enumerator (testutil/crash_state_builder.h) replays
// to build what a disk could hold after a power loss at any point.
//
// What is recorded (FsOp::Kind), each only when the base call succeeded:
//   kCreateFile  NewWritableFile (which truncates an existing file: recorded
//                as a new file under that name), NewAppendableFile and
//                LockFile when the file did not exist;
//   kAppend      WritableFile::Append, with the bytes. The data is handed to
//                the operating system at once (base Append + base Flush), so
//                the trace never holds bytes still in a userspace buffer;
//   kSyncFile    WritableFile::Sync (fdatasync: the file's data and size);
//   kRename      RenameFile; kRemove RemoveFile; kTruncate TruncateFile;
//   kCreateDir   CreateDirIfMissing when the directory did not exist;
//   kRemoveDir   RemoveDir; kSyncDir SyncDir.
// Flush, StartWriteback and Close of a file are not recorded: they make
// nothing durable. Reads pass through unrecorded.
//
// Files are identified by a file id (an inode number of the model), so that
// appends and syncs through an open file object follow its renames. A file
// that existed before the env first saw it gets an id when first named.
//
// Paths are normalized as in FaultInjectionEnv (repeated and trailing '/'
// collapsed, no "." or ".." resolution); use one spelling per file.
//
// Thread-safe: mutating calls run under the env's mutex, so the trace order
// is the order in which the base Env applied them.
#ifndef FERRISDB_TESTS_TESTUTIL_RECORDING_ENV_H_
#define FERRISDB_TESTS_TESTUTIL_RECORDING_ENV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ferrisdb/env.h"

namespace ferrisdb::testing {

// One recorded file-system change.
struct FsOp {
  enum class Kind : uint8_t {
    kCreateFile,
    kAppend,
    kSyncFile,
    kRename,
    kRemove,
    kTruncate,
    kCreateDir,
    kRemoveDir,
    kSyncDir,
  };
  Kind kind = Kind::kCreateFile;
  // The file or directory; for kAppend/kSyncFile the file's name at the time.
  std::string path = {};
  // kRename: the destination (path is the source).
  std::string target = {};
  // The file the op is about (every kind but the directory ones); 0 for
  // directory ops.
  uint64_t file_id = 0;
  // kAppend: the bytes appended.
  std::string data = {};
  // kTruncate: the new size.
  uint64_t size = 0;
};

// "append 000005.log +37 B", "rename 000007.dbtmp -> CURRENT", ... (paths
// shown relative to root when under it).
std::string DescribeFsOp(const FsOp& op, const std::string& root);

// Normalized form of a path (see the file comment).
std::string NormalizeFsPath(const std::string& path);

class RecordingEnv final : public Env {
 public:
  // REQUIRES: base outlives this env.
  explicit RecordingEnv(Env* base = Env::Default());
  RecordingEnv(const RecordingEnv&) = delete;
  RecordingEnv& operator=(const RecordingEnv&) = delete;

  // The ops recorded so far, oldest first.
  std::vector<FsOp> Trace() const;
  // Number of ops recorded so far (the clock a crash point is expressed in:
  // "a crash after the first n ops").
  uint64_t op_count() const;

  // ---- Env ----
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewMappedRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  bool FileExists(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  absl::Status CreateDirIfMissing(const std::string& dir) override;
  absl::Status RemoveDir(const std::string& dir) override;
  bool IsDirectory(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override;
  uint64_t NowMicros() override;

 private:
  class RecordingWritableFile;

  // The id of the file now named path, allocating one if none is known.
  uint64_t FileIdLocked(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The current name of file id ("" if it has none).
  std::string NameOfLocked(uint64_t id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenWritable(
      const std::string& path, bool append);

  Env* const base_;  // Immutable after construction.

  mutable absl::Mutex mu_;
  std::vector<FsOp> trace_ ABSL_GUARDED_BY(mu_);
  // Normalized path -> id of the file it names.
  std::map<std::string, uint64_t> ids_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_RECORDING_ENV_H_
