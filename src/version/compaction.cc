#include "version/compaction.h"

#include <utility>

#include "memtable/internal_key.h"

namespace ferrisdb {

// An output file may overlap this many target-sized files of the level below
// its own: more would make its own compaction into that level expensive.
inline constexpr uint64_t kGrandparentOverlapFactor = 10;

Compaction::Compaction(std::shared_ptr<const Version> version, int level,
                       uint64_t max_output_file_size, bool is_manual)
    : input_version_(std::move(version)),
      level_(level),
      max_output_file_size_(max_output_file_size),
      max_grandparent_overlap_bytes_(kGrandparentOverlapFactor *
                                     max_output_file_size),
      is_manual_(is_manual) {}

bool Compaction::IsTrivialMove() const {
  if (inputs_[0].size() != 1 || !inputs_[1].empty()) return false;
  uint64_t grandparent_bytes = 0;
  for (const auto& f : grandparents_) grandparent_bytes += f->file_size;
  return grandparent_bytes <= max_grandparent_overlap_bytes_;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; ++which) {
    for (const auto& f : inputs_[which]) {
      edit->DeleteFile(level_ + which, f->number);
    }
  }
}

bool Compaction::IsBaseLevelForKey(std::string_view user_key) {
  for (int level = output_level() + 1; level < kNumLevels; ++level) {
    const Version::FileList& files = input_version_->files(level);
    size_t& i = level_ptrs_[level];
    while (i < files.size()) {
      const FileMetaData& f = *files[i];
      if (user_key <= ExtractUserKey(f.largest)) {
        if (user_key >= ExtractUserKey(f.smallest)) return false;
        break;  // the key falls before this file, in a gap of the level
      }
      ++i;  // the key is past this file, and so will be every later key
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key) {
  // Count the grandparents that end before internal_key: the output file
  // spans them.
  while (grandparent_index_ < grandparents_.size() &&
         CompareInternalKeys(internal_key,
                             grandparents_[grandparent_index_]->largest) > 0) {
    if (seen_key_) {
      grandparent_overlap_bytes_ +=
          grandparents_[grandparent_index_]->file_size;
    }
    ++grandparent_index_;
  }
  seen_key_ = true;
  // Stays true until the caller starts a new output (StartNewOutput): it
  // may only cut between two user keys.
  return grandparent_overlap_bytes_ > max_grandparent_overlap_bytes_;
}

}  // namespace ferrisdb
