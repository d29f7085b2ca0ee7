// Version and VersionSet: which table files are live, per level, and the
// MANIFEST that records it durably (docs/format/manifest.md).
//
// A Version is an immutable snapshot of the live files, shared by readers
// that pinned it. The VersionSet owns the current version and the manifest;
// LogAndApply makes an edit durable (manifest append + sync) before it
// becomes current, so a file a version drops may be deleted only after
// LogAndApply returned.
#ifndef FERRISDB_VERSION_VERSION_SET_H_
#define FERRISDB_VERSION_VERSION_SET_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/env.h"
#include "version/version_edit.h"
#include "version/version_edit_format.h"
#include "wal/log_writer.h"

namespace ferrisdb {

class Version {
 public:
  using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

  // Level 0: ordered by file number, oldest first (files may overlap).
  // Other levels: ordered by smallest key, non-overlapping.
  const FileList& files(int level) const { return files_[level]; }
  size_t NumFiles() const;
  // Sum of the file sizes of one level.
  uint64_t NumLevelBytes(int level) const;

  // REQUIRES: level >= 1. Index of the first file of the level whose largest
  // key is >= internal_key (files(level).size() if none).
  size_t FindFile(int level, std::string_view internal_key) const;

  // The files of `level` whose user-key range intersects [smallest,
  // largest]; nullopt means unbounded on that side. For level 0 the range
  // grows to take in every file overlapping a file already taken, so the
  // result never splits the versions of one user key across the cut.
  FileList GetOverlappingFiles(
      int level, std::optional<std::string_view> smallest_user_key,
      std::optional<std::string_view> largest_user_key) const;

  // One line per non-empty level: "L1: 000012[a..f] 000015[g..k]".
  std::string DebugString() const;

 private:
  friend class VersionSet;
  std::array<FileList, kNumLevels> files_;
};

// REQUIRES: external synchronization (the DB serializes all calls; readers
// only use the Versions it hands out).
class VersionSet {
 public:
  // A new manifest is started when the current one has grown to
  // max_manifest_file_size bytes (see Options::max_manifest_file_size).
  VersionSet(std::string dbname, Env* env,
             uint64_t max_manifest_file_size = uint64_t{64} << 20);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;

  // True if the directory has a CURRENT file (holds a database).
  bool DatabaseExists() const;

  // Loads the state named by CURRENT. DataLoss naming the file (and offset)
  // if CURRENT or the manifest is damaged; FailedPrecondition if the
  // manifest was written by a newer format.
  absl::Status Recover();

  // Makes edit durable and current: on the first call after Recover (or for
  // a new database), and whenever the manifest has reached
  // max_manifest_file_size, it starts a new manifest holding a snapshot of
  // the whole state and points CURRENT at it; other calls append. Fills in the log
  // number, next file number and last sequence the edit leaves unset.
  // On error the edit may or may not have become durable (it shows after a
  // reopen or not) and the current version is unchanged: the caller must not
  // delete any file the edit names or drops until a reopen has settled it.
  absl::Status LogAndApply(VersionEdit* edit);

  std::shared_ptr<const Version> current() const { return current_; }

  // Adds the number of every table some version still in use (the current
  // one or one a reader or compaction holds) refers to.
  void AddLiveFiles(std::set<uint64_t>* live);

  uint64_t NewFileNumber() { return next_file_number_++; }
  // Makes sure number is never handed out (found on disk during recovery).
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }
  uint64_t next_file_number() const { return next_file_number_; }
  uint64_t log_number() const { return log_number_; }
  SequenceNumber last_sequence() const { return last_sequence_; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  // The manifest in use (0 before the first LogAndApply).
  uint64_t manifest_number() const { return manifest_number_; }
  // Manifest named by CURRENT when Recover ran (0 if none): obsolete once a
  // new manifest is in place.
  uint64_t recovered_manifest_number() const {
    return recovered_manifest_number_;
  }

 private:
  // Applies edit to base, giving the next version. DataLoss if the edit
  // deletes a file that is not there or adds one twice.
  static absl::Status Apply(const Version& base, const VersionEdit& edit,
                            Version* result);
  absl::Status WriteSnapshot(LogWriter* writer) const;
  absl::Status StartNewManifest();
  // Points CURRENT at the manifest; *renamed tells whether CURRENT was
  // replaced (possibly not yet durably) even when an error is returned.
  absl::Status SetCurrentFile(uint64_t manifest_number, bool* renamed);
  void InstallVersion(Version version);

  const std::string dbname_;
  Env* const env_;
  const uint64_t max_manifest_file_size_;

  std::shared_ptr<const Version> current_;
  // Every version made current; pruned of the expired ones by AddLiveFiles.
  std::vector<std::weak_ptr<const Version>> versions_in_use_;
  uint64_t next_file_number_ = 2;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint64_t manifest_number_ = 0;
  uint64_t recovered_manifest_number_ = 0;
  std::unique_ptr<LogWriter> manifest_;
};

// CURRENT's content for manifest_number (see manifest.md), and its parser.
std::string EncodeCurrentFile(uint64_t manifest_number);
absl::StatusOr<uint64_t> DecodeCurrentFile(std::string_view content);

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_VERSION_SET_H_
