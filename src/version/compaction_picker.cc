#include "version/compaction_picker.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "memtable/internal_key.h"

namespace ferrisdb {
namespace {

// The user-key range covered by files (REQUIRES: !files.empty()).
std::pair<std::string_view, std::string_view> UserKeyRange(
    const Version::FileList& files) {
  std::string_view lo = ExtractUserKey(files.front()->smallest);
  std::string_view hi = ExtractUserKey(files.front()->largest);
  for (const auto& f : files) {
    lo = std::min(lo, ExtractUserKey(f->smallest));
    hi = std::max(hi, ExtractUserKey(f->largest));
  }
  return {lo, hi};
}

}  // namespace

CompactionPicker::CompactionPicker(const Options& options)
    : level0_trigger_(std::max(1, options.level0_file_num_compaction_trigger)),
      level_base_bytes_(
          std::max<uint64_t>(1, options.max_bytes_for_level_base)),
      level_multiplier_(std::max(1.0, options.max_bytes_for_level_multiplier)),
      target_file_size_(std::max<uint64_t>(1, options.target_file_size)) {}

uint64_t CompactionPicker::MaxBytesForLevel(int level) const {
  double bytes = static_cast<double>(level_base_bytes_);
  for (int l = 1; l < level; ++l) bytes *= level_multiplier_;
  return bytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(bytes);
}

double CompactionPicker::Score(const Version& version, int level) const {
  if (level == 0) {
    return static_cast<double>(version.files(0).size()) / level0_trigger_;
  }
  return static_cast<double>(version.NumLevelBytes(level)) /
         static_cast<double>(MaxBytesForLevel(level));
}

bool CompactionPicker::NeedsCompaction(const Version& version) const {
  for (int level = 0; level < kNumLevels - 1; ++level) {
    if (Score(version, level) >= 1) return true;
  }
  return false;
}

std::unique_ptr<Compaction> CompactionPicker::PickCompaction(
    std::shared_ptr<const Version> version) {
  int best_level = -1;
  double best_score = 1;
  for (int level = 0; level < kNumLevels - 1; ++level) {
    const double score = Score(*version, level);
    if (score >= best_score) {
      best_score = score;
      best_level = level;
    }
  }
  if (best_level < 0) return nullptr;

  const int level = best_level;
  std::unique_ptr<Compaction> c(
      new Compaction(version, level, target_file_size_, /*is_manual=*/false));
  const Version::FileList& files = version->files(level);
  if (level == 0) {
    // All of level 0: its files overlap, and taking them all keeps every
    // level-0 file left behind newer than what lands in level 1.
    c->inputs_[0] = files;
  } else {
    c->inputs_[0].push_back(files[PickFileToCompact(*version, level)]);
  }
  SetupOtherInputs(c.get());
  return c;
}

size_t CompactionPicker::PickFileToCompact(const Version& version,
                                           int level) const {
  const Version::FileList& files = version.files(level);
  const Version::FileList& next = version.files(level + 1);
  // Bytes of the next level each file overlaps: one sweep, both levels being
  // sorted with disjoint ranges (a file of the next level may overlap two
  // neighbours, so the sweep does not move past it early).
  std::vector<uint64_t> overlap(files.size(), 0);
  size_t j = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string_view lo = ExtractUserKey(files[i]->smallest);
    const std::string_view hi = ExtractUserKey(files[i]->largest);
    while (j < next.size() && ExtractUserKey(next[j]->largest) < lo) ++j;
    for (size_t k = j;
         k < next.size() && ExtractUserKey(next[k]->smallest) <= hi; ++k) {
      overlap[i] += next[k]->file_size;
    }
  }
  // Start after the last compaction's end so that among equal ratios
  // (e.g. an empty next level) every range gets its turn.
  size_t start = 0;
  const std::string& pointer = compact_pointer_[level];
  if (!pointer.empty()) {
    while (start < files.size() &&
           CompareInternalKeys(files[start]->largest, pointer) <= 0) {
      ++start;
    }
    if (start == files.size()) start = 0;
  }
  size_t best = start;
  double best_ratio = 0;
  for (size_t n = 0; n < files.size(); ++n) {
    const size_t i = (start + n) % files.size();
    const double ratio =
        static_cast<double>(overlap[i]) /
        static_cast<double>(std::max<uint64_t>(files[i]->file_size, 1));
    if (n == 0 || ratio < best_ratio) {
      best = i;
      best_ratio = ratio;
    }
  }
  return best;
}

std::unique_ptr<Compaction> CompactionPicker::PickRangeCompaction(
    std::shared_ptr<const Version> version, int level,
    std::optional<std::string_view> begin,
    std::optional<std::string_view> end) {
  Version::FileList files = version->GetOverlappingFiles(level, begin, end);
  if (files.empty()) return nullptr;
  std::unique_ptr<Compaction> c(new Compaction(std::move(version), level,
                                               target_file_size_,
                                               /*is_manual=*/true));
  c->inputs_[0] = std::move(files);
  SetupOtherInputs(c.get());
  return c;
}

void CompactionPicker::SetupOtherInputs(Compaction* c) {
  const Version& version = *c->input_version_;
  const int level = c->level();
  auto [lo, hi] = UserKeyRange(c->inputs_[0]);
  c->inputs_[1] = version.GetOverlappingFiles(level + 1, lo, hi);
  if (!c->inputs_[1].empty()) {
    auto [lo1, hi1] = UserKeyRange(c->inputs_[1]);
    lo = std::min(lo, lo1);
    hi = std::max(hi, hi1);
  }
  if (level + 2 < kNumLevels) {
    c->grandparents_ = version.GetOverlappingFiles(level + 2, lo, hi);
  }
  // Where the next compaction of this level starts (pickers by score only;
  // a manual compaction moves the pointer too, harmlessly).
  std::string largest = c->inputs_[0].front()->largest;
  for (const auto& f : c->inputs_[0]) {
    if (CompareInternalKeys(f->largest, largest) > 0) largest = f->largest;
  }
  compact_pointer_[level] = std::move(largest);
}

uint64_t CompactionPicker::EstimatePendingCompactionBytes(
    const Version& version) const {
  uint64_t pending = 0;
  if (static_cast<int>(version.files(0).size()) >= level0_trigger_) {
    pending += version.NumLevelBytes(0) + version.NumLevelBytes(1);
  }
  for (int level = 1; level < kNumLevels - 1; ++level) {
    const uint64_t bytes = version.NumLevelBytes(level);
    const uint64_t target = MaxBytesForLevel(level);
    if (bytes <= target) continue;
    // The excess moves down and rewrites about the next level's ratio of
    // bytes along with it.
    const uint64_t excess = bytes - target;
    const double ratio = static_cast<double>(version.NumLevelBytes(level + 1)) /
                         static_cast<double>(bytes);
    pending += static_cast<uint64_t>(static_cast<double>(excess) * (1 + ratio));
  }
  return pending;
}

}  // namespace ferrisdb
