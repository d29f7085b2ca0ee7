// CompactionPicker: decides what to compact next in a leveled tree.
//
// Each level has a score: level 0 its file count over
// Options::level0_file_num_compaction_trigger, level L >= 1 its bytes over
// MaxBytesForLevel(L). The level with the highest score >= 1 is compacted
// into the next one: all of level 0 at once, or one file of a deeper level:
// the one that overlaps the fewest bytes of the next level per byte of its
// own, so each compaction rewrites as little as it can per byte it moves
// down (ties go round-robin through the key space).
//
// REQUIRES: external synchronization (the DB calls it under its mutex).
#ifndef FERRISDB_VERSION_COMPACTION_PICKER_H_
#define FERRISDB_VERSION_COMPACTION_PICKER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ferrisdb/options.h"
#include "version/compaction.h"
#include "version/version_set.h"

namespace ferrisdb {

class CompactionPicker {
 public:
  explicit CompactionPicker(const Options& options);

  // Target size of level >= 1.
  uint64_t MaxBytesForLevel(int level) const;

  // The score of level (0 .. kNumLevels - 2; the last level has none).
  double Score(const Version& version, int level) const;
  bool NeedsCompaction(const Version& version) const;

  // The next compaction by score, or nullptr if no level needs one.
  std::unique_ptr<Compaction> PickCompaction(
      std::shared_ptr<const Version> version);

  // A compaction of the files of `level` overlapping the user-key range
  // (nullopt: unbounded) into level + 1, or nullptr if there are none.
  // REQUIRES: level < kNumLevels - 1.
  std::unique_ptr<Compaction> PickRangeCompaction(
      std::shared_ptr<const Version> version, int level,
      std::optional<std::string_view> begin,
      std::optional<std::string_view> end);

  // Estimated bytes compaction must still rewrite to bring every level back
  // under its target (drives the pending-bytes write stall).
  uint64_t EstimatePendingCompactionBytes(const Version& version) const;

 private:
  // Fills in inputs(1) and the grandparents from inputs(0).
  // Also moves the level's compact pointer past inputs(0).
  void SetupOtherInputs(Compaction* c);
  // The index in version.files(level) of the file to compact (see above).
  // REQUIRES: 1 <= level < kNumLevels - 1, the level has files.
  size_t PickFileToCompact(const Version& version, int level) const;

  const int level0_trigger_;
  const uint64_t level_base_bytes_;
  const double level_multiplier_;
  const uint64_t target_file_size_;
  // Per level, the largest internal key of its last compaction: ties in
  // PickFileToCompact go to the first file after it.
  std::array<std::string, kNumLevels> compact_pointer_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_COMPACTION_PICKER_H_
