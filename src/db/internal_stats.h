// InternalStats: what the DB counts about its own work, always on (unlike
// the optional user-supplied Statistics): per-level compaction I/O, user and
// log bytes for write amplification, and time writers spent stalled. Shown
// by the "ferrisdb.stats" property.
//
// REQUIRES: external synchronization (the DB's mutex).
#ifndef FERRISDB_DB_INTERNAL_STATS_H_
#define FERRISDB_DB_INTERNAL_STATS_H_

#include <array>
#include <cstdint>
#include <string>

#include "version/compaction_picker.h"
#include "version/version_edit_format.h"
#include "version/version_set.h"

namespace ferrisdb {

// Work that wrote into one level: flushes for level 0, compactions (and
// trivial moves) from the level above for the others.
struct LevelWriteStats {
  uint64_t count = 0;          // flushes or compactions
  uint64_t trivial_moves = 0;  // files moved down unchanged
  uint64_t bytes_read = 0;     // input bytes (0 for flushes)
  uint64_t bytes_written = 0;  // bytes of the tables written
  uint64_t micros = 0;
};

struct InternalStats {
  std::array<LevelWriteStats, kNumLevels> levels;
  uint64_t user_bytes = 0;  // bytes of the write batches users wrote
  uint64_t wal_bytes = 0;   // bytes appended to write-ahead logs
  uint64_t stall_micros = 0;
  uint64_t slowdowns = 0;  // writes delayed by a slowdown
  uint64_t stops = 0;      // writes that waited at a hard limit

  // Bytes written to storage (log + tables) per byte of user data; 0
  // before any user write.
  double WriteAmplification() const;

  // The text of "ferrisdb.stats": a table of the levels of `version` with
  // their files, sizes and scores and the work written into each, then the
  // totals.
  std::string Format(const Version& version,
                     const CompactionPicker& picker) const;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_INTERNAL_STATS_H_
