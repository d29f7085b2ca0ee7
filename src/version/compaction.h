// Compaction: one unit of compaction work, picked by CompactionPicker: a set
// of files of one level merged with the files of the next level they overlap,
// written as new files of that next level.
//
// The DB runs a Compaction on its compaction thread without holding its
// mutex; the input version stays pinned (its files are not deleted) for as
// long as the Compaction lives.
//
// REQUIRES: external synchronization (one thread uses a Compaction).
#ifndef FERRISDB_VERSION_COMPACTION_H_
#define FERRISDB_VERSION_COMPACTION_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "version/version_edit.h"
#include "version/version_set.h"

namespace ferrisdb {

class Compaction {
 public:
  // The level whose files are pushed down, and the level they land in.
  int level() const { return level_; }
  int output_level() const { return level_ + 1; }

  // which == 0: the picked files of level(); which == 1: the files of
  // output_level() they overlap.
  const Version::FileList& inputs(int which) const { return inputs_[which]; }
  // Files of output_level() + 1 overlapping the inputs (bound the overlap of
  // each output file, see ShouldStopBefore).
  const Version::FileList& grandparents() const { return grandparents_; }
  const Version& input_version() const { return *input_version_; }

  // Size at which an output file is ended.
  uint64_t max_output_file_size() const { return max_output_file_size_; }
  // Asked for by CompactRange rather than picked by score.
  bool is_manual() const { return is_manual_; }

  // True if the compaction is a single file that can move to the next level
  // unchanged: nothing to merge with, and little grandparent overlap.
  bool IsTrivialMove() const;

  // Adds the deletion of every input file to edit.
  void AddInputDeletions(VersionEdit* edit) const;

  // True if no level below output_level() can hold user_key, so a deletion
  // of it has nothing left to hide. REQUIRES: successive calls pass
  // ascending user keys.
  bool IsBaseLevelForKey(std::string_view user_key);

  // True if the current output file should end before internal_key because
  // it already overlaps too many grandparent bytes. REQUIRES: successive
  // calls pass ascending keys.
  bool ShouldStopBefore(std::string_view internal_key);

  // Forgets the overlap counted by ShouldStopBefore: the caller ended the
  // output file and starts a new one.
  void StartNewOutput() { grandparent_overlap_bytes_ = 0; }

 private:
  friend class CompactionPicker;
  Compaction(std::shared_ptr<const Version> version, int level,
             uint64_t max_output_file_size, bool is_manual);

  const std::shared_ptr<const Version> input_version_;
  const int level_;
  const uint64_t max_output_file_size_;
  // Grandparent bytes an output file (or a trivial move) may overlap.
  const uint64_t max_grandparent_overlap_bytes_;
  const bool is_manual_;
  std::array<Version::FileList, 2> inputs_;
  Version::FileList grandparents_;

  // State of ShouldStopBefore.
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t grandparent_overlap_bytes_ = 0;

  // State of IsBaseLevelForKey: per level, the first file that may still
  // hold a key >= the last one asked about.
  std::array<size_t, kNumLevels> level_ptrs_{};
};

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_COMPACTION_H_
