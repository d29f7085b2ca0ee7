// VersionEdit: one change to the set of live files (tables added and
// removed per level) plus the counters recovery needs. A MANIFEST is a log
// (docs/format/log.md, kind kManifest) of encoded edits; replaying them in
// order rebuilds the current version. Encoding: docs/format/manifest.md.
#ifndef FERRISDB_VERSION_VERSION_EDIT_H_
#define FERRISDB_VERSION_VERSION_EDIT_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "memtable/internal_key.h"
#include "version/table_reader_slot.h"

namespace ferrisdb {

// What the DB knows of one table file.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;  // smallest internal key in the table
  std::string largest;   // largest internal key in the table
  SequenceNumber smallest_sequence = 0;
  SequenceNumber largest_sequence = 0;
  // The table's open reader, once read (not encoded; a copy shares it). See
  // TableCache::GetForRead.
  TableReaderSlot reader;
};

class VersionEdit {
 public:
  void SetFormatVersion(uint32_t v) { format_version_ = v; }
  void SetLogNumber(uint64_t n) { log_number_ = n; }
  void SetNextFileNumber(uint64_t n) { next_file_number_ = n; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  void AddFile(int level, FileMetaData file) {
    new_files_.emplace_back(level, std::move(file));
  }
  void DeleteFile(int level, uint64_t number) {
    deleted_files_.emplace(level, number);
  }

  const std::optional<uint32_t>& format_version() const {
    return format_version_;
  }
  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const {
    return next_file_number_;
  }
  const std::optional<SequenceNumber>& last_sequence() const {
    return last_sequence_;
  }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const {
    return new_files_;
  }
  const std::set<std::pair<int, uint64_t>>& deleted_files() const {
    return deleted_files_;
  }

  void EncodeTo(std::string* dst) const;
  // Replaces *this with the decoded edit. DataLoss (without a file name: the
  // caller adds it) if the encoding is damaged or uses an unknown required
  // field.
  absl::Status DecodeFrom(std::string_view input);

  std::string DebugString() const;

 private:
  std::optional<uint32_t> format_version_;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_VERSION_EDIT_H_
