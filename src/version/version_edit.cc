#include "version/version_edit.h"

#include "absl/strings/str_format.h"
#include "util/coding.h"
#include "version/version_edit_format.h"

namespace ferrisdb {
namespace {

void PutTag(std::string* dst, EditTag tag) {
  PutVarint32(dst, static_cast<uint32_t>(tag));
}

bool GetLevel(std::string_view* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= static_cast<uint32_t>(kNumLevels)) {
    return false;
  }
  *level = static_cast<int>(v);
  return true;
}

bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view v;
  if (!GetLengthPrefixed(input, &v) || v.size() < kInternalKeyTrailerSize) {
    return false;
  }
  key->assign(v.data(), v.size());
  return true;
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (format_version_) {
    PutTag(dst, EditTag::kFormatVersion);
    PutVarint32(dst, *format_version_);
  }
  if (log_number_) {
    PutTag(dst, EditTag::kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutTag(dst, EditTag::kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutTag(dst, EditTag::kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutTag(dst, EditTag::kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutTag(dst, EditTag::kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
    PutVarint64(dst, f.smallest_sequence);
    PutVarint64(dst, f.largest_sequence);
  }
}

absl::Status VersionEdit::DecodeFrom(std::string_view input) {
  *this = VersionEdit();
  const size_t total = input.size();
  while (!input.empty()) {
    const size_t field_offset = total - input.size();
    auto bad = [field_offset](std::string_view what) {
      return absl::DataLossError(absl::StrFormat(
          "version edit: %s at byte %d of the record", what, field_offset));
    };
    uint32_t tag;
    if (!GetVarint32(&input, &tag)) return bad("truncated field tag");
    switch (static_cast<EditTag>(tag)) {
      case EditTag::kFormatVersion: {
        uint32_t v;
        if (!GetVarint32(&input, &v)) return bad("bad format version");
        format_version_ = v;
        break;
      }
      case EditTag::kLogNumber: {
        uint64_t v;
        if (!GetVarint64(&input, &v)) return bad("bad log number");
        log_number_ = v;
        break;
      }
      case EditTag::kNextFileNumber: {
        uint64_t v;
        if (!GetVarint64(&input, &v)) return bad("bad next file number");
        next_file_number_ = v;
        break;
      }
      case EditTag::kLastSequence: {
        uint64_t v;
        if (!GetVarint64(&input, &v) || v > kMaxSequenceNumber) {
          return bad("bad last sequence");
        }
        last_sequence_ = v;
        break;
      }
      case EditTag::kDeletedFile: {
        int level;
        uint64_t number;
        if (!GetLevel(&input, &level) || !GetVarint64(&input, &number)) {
          return bad("bad deleted file");
        }
        deleted_files_.emplace(level, number);
        break;
      }
      case EditTag::kNewFile: {
        int level;
        FileMetaData f;
        if (!GetLevel(&input, &level) || !GetVarint64(&input, &f.number) ||
            !GetVarint64(&input, &f.file_size) ||
            !GetInternalKey(&input, &f.smallest) ||
            !GetInternalKey(&input, &f.largest) ||
            !GetVarint64(&input, &f.smallest_sequence) ||
            !GetVarint64(&input, &f.largest_sequence) ||
            f.smallest_sequence > f.largest_sequence ||
            f.largest_sequence > kMaxSequenceNumber ||
            CompareInternalKeys(f.smallest, f.largest) > 0) {
          return bad("bad new file");
        }
        new_files_.emplace_back(level, std::move(f));
        break;
      }
      default: {
        if ((tag & kEditTagSafeToIgnoreBit) == 0) {
          return bad(absl::StrFormat(
              "unknown field %d (written by a newer FerrisDB?)", tag));
        }
        std::string_view skipped;
        if (!GetLengthPrefixed(&input, &skipped)) {
          return bad("truncated ignorable field");
        }
        break;
      }
    }
  }
  return absl::OkStatus();
}

std::string VersionEdit::DebugString() const {
  std::string out = "VersionEdit {";
  if (format_version_)
    absl::StrAppendFormat(&out, " format %d", *format_version_);
  if (log_number_) absl::StrAppendFormat(&out, " log %d", *log_number_);
  if (next_file_number_) {
    absl::StrAppendFormat(&out, " next_file %d", *next_file_number_);
  }
  if (last_sequence_)
    absl::StrAppendFormat(&out, " last_seq %d", *last_sequence_);
  for (const auto& [level, number] : deleted_files_) {
    absl::StrAppendFormat(&out, " -L%d:%06d", level, number);
  }
  for (const auto& [level, f] : new_files_) {
    absl::StrAppendFormat(
        &out, " +L%d:%06d(%d bytes, %s .. %s)", level, f.number, f.file_size,
        InternalKeyDebugString(f.smallest), InternalKeyDebugString(f.largest));
  }
  return out + " }";
}

}  // namespace ferrisdb
