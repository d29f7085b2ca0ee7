// DB::GetProperty and DB::GetApproximateSizes: the DB's shape and counters.
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "db/db_impl.h"
#include "util/status_macros.h"
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
  if (name == "ferrisdb.stats") {
    std::string text = stats_.Format(version, *picker_);
    if (statistics_ != nullptr) {
      text += "Statistics (Options::statistics):\n";
      text += statistics_->ToString();
    }
    return text;
  }
  if (name == "ferrisdb.sstables") return SstablesText(version);
  if (name == "ferrisdb.approximate-memory-usage") {
    size_t bytes = view_->mem()->ApproximateMemoryUsage();
    for (const MemTable* m : view_->imm()) bytes += m->ApproximateMemoryUsage();
    return absl::StrCat(bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("GetProperty: unknown property \"%s\"", name));
}

absl::Status DBImpl::VerifyChecksums() {
  std::shared_ptr<const Version> version;
  {
    absl::MutexLock lock(&mu_);
    version = versions_->current();  // pinned: its files stay
  }
  std::vector<absl::Status> problems;
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : version->files(level)) {
      // A fresh reader, so the footer and metadata are re-read as well.
      absl::StatusOr<std::unique_ptr<TableReader>> reader =
          table_cache_->OpenUncached(f->number, f->file_size);
      if (!reader.ok()) {
        problems.push_back(reader.status());
        continue;
      }
      std::vector<absl::Status> found = (*reader)->VerifyBlocks();
      problems.insert(problems.end(), found.begin(), found.end());
    }
  }
  if (problems.empty()) return absl::OkStatus();
  std::string message = absl::StrFormat(
      "VerifyChecksums %s: %d damaged block(s) or failed read(s):", dbname_,
      problems.size());
  for (const absl::Status& p : problems) {
    absl::StrAppend(&message, "\n  ", p.message());
  }
  return absl::DataLossError(message);
}

absl::StatusOr<std::vector<uint64_t>> DBImpl::GetApproximateSizes(
    std::span<const Range> ranges) {
  std::shared_ptr<const Version> version;
  {
    absl::MutexLock lock(&mu_);
    version = versions_->current();
  }
  // Bytes of the tables that come before user_key.
  auto offset_of = [&](std::string_view user_key) -> absl::StatusOr<uint64_t> {
    std::string key;
    AppendInternalKey(&key, user_key, kMaxSequenceNumber, kValueTypeForSeek);
    uint64_t total = 0;
    for (int level = 0; level < kNumLevels; ++level) {
      for (const auto& f : version->files(level)) {
        if (CompareInternalKeys(f->largest, key) < 0) {
          total += f->file_size;  // wholly before the key
        } else if (CompareInternalKeys(f->smallest, key) < 0) {
          FERRISDB_ASSIGN_OR_RETURN(std::shared_ptr<const TableReader> reader,
                                    table_cache_->Get(f));
          FERRISDB_ASSIGN_OR_RETURN(uint64_t offset,
                                    reader->ApproximateOffsetOf(key));
          total += offset;
        }
      }
    }
    return total;
  };
  std::vector<uint64_t> sizes;
  sizes.reserve(ranges.size());
  for (const Range& range : ranges) {
    if (range.limit <= range.start) {
      sizes.push_back(0);
      continue;
    }
    FERRISDB_ASSIGN_OR_RETURN(uint64_t start, offset_of(range.start));
    FERRISDB_ASSIGN_OR_RETURN(uint64_t limit, offset_of(range.limit));
    sizes.push_back(limit >= start ? limit - start : 0);
  }
  return sizes;
}

}  // namespace ferrisdb
