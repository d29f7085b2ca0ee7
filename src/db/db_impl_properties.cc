// DB::GetProperty: the DB's shape and counters as text.
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "util/strings.h"

namespace ferrisdb {
namespace {

constexpr std::string_view kNumFilesAtLevelPrefix =
    "ferrisdb.num-files-at-level";

std::string SstablesText(const Version& version) {
  std::string out;
  for (int level = 0; level < kNumLevels; ++level) {
    absl::StrAppendFormat(&out, "--- level %d ---\n", level);
    for (const auto& f : version.files(level)) {
      absl::StrAppendFormat(&out, " %06d.sst %d bytes [%s .. %s]\n", f->number,
                            f->file_size, InternalKeyDebugString(f->smallest),
                            InternalKeyDebugString(f->largest));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> DBImpl::GetProperty(std::string_view name) {
  absl::MutexLock lock(&mu_);
  const Version& version = view_->version();
  if (name.substr(0, kNumFilesAtLevelPrefix.size()) == kNumFilesAtLevelPrefix) {
    int level = -1;
    if (absl::SimpleAtoi(ToAbsl(name.substr(kNumFilesAtLevelPrefix.size())),
                         &level) &&
        level >= 0 && level < kNumLevels) {
      return absl::StrCat(version.files(level).size());
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "GetProperty: %s: the level must be 0..%d", name, kNumLevels - 1));
  }
  if (name == "ferrisdb.stats") return stats_.Format(version, *picker_);
  if (name == "ferrisdb.sstables") return SstablesText(version);
  if (name == "ferrisdb.approximate-memory-usage") {
    size_t bytes = view_->mem()->ApproximateMemoryUsage();
    for (const MemTable* m : view_->imm()) bytes += m->ApproximateMemoryUsage();
    return absl::StrCat(bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("GetProperty: unknown property \"%s\"", name));
}

}  // namespace ferrisdb
