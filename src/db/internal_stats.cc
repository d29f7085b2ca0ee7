#include "db/internal_stats.h"

#include "absl/strings/str_format.h"

namespace ferrisdb {
namespace {

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / 1048576.0; }

}  // namespace

double InternalStats::WriteAmplification() const {
  if (user_bytes == 0) return 0;
  uint64_t written = wal_bytes;
  for (const LevelWriteStats& l : levels) written += l.bytes_written;
  return static_cast<double>(written) / static_cast<double>(user_bytes);
}

std::string InternalStats::Format(const Version& version,
                                  const CompactionPicker& picker) const {
  std::string out =
      "Level Files  Size(MiB) Score Count Moves Read(MiB) Write(MiB) "
      " Seconds\n";
  LevelWriteStats total;
  for (int level = 0; level < kNumLevels; ++level) {
    const LevelWriteStats& l = levels[level];
    const size_t files = version.files(level).size();
    if (files == 0 && l.count == 0 && l.trivial_moves == 0) continue;
    const std::string score =
        level < kNumLevels - 1
            ? absl::StrFormat("%5.2f", picker.Score(version, level))
            : std::string("    -");
    absl::StrAppendFormat(
        &out, "  L%d %6d %10.1f %s %5d %5d %9.1f %10.1f %8.2f\n", level, files,
        MiB(version.NumLevelBytes(level)), score, l.count, l.trivial_moves,
        MiB(l.bytes_read), MiB(l.bytes_written),
        static_cast<double>(l.micros) / 1e6);
    total.count += l.count;
    total.trivial_moves += l.trivial_moves;
    total.bytes_read += l.bytes_read;
    total.bytes_written += l.bytes_written;
    total.micros += l.micros;
  }
  absl::StrAppendFormat(
      &out, " Sum %6d %10.1f       %5d %5d %9.1f %10.1f %8.2f\n",
      version.NumFiles(),
      [&] {
        uint64_t b = 0;
        for (int l = 0; l < kNumLevels; ++l) {
          b += version.NumLevelBytes(l);
        }
        return MiB(b);
      }(),
      total.count, total.trivial_moves, MiB(total.bytes_read),
      MiB(total.bytes_written), static_cast<double>(total.micros) / 1e6);
  absl::StrAppendFormat(&out,
                        "User writes: %.1f MiB, log writes: %.1f MiB, table "
                        "writes: %.1f MiB, write amplification: %.2f\n",
                        MiB(user_bytes), MiB(wal_bytes),
                        MiB(total.bytes_written), WriteAmplification());
  absl::StrAppendFormat(&out, "Pending compaction: %.1f MiB\n",
                        MiB(picker.EstimatePendingCompactionBytes(version)));
  absl::StrAppendFormat(
      &out, "Write stalls: %.3f s, %d writes slowed, %d stopped\n",
      static_cast<double>(stall_micros) / 1e6, slowdowns, stops);
  return out;
}

}  // namespace ferrisdb
