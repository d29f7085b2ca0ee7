// FaultInjectionEnv: an Env for crash and error tests. It wraps a real Env
// (normally Env::Default()) and works on real files, remembering what a
// power loss could take away, and it can fail any call on demand.
//
// What it tracks, per file written through it (keyed by path; the state
// follows RenameFile and is forgotten by RemoveFile):
//   - size: bytes appended so far;
//   - synced size: size at the last successful Sync. A file opened with
//     NewAppendableFile starts with synced size = its existing size (or keeps
//     its tracked state if it was written through this env before).
// and, per directory, the entries created (new files) or renamed into place
// since the last successful SyncDir of that directory.
//
// Crash testing, typically:
//
//   FaultInjectionEnv env;                 // options.env = &env
//   ... open a DB, write ...
//   env.SetFilesystemActive(false);        // the machine "stops" here
//   db.reset();                            // its writes now fail harmlessly
//   FERRISDB_ASSERT_OK(env.SimulatePowerLoss({.seed = seed}));
//   env.SetFilesystemActive(true);         // "reboot"
//   ... reopen the DB and check what survived ...
//
// Append on a file from this env hands the data to the operating system at
// once (base Append + base Flush), so nothing it accepted sits in a userspace
// buffer of the base Env, and nothing reaches the disk after
// SetFilesystemActive(false) returns: mutating calls hold the env's mutex
// across the base call.
//
// Error injection: every call of the env and of its files is counted (see
// FaultOp for the list; FileExists, IsDirectory and NowMicros cannot fail and
// are not counted). FailCall and FailWhen make chosen calls fail with a given
// status and no effect (see SetShortWriteOnFault for the one exception).
//
// Paths are compared as strings after collapsing repeated and trailing '/';
// use one spelling per file ("." and ".." components and symlinks are not
// resolved). A file's directory is the part of its path before the last '/'.
//
// Thread-safe.
#ifndef FERRISDB_TESTS_TESTUTIL_FAULT_INJECTION_ENV_H_
#define FERRISDB_TESTS_TESTUTIL_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ferrisdb/env.h"

namespace ferrisdb::testing {

// The calls FaultInjectionEnv counts and can fail.
enum class FaultOp {
  kNewSequentialFile,
  kNewRandomAccessFile,
  kNewWritableFile,
  kNewAppendableFile,
  kRead,  // SequentialFile::Read and RandomAccessFile::Read.
  kSkip,  // SequentialFile::Skip.
  kAppend,
  kFlush,
  kSync,
  kClose,  // WritableFile::Close.
  kGetChildren,
  kGetFileSize,
  kRemoveFile,
  kRenameFile,
  kTruncateFile,
  kCreateDir,  // CreateDirIfMissing.
  kRemoveDir,
  kSyncDir,
  kLockFile,
};

// "append", "sync", ... for messages.
std::string_view FaultOpName(FaultOp op);

// True for the calls that change the file system (writes, syncs, creates,
// renames, removals...); reads, listings and size queries are not.
bool IsMutatingOp(FaultOp op);

// What a FailWhen predicate sees of a call. The views are valid only during
// the predicate call.
struct FaultContext {
  FaultOp op;
  // The file or directory the call is about; for a file object, the file's
  // current name (it follows renames); for kRenameFile, the source.
  std::string_view path;
  // kRenameFile: the destination. Empty otherwise.
  std::string_view target;
  // call_count() including this call.
  uint64_t call_number;
};

// What SimulatePowerLoss does to the bytes of a file after its synced size.
enum class UnsyncedDataMode {
  kDrop,         // Truncate the file to its synced size.
  kKeepPrefix,   // Keep a random prefix of the unsynced bytes (see
                 // PowerLossOptions::keep_prefix_alignment), drop the rest.
  kZeroFill,     // Keep the size; the unsynced bytes become zeros.
  kGarbageFill,  // Keep the size; the unsynced bytes become random bytes.
};

struct PowerLossOptions {
  UnsyncedDataMode unsynced_data = UnsyncedDataMode::kDrop;
  // kKeepPrefix: the file is cut at its synced size, at its current size, or
  // at a multiple of this many bytes from the start of the file in between,
  // each cut point equally likely. 1: any byte; 512: sectors; 4096: pages.
  // REQUIRES: >= 1.
  uint64_t keep_prefix_alignment = 1;
  // Undo the directory entries not made durable by SyncDir, newest first:
  //   - a file created since its directory was synced is removed;
  //   - a rename(from, to) not yet synced is reversed: `to` is renamed back
  //     to `from` (unless `from` exists again), and if `to` existed before
  //     the rename, its content as of the rename (its synced prefix if it
  //     was tracked) is written back to `to`. The rename is recorded against
  //     the directory of `to`: syncing that directory makes it durable.
  // RemoveFile, directory creation/removal and LockFile's creation of the
  // lock file count as durable at once and are never undone.
  bool undo_unsynced_dir_entries = true;
  // Makes the random choices of kKeepPrefix and kGarbageFill reproducible.
  uint32_t seed = 0;
};

class FaultInjectionEnv final : public Env {
 public:
  // REQUIRES: base outlives this env.
  explicit FaultInjectionEnv(Env* base = Env::Default());
  // REQUIRES: every file object from this env has been destroyed.
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  Env* base() const { return base_; }

  // ---- Env ----
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
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

  // ---- Crash simulation ----

  // While inactive (a crashed machine), every mutating call — Append, Flush,
  // Sync and Close of a writable file, NewWritableFile, NewAppendableFile,
  // RemoveFile, RenameFile, TruncateFile, CreateDirIfMissing, RemoveDir,
  // SyncDir, LockFile — fails with kUnavailable ("simulated crash: file
  // system inactive: ...") and has no effect on disk. Reads work. Active by
  // default.
  void SetFilesystemActive(bool active);
  bool IsFilesystemActive() const;

  // Applies a power loss to the real files: for every tracked file the bytes
  // after its synced size are handled per options.unsynced_data, then the
  // unsynced directory entries are undone if
  // options.undo_unsynced_dir_entries. Afterwards tracking starts afresh
  // (what is on disk is durable) and file objects opened before the call are
  // dead: their mutating calls fail with kUnavailable. Works while the file
  // system is inactive and leaves the active flag as it is. Error: the first
  // failure of the base Env (the power loss is then partly applied).
  absl::Status SimulatePowerLoss(const PowerLossOptions& options = {});

  // Treats everything on disk as durable: forgets unsynced data and unsynced
  // directory entries. Files still open stay tracked (synced size = size) so
  // that a DB reopened after a simulated crash can be crashed again.
  void ResetState();

  // Paths of tracked files whose size exceeds their synced size, sorted.
  std::vector<std::string> FilesWithUnsyncedData() const;
  // Paths created or renamed into place since their directory was last
  // synced, oldest first.
  std::vector<std::string> UnsyncedDirEntries() const;
  // Tracked size and synced size of path; nullopt if untracked.
  struct TrackedSize {
    uint64_t size;
    uint64_t synced_size;
  };
  std::optional<TrackedSize> GetTrackedSize(const std::string& path) const;

  // ---- Error injection ----

  // Calls counted since construction (including calls that failed).
  uint64_t call_count() const;
  // Calls failed by FailCall/FailWhen since construction.
  uint64_t injected_failure_count() const;

  // The n-th counted call from now (n = 1: the next call) fails with error
  // and without effect; if persistent, so does every later call.
  // REQUIRES: n >= 1, !error.ok().
  void FailCall(uint64_t n, absl::Status error, bool persistent);
  // Calls for which predicate returns true fail with error and without
  // effect: only the first such call unless persistent, in which case every
  // matching call fails until ClearFaults. The predicate runs with the env's
  // mutex held: it must not call this env. Several faults may be armed at
  // once; the first armed fault that matches decides.
  // REQUIRES: !error.ok().
  void FailWhen(std::function<bool(const FaultContext&)> predicate,
                absl::Status error, bool persistent);
  // Disarms every fault from FailCall and FailWhen.
  void ClearFaults();
  // If enabled, an Append failed by an injected fault first appends (and
  // hands to the operating system) the first half of its data, data.size()/2
  // bytes, like a write cut short by a full disk. Off by default.
  void SetShortWriteOnFault(bool enabled);

 private:
  struct FileState;
  struct DirEntryOp;
  struct Fault;
  class SequentialFileWrapper;
  class RandomAccessFileWrapper;
  class WritableFileWrapper;

  // Counts a call and decides whether it may go ahead: kUnavailable for a
  // mutating call while inactive, the injected error if a fault matches
  // (*injected is then set to true, if injected is not null).
  absl::Status BeginCallLocked(FaultOp op, std::string_view path,
                               std::string_view target = {},
                               bool* injected = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens a writable file; append selects NewAppendableFile.
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenWritable(
      const std::string& path, bool append);
  absl::Status DamageUnsyncedDataLocked(const std::string& path,
                                        uint64_t synced_size,
                                        const PowerLossOptions& options,
                                        uint64_t* rng_state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UndoDirEntryLocked(const DirEntryOp& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  Env* const base_;

  // Protected by mu_. Mutating base calls are made with mu_ held.
  mutable absl::Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = true;
  // Bumped by SimulatePowerLoss; file objects from an older epoch are dead.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Normalized path -> state of the file it names (shared with the open
  // writable file objects of that file).
  std::map<std::string, std::shared_ptr<FileState>> files_ ABSL_GUARDED_BY(mu_);
  // Directory entries not yet made durable, oldest first.
  std::vector<DirEntryOp> dir_ops_ ABSL_GUARDED_BY(mu_);
  std::vector<Fault> faults_ ABSL_GUARDED_BY(mu_);
  uint64_t call_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t injected_failure_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool short_write_on_fault_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_FAULT_INJECTION_ENV_H_
