#include "wal/log_reader.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/coding.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ferrisdb {

namespace {

// True if a fragment of a known type whose checksum verifies starts at
// block[pos]. Used only to look for valid data after a bad fragment, so it
// rejects cheaply first: zero-filled space fails the type test.
bool IsVerifiableFragmentAt(const char* block, size_t block_len, size_t pos) {
  const char* header = block + pos;
  const auto type = static_cast<uint8_t>(header[kFragmentTypeOffset]);
  if (type == 0 || type > kMaxKnownFragmentType) return false;
  const size_t length = DecodeFixed16(header + kFragmentLengthOffset);
  if (pos + kFragmentHeaderSize + length > block_len) return false;
  return DecodeFixed32(header + kFragmentChecksumOffset) ==
         FragmentChecksum(
             header, std::string_view(header + kFragmentHeaderSize, length));
}

}  // namespace

LogReader::LogReader(std::unique_ptr<SequentialFile> file,
                     std::string file_name, uint64_t expected_file_number,
                     LogFileKind expected_kind)
    : file_(std::move(file)),
      file_name_(std::move(file_name)),
      expected_file_number_(expected_file_number),
      expected_kind_(expected_kind),
      block_(new char[kLogBlockSize]) {}

LogReader::~LogReader() = default;

absl::Status LogReader::DataLoss(std::string_view what) const {
  return absl::DataLossError(
      absl::StrCat("log ", file_name_, ": ", ToAbsl(what)));
}

absl::Status LogReader::ReadBlock() {
  block_offset_ += block_len_;
  block_len_ = 0;
  block_pos_ = 0;
  // Keep reading until the block is full or the file ends, so that a short
  // read never looks like the end of the file.
  while (block_len_ < kLogBlockSize) {
    std::string_view got;
    char* dst = block_.get() + block_len_;
    const size_t want = kLogBlockSize - block_len_;
    FERRISDB_RETURN_IF_ERROR(file_->Read(want, &got, dst));
    if (got.empty()) break;
    if (got.size() > want) {
      return absl::InternalError(absl::StrCat(
          "log ", file_name_, ": file returned more bytes than requested"));
    }
    // The file may return a view of its own memory; the record views we hand
    // out must live in block_.
    if (got.data() != dst) std::memmove(dst, got.data(), got.size());
    block_len_ += got.size();
  }
  eof_ = block_len_ < kLogBlockSize;
  return absl::OkStatus();
}

absl::StatusOr<LogReader::NextResult> LogReader::NextFragment(
    Fragment* fragment, BadFragment* bad) {
  while (block_len_ - block_pos_ < kFragmentHeaderSize) {
    if (!eof_) {
      // A full block's last bytes, too few for a header, are padding (log.md
      // "Blocks"); their contents do not matter. Or nothing was read yet.
      FERRISDB_RETURN_IF_ERROR(ReadBlock());
      continue;
    }
    if (block_pos_ == block_len_) return NextResult::kEndOfFile;
    bad->offset = block_offset_ + block_pos_;
    bad->reason = "truncated fragment header";
    return NextResult::kBad;
  }
  // Fragment header layout: log.md "Fragment header".
  const char* header = block_.get() + block_pos_;
  const auto type = static_cast<uint8_t>(header[kFragmentTypeOffset]);
  const size_t length = DecodeFixed16(header + kFragmentLengthOffset);
  bad->offset = block_offset_ + block_pos_;
  if (type == static_cast<uint8_t>(FragmentType::kZero)) {
    bad->reason = "zero-filled fragment header";
    return NextResult::kBad;
  }
  const size_t end = block_pos_ + kFragmentHeaderSize + length;
  if (end > block_len_) {
    bad->reason =
        end > kLogBlockSize
            ? absl::StrFormat("bad length %d (past the block end) in fragment",
                              length)
            : std::string("truncated fragment");
    return NextResult::kBad;
  }
  const std::string_view payload(header + kFragmentHeaderSize, length);
  if (DecodeFixed32(header + kFragmentChecksumOffset) !=
      FragmentChecksum(header, payload)) {
    bad->reason = "checksum mismatch in fragment";
    return NextResult::kBad;
  }
  fragment->type = type;
  fragment->payload = payload;
  fragment->offset = block_offset_ + block_pos_;
  block_pos_ = end;
  return NextResult::kFragment;
}

absl::StatusOr<std::optional<uint64_t>> LogReader::FindValidFragmentAfterBad() {
  // Every byte position, not only block starts: damage near the end of the
  // last block may be followed by valid fragments in that same block.
  size_t start = block_pos_ + 1;
  while (true) {
    for (size_t pos = start; pos + kFragmentHeaderSize <= block_len_; ++pos) {
      if (IsVerifiableFragmentAt(block_.get(), block_len_, pos)) {
        return block_offset_ + pos;
      }
    }
    if (eof_) return std::nullopt;
    FERRISDB_RETURN_IF_ERROR(ReadBlock());
    start = 0;
  }
}

absl::StatusOr<bool> LogReader::HandleBadFragment(const BadFragment& bad) {
  FERRISDB_ASSIGN_OR_RETURN(std::optional<uint64_t> valid,
                            FindValidFragmentAfterBad());
  if (!valid.has_value()) return EndOfLog();  // a torn tail
  return DataLoss(
      absl::StrFormat("%s at offset %d (valid data follows at offset %d)",
                      bad.reason, bad.offset, *valid));
}

bool LogReader::EndOfLog() {
  // Only called once the whole file has been read.
  tail_was_torn_ = block_offset_ + block_len_ > end_of_valid_data_;
  return false;
}

absl::Status LogReader::CheckFileHeader(const Fragment& fragment) const {
  // Payload layout: log.md "File header".
  const std::string_view p = fragment.payload;
  if (p.size() < kFileHeaderVersionOffset ||
      DecodeFixed64(p.data() + kFileHeaderMagicOffset) != kLogFileMagic) {
    return DataLoss("not a FerrisDB log file (bad magic number)");
  }
  if (p.size() < kFileHeaderKindOffset) {
    return DataLoss(
        absl::StrFormat("file header too short (%d bytes)", p.size()));
  }
  const uint32_t version = DecodeFixed32(p.data() + kFileHeaderVersionOffset);
  if (version > kLogFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "log %s: written in log format version %d, but this FerrisDB reads "
        "versions up to %d; open it with a newer FerrisDB",
        file_name_, version, kLogFormatVersion));
  }
  if (version == 0) return DataLoss("invalid log format version 0");
  // Version 1 ignores bytes after the file number (log.md "File header").
  if (p.size() < kFileHeaderPayloadSize) {
    return DataLoss(absl::StrFormat(
        "file header too short (%d bytes, expected at least %d)", p.size(),
        kFileHeaderPayloadSize));
  }
  const auto kind = static_cast<LogFileKind>(p[kFileHeaderKindOffset]);
  if (kind != expected_kind_) {
    const bool known =
        kind == LogFileKind::kWal || kind == LogFileKind::kManifest;
    return DataLoss(absl::StrFormat(
        "file header says this is a %s log (kind %d), expected a %s log: a "
        "misplaced or renamed file?",
        known ? LogFileKindName(kind) : "unknown", static_cast<uint8_t>(kind),
        LogFileKindName(expected_kind_)));
  }
  const uint64_t number = DecodeFixed64(p.data() + kFileHeaderFileNumberOffset);
  if (number != expected_file_number_) {
    return DataLoss(absl::StrFormat(
        "file header has file number %d, expected %d: a misplaced or renamed "
        "file?",
        number, expected_file_number_));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> LogReader::ReadFileHeader() {
  Fragment fragment;
  BadFragment bad;
  FERRISDB_ASSIGN_OR_RETURN(NextResult next, NextFragment(&fragment, &bad));
  switch (next) {
    case NextResult::kEndOfFile:
      return EndOfLog();  // an empty file: created, then a crash
    case NextResult::kBad:
      bad.reason = "unreadable file header: " + bad.reason;
      return HandleBadFragment(bad);
    case NextResult::kFragment:
      break;
  }
  if (fragment.type != static_cast<uint8_t>(FragmentType::kFileHeader)) {
    return DataLoss(absl::StrFormat(
        "does not begin with a file header (found fragment type %d at "
        "offset 0)",
        fragment.type));
  }
  FERRISDB_RETURN_IF_ERROR(CheckFileHeader(fragment));
  end_of_valid_data_ = block_offset_ + block_pos_;
  return true;
}

absl::StatusOr<bool> LogReader::ReadRecord(std::string_view* record,
                                           std::string* scratch) {
  if (done_) return false;
  if (!error_.ok()) return error_;
  absl::StatusOr<bool> result = ReadRecordImpl(record, scratch);
  if (!result.ok()) {
    error_ = result.status();
  } else if (!*result) {
    done_ = true;
  }
  return result;
}

absl::StatusOr<bool> LogReader::ReadRecordImpl(std::string_view* record,
                                               std::string* scratch) {
  if (!header_checked_) {
    header_checked_ = true;
    FERRISDB_ASSIGN_OR_RETURN(bool has_header, ReadFileHeader());
    if (!has_header) return false;
  }
  scratch->clear();
  // Reassembly: log.md "Records and fragments".
  bool in_record = false;
  uint64_t record_offset = 0;
  while (true) {
    Fragment fragment;
    BadFragment bad;
    FERRISDB_ASSIGN_OR_RETURN(NextResult next, NextFragment(&fragment, &bad));
    if (next == NextResult::kEndOfFile) {
      // A First without its Last at the very end is a torn tail too.
      return EndOfLog();
    }
    if (next == NextResult::kBad) return HandleBadFragment(bad);

    const uint64_t fragment_end = block_offset_ + block_pos_;
    const auto type = static_cast<FragmentType>(fragment.type);
    const bool starts_record =
        type == FragmentType::kFull || type == FragmentType::kFirst;
    if (starts_record && in_record) {
      return DataLoss(absl::StrFormat(
          "record at offset %d has no last fragment: a new record starts at "
          "offset %d",
          record_offset, fragment.offset));
    }
    switch (type) {
      case FragmentType::kFull:
        *record = fragment.payload;
        last_record_offset_ = fragment.offset;
        end_of_valid_data_ = fragment_end;
        return true;
      case FragmentType::kFirst:
        scratch->assign(fragment.payload.data(), fragment.payload.size());
        in_record = true;
        record_offset = fragment.offset;
        continue;
      case FragmentType::kMiddle:
      case FragmentType::kLast:
        if (!in_record) {
          return DataLoss(absl::StrFormat(
              "%s fragment at offset %d does not follow a first fragment",
              type == FragmentType::kMiddle ? "middle" : "last",
              fragment.offset));
        }
        scratch->append(fragment.payload.data(), fragment.payload.size());
        if (type == FragmentType::kMiddle) continue;
        *record = *scratch;
        last_record_offset_ = record_offset;
        end_of_valid_data_ = fragment_end;
        return true;
      case FragmentType::kFileHeader:
        return DataLoss(absl::StrFormat(
            "unexpected file header fragment at offset %d", fragment.offset));
      case FragmentType::kZero:
        break;  // rejected by NextFragment
    }
    if ((fragment.type & kFragmentTypeIgnorableBit) != 0) {
      // Written by a newer FerrisDB and marked safe to skip.
      if (!in_record) end_of_valid_data_ = fragment_end;
      continue;
    }
    return DataLoss(absl::StrFormat(
        "unsupported fragment type %d at offset %d (written by a newer "
        "FerrisDB?)",
        fragment.type, fragment.offset));
  }
}

}  // namespace ferrisdb
