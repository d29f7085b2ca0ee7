// Fuzz target: version-edit decoding (docs/format/manifest.md "Version
// edit"), the payload of every MANIFEST record. The input is one record.
//
// Properties:
// * A rejected edit is DataLoss.
// * An accepted edit satisfies what DecodeFrom promises recovery: levels
//   below kNumLevels, internal keys of at least a trailer with smallest <=
//   largest, sequences within range and ordered.
// * Round trip: EncodeTo of the decoded edit decodes to an equal edit, and
//   encoding that again gives the same bytes (the encoding is canonical;
//   the input need not be: fields may come in any order, varints may be
//   overlong, ignorable fields are dropped).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "memtable/internal_key.h"
#include "version/version_edit.h"
#include "version/version_edit_format.h"

namespace ferrisdb {
namespace {

bool SameFile(const FileMetaData& a, const FileMetaData& b) {
  return a.number == b.number && a.file_size == b.file_size &&
         a.smallest == b.smallest && a.largest == b.largest &&
         a.smallest_sequence == b.smallest_sequence &&
         a.largest_sequence == b.largest_sequence;
}

bool SameEdit(const VersionEdit& a, const VersionEdit& b) {
  if (a.format_version() != b.format_version() ||
      a.log_number() != b.log_number() ||
      a.next_file_number() != b.next_file_number() ||
      a.last_sequence() != b.last_sequence() ||
      a.deleted_files() != b.deleted_files() ||
      a.new_files().size() != b.new_files().size()) {
    return false;
  }
  for (size_t i = 0; i < a.new_files().size(); ++i) {
    if (a.new_files()[i].first != b.new_files()[i].first ||
        !SameFile(a.new_files()[i].second, b.new_files()[i].second)) {
      return false;
    }
  }
  return true;
}

void CheckInvariants(const VersionEdit& edit) {
  if (edit.last_sequence()) {
    FERRISDB_FUZZ_CHECK(*edit.last_sequence() <= kMaxSequenceNumber,
                        "last sequence out of range");
  }
  for (const auto& [level, number] : edit.deleted_files()) {
    FERRISDB_FUZZ_CHECK(level >= 0 && level < kNumLevels, "level %d", level);
  }
  for (const auto& [level, f] : edit.new_files()) {
    FERRISDB_FUZZ_CHECK(level >= 0 && level < kNumLevels, "level %d", level);
    FERRISDB_FUZZ_CHECK(f.smallest.size() >= kInternalKeyTrailerSize &&
                            f.largest.size() >= kInternalKeyTrailerSize,
                        "file %llu: key shorter than a trailer",
                        static_cast<unsigned long long>(f.number));
    FERRISDB_FUZZ_CHECK(CompareInternalKeys(f.smallest, f.largest) <= 0,
                        "smallest > largest");
    FERRISDB_FUZZ_CHECK(f.smallest_sequence <= f.largest_sequence &&
                            f.largest_sequence <= kMaxSequenceNumber,
                        "bad sequence range");
  }
}

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferrisdb;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  VersionEdit edit;
  edit.SetLogNumber(99);  // must not survive DecodeFrom
  absl::Status s = edit.DecodeFrom(input);
  if (!s.ok()) {
    FERRISDB_FUZZ_CHECK(absl::IsDataLoss(s), "rejection is not DataLoss: %s",
                        s.ToString().c_str());
    return 0;
  }
  CheckInvariants(edit);
  (void)edit.DebugString();

  std::string encoded;
  edit.EncodeTo(&encoded);
  FERRISDB_FUZZ_CHECK(encoded.size() <= input.size(),
                      "canonical encoding longer than the input");
  VersionEdit decoded;
  s = decoded.DecodeFrom(encoded);
  FERRISDB_FUZZ_CHECK(s.ok(), "re-decoding the encoding: %s",
                      s.ToString().c_str());
  FERRISDB_FUZZ_CHECK(SameEdit(edit, decoded),
                      "round trip changed the edit:\n"
                      "  %s\n  %s",
                      edit.DebugString().c_str(),
                      decoded.DebugString().c_str());
  std::string encoded_again;
  decoded.EncodeTo(&encoded_again);
  FERRISDB_FUZZ_CHECK(encoded_again == encoded, "encoding not canonical");
  return 0;
}
