// CrashStateBuilder: from a trace recorded by RecordingEnv, the states a disk
// could hold after a power loss at any point, in the manner of ALICE and
// CrashMonkey: choose a cut point, then an outcome for every piece of data and
// every directory operation that was not yet durable there, and materialize
// the result into a fresh directory.
//
// The file-system model (pessimistic POSIX, "ordered data" for file contents):
//
// A crash after the first `cut` ops of the trace. Before it, each op took
// effect in the page cache; what is durable is decided as follows.
//
// File data. Each file (model inode) has a synced length: its length at its
// last kSyncFile (fdatasync makes the data and the size durable). The bytes
// appended after it (the unsynced tail, a sequence of appends) survive as
//   - a prefix of the tail (kPrefix): nothing, a whole number of appends, or
//     an append torn at a byte, at a 512-byte sector or at a 4 KiB page
//     boundary of the file. This is what a journaling file system that
//     orders data before the size update (ext4 data=ordered, xfs, btrfs)
//     can leave; it is "must recover" territory;
//   - the whole tail's length filled with zeros (kZeroTail): the size update
//     reached the disk, the data did not (ext4 data=writeback, older xfs);
//     also "must recover";
//   - the whole tail's length filled with garbage (kGarbageTail): the size
//     update reached the disk and the blocks hold whatever was there before
//     (ext4 data=writeback after a crash); "must recover" too (a log's
//     checksums tell garbage from data, see docs/format/log.md);
//   - the whole tail with one earlier append replaced by zeros (kHole): a
//     later page reached the disk before an earlier one. No ordered-data
//     file system produces it; it is enumerated to check that FerrisDB then
//     never returns a wrong value, but DB::Open may fail.
// TruncateFile is treated as durable at once (FerrisDB does not truncate).
//
// Directory operations (create, rename, unlink, mkdir, rmdir) are made
// durable by a kSyncDir of the directory holding the entry (of both
// directories for a rename; renames across directories are not supported):
// at a kSyncDir every pending op of that directory becomes durable, in issue
// order. fsync of a file does not make its directory entry durable. At the
// crash, the pending (unsynced) ops persist as any subset closed under
// dependencies: an op depends on every earlier pending op that names the same
// entry (create/unlink/rename source or destination) or its parent
// directory. Equivalently: the file system may commit pending ops in any
// order that keeps the per-name order, and crash at any point of that order;
// so unrelated ops (the unlink of an old manifest and the create of a new
// log) reorder freely, while rename(tmp, CURRENT) never lands without the
// create of tmp. Persisted ops apply their effect as issued: a rename moves
// the file it moved then. A file whose directory does not survive is gone.
//
// Files appended before the crash keep their content whether or not their
// name survives; an unlink that does not persist leaves the file as it was
// (synced part + the chosen tail). A file created by NewWritableFile over an
// existing name is a new file that replaces the old one by a pending create.
//
// Not thread-safe (use one builder per thread).
#ifndef FERRISDB_TESTS_TESTUTIL_CRASH_STATE_BUILDER_H_
#define FERRISDB_TESTS_TESTUTIL_CRASH_STATE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"
#include "testutil/recording_env.h"

namespace ferrisdb::testing {

// A directory tree held in memory: what a disk holds (paths relative to the
// root of the tree, "/"-separated; the root itself is not listed).
struct FsImage {
  std::set<std::string> dirs;
  std::map<std::string, std::string> files;  // path -> contents

  // Reads the tree under root (files and directories, recursively).
  static absl::StatusOr<FsImage> Load(Env* env, const std::string& root);
  // Creates root (which must not exist yet) and writes the tree under it
  // (without syncing: the result is read by the same machine).
  absl::Status Materialize(Env* env, const std::string& root) const;
  // A 64-bit digest of the tree, to skip states already checked.
  uint64_t Digest() const;
  // "CURRENT(39) MANIFEST-000003(120) db/" and so on.
  std::string Describe() const;
};

// What survives of one file's unsynced tail (see the file comment).
struct TailOutcome {
  enum class Kind : uint8_t { kPrefix, kZeroTail, kGarbageTail, kHole };
  Kind kind = Kind::kPrefix;
  // kPrefix: bytes of the tail kept. kHole: index of the append (within the
  // tail) that reads as zeros. kGarbageTail: the seed of the garbage bytes.
  uint64_t value = 0;
  // Why this outcome was chosen: "drop", "2 appends", "torn@4096", ...
  std::string label;
};

// The state of the model at a cut point: what is durable and what is not.
class CutState {
 public:
  // A file with an unsynced tail.
  struct PendingData {
    uint64_t file_id;
    std::string name;  // last name (relative), for messages
    uint64_t synced_size;
    std::vector<uint64_t> append_ends;  // file offsets where tail appends end
    std::vector<TailOutcome> outcomes;  // filled by EnumerateOutcomes
  };
  // A directory op not yet made durable.
  struct PendingMeta {
    size_t trace_index;
    std::vector<size_t> depends_on;  // indices into pending_meta()
  };

  size_t cut() const { return cut_; }
  const std::vector<PendingData>& pending_data() const { return data_; }
  const std::vector<PendingMeta>& pending_meta() const { return meta_; }

 private:
  friend class CrashStateBuilder;
  struct Inode {
    std::string content;
    uint64_t synced = 0;
    std::vector<uint64_t> append_ends;  // after `synced`
  };
  size_t cut_ = 0;
  std::map<uint64_t, Inode> inodes_;
  std::map<std::string, uint64_t> durable_files_;  // relative path -> inode
  std::set<std::string> durable_dirs_;
  std::vector<PendingData> data_;
  std::vector<PendingMeta> meta_;
  std::vector<uint64_t> meta_inode_;  // per meta_: the file it acts on (0: a
                                      // directory op)
};

// One crash state: an outcome per pending file and a persisted flag per
// pending directory op of a CutState.
struct CrashChoice {
  std::vector<size_t> outcome;  // per pending_data(): index into outcomes
  std::vector<bool> persisted;  // per pending_meta()
  // True if some chosen outcome is kHole (no ordered-data file system gives
  // this state).
  bool beyond_ordered_fs = false;
};

// Bounds of the enumeration; the defaults are the long (full) form.
struct EnumerationLimits {
  // Byte-granular tears tried inside each append: 0 none, 1 the middle byte,
  // 3 first, middle and last byte.
  int byte_tears_per_append = 3;
  // Appends of at most this many bytes are torn at every byte instead.
  uint64_t every_byte_tear_up_to = 4096;
  // Sector (512 B) and page (4 KiB) aligned tears per append (the first ones
  // inside it; page boundaries are also sector boundaries and count once).
  int aligned_tears_per_append = 64;
  // Appends of a tail whose whole-append boundaries and tears are tried:
  // the first and last this many (all if the tail has no more than twice).
  int appends_per_tail = 1000;
  bool zero_tail = true;
  bool garbage_tail = true;
  bool holes = true;
  // Dependency-closed subsets of pending directory ops tried per cut.
  size_t metadata_subsets = 4096;
  // Crash states per cut; beyond it the product is sampled evenly, after the
  // states that vary one dimension from "nothing unsynced survives" and
  // "everything survives".
  size_t states_per_cut = 100000;
};

class CrashStateBuilder {
 public:
  // trace: from RecordingEnv; root: the directory the workload ran under
  // (every path of the trace must lie under it); initial: the tree under
  // root when recording started (all of it durable).
  CrashStateBuilder(std::vector<FsOp> trace, std::string root, FsImage initial);

  size_t trace_size() const { return trace_.size(); }
  const std::vector<FsOp>& trace() const { return trace_; }

  // Replays the first `cut` ops. REQUIRES: cut <= trace_size().
  absl::StatusOr<CutState> Replay(size_t cut) const;

  // The crash states of a cut point within limits (fills the outcomes of
  // state->pending_data()).
  std::vector<CrashChoice> Enumerate(CutState* state,
                                     const EnumerationLimits& limits) const;

  // One crash state of a cut point drawn at random; sets the outcomes of
  // state->pending_data() to the one drawn per file. Each file's tail: 30%
  // a whole number of its appends (none to all), 30% an append torn at a
  // random byte, sector or page boundary inside it, 15% zeros, 15% garbage,
  // 10% a hole (if it has 2 appends or more). Each pending directory op
  // persists with probability 1/2 if everything it depends on does (so the
  // subset is dependency-closed). `random`: uniform 64-bit values.
  CrashChoice Sample(CutState* state,
                     const std::function<uint64_t()>& random) const;

  // The disk after the crash described by choice.
  FsImage Build(const CutState& state, const CrashChoice& choice) const;

  // What was lost, torn and reordered, for a failure message.
  std::string Describe(const CutState& state, const CrashChoice& choice) const;

 private:
  // path relative to root_: "" for root_ itself, "/" if outside it.
  std::string Relative(const std::string& path) const;

  const std::vector<FsOp> trace_;
  const std::string root_;
  const FsImage initial_;
};

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_CRASH_STATE_BUILDER_H_
