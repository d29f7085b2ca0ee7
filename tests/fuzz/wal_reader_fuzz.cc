// Fuzz target: the log reader (docs/format/log.md), which frames both the
// WAL and the MANIFEST.
//
// Input: flags (1 byte) | cut (2 bytes) | file bytes.
//   flags bit 0: before reading, recompute the checksum of every fragment
//                whose header and payload fit in its block and the file, so
//                that mutations reach the record assembly and torn-tail
//                logic instead of stopping at the first checksum;
//   flags bit 1: open as a MANIFEST instead of a WAL.
//   The file number the reader expects is always kFuzzLogFileNumber.
//
// Properties:
// * Errors are DataLoss or FailedPrecondition (newer version); ReadRecord is
//   sticky after its end or an error.
// * Record offsets increase; end_of_valid_data lies within the file; at a
//   clean end tail_was_torn() says whether bytes follow end_of_valid_data.
// * Truncation: the file cut anywhere yields a prefix of the records of the
//   whole file; cut at end_of_valid_data after a clean end it yields exactly
//   the same records, untorn.
// * The records written again by LogWriter read back identically.
// * Model: a log with no damage at all (ReadIntactLog, an independent
//   reading of log.md) reads back exactly, untorn; and a log the reader
//   reads to an untorn end is such a log, with the same records.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/memory_files.h"
#include "util/coding.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

constexpr uint64_t kFuzzLogFileNumber = 7;

struct ReadOutcome {
  std::vector<std::string> records;
  absl::Status status;  // OK: the log ended (cleanly or torn)
  uint64_t end_of_valid_data = 0;
  bool tail_was_torn = false;
};

ReadOutcome ReadAll(const std::string& file, LogFileKind kind) {
  LogReader reader(std::make_unique<fuzz::MemorySequentialFile>(file),
                   "fuzz.log", kFuzzLogFileNumber, kind);
  ReadOutcome out;
  std::string scratch;
  std::string_view record;
  uint64_t last_offset = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.ReadRecord(&record, &scratch);
    if (!more.ok()) {
      out.status = more.status();
      FERRISDB_FUZZ_CHECK(absl::IsDataLoss(out.status) ||
                              absl::IsFailedPrecondition(out.status),
                          "unexpected error %s", out.status.ToString().c_str());
      break;
    }
    if (!*more) break;
    const uint64_t offset = reader.last_record_offset();
    FERRISDB_FUZZ_CHECK(offset >= kFileHeaderRecordSize &&
                            offset < file.size() &&
                            (out.records.empty() || offset > last_offset),
                        "record %zu at offset %llu", out.records.size(),
                        static_cast<unsigned long long>(offset));
    last_offset = offset;
    out.records.emplace_back(record);
  }
  // Sticky end and errors.
  absl::StatusOr<bool> again = reader.ReadRecord(&record, &scratch);
  FERRISDB_FUZZ_CHECK(again.status() == out.status && (!again.ok() || !*again),
                      "ReadRecord not sticky after its end");
  out.end_of_valid_data = reader.end_of_valid_data();
  out.tail_was_torn = reader.tail_was_torn();
  FERRISDB_FUZZ_CHECK(out.end_of_valid_data <= file.size(),
                      "end_of_valid_data %llu past the file",
                      static_cast<unsigned long long>(out.end_of_valid_data));
  if (out.status.ok()) {
    FERRISDB_FUZZ_CHECK(
        out.tail_was_torn == (out.end_of_valid_data < file.size()),
        "tail_was_torn %d but end_of_valid_data %llu of %zu", out.tail_was_torn,
        static_cast<unsigned long long>(out.end_of_valid_data), file.size());
    if (!out.records.empty()) {
      FERRISDB_FUZZ_CHECK(last_offset < out.end_of_valid_data,
                          "last record after end_of_valid_data");
    }
  }
  return out;
}

// Rewrites the checksum of each fragment that fits in its block and the file
// (log.md "Blocks", "Fragment header"); skips to the next block at one that
// does not.
void FixChecksums(std::string* file) {
  size_t pos = 0;
  while (pos < file->size()) {
    const size_t block_left = kLogBlockSize - pos % kLogBlockSize;
    if (block_left < kFragmentHeaderSize) {  // the block's trailer
      pos += block_left;
      continue;
    }
    if (pos + kFragmentHeaderSize > file->size()) break;
    char* header = file->data() + pos;
    const size_t length = DecodeFixed16(header + kFragmentLengthOffset);
    if (length > block_left - kFragmentHeaderSize ||
        pos + kFragmentHeaderSize + length > file->size()) {
      pos += block_left;
      continue;
    }
    const std::string_view payload(header + kFragmentHeaderSize, length);
    EncodeFixed32(header + kFragmentChecksumOffset,
                  FragmentChecksum(header, payload));
    pos += kFragmentHeaderSize + length;
  }
}

// An independent reading of log.md for files with no damage at all: every
// fragment valid, a valid file header for (kind, kFuzzLogFileNumber) first,
// fragment sequences as a writer produces them, ignorable types skipped,
// block trailers skipped. nullopt for any other file (the reader's torn-tail
// and damage rules then decide, which this does not model).
std::optional<std::vector<std::string>> ReadIntactLog(std::string_view file,
                                                      LogFileKind kind) {
  std::vector<std::string> records;
  std::string partial;
  bool in_record = false;
  size_t pos = 0;
  while (pos < file.size()) {
    const size_t block_left = kLogBlockSize - pos % kLogBlockSize;
    if (block_left < kFragmentHeaderSize) {
      pos += block_left;
      continue;
    }
    if (pos + kFragmentHeaderSize > file.size()) return std::nullopt;
    const char* header = file.data() + pos;
    const size_t length = DecodeFixed16(header + kFragmentLengthOffset);
    const auto type = static_cast<uint8_t>(header[kFragmentTypeOffset]);
    if (length > block_left - kFragmentHeaderSize ||
        pos + kFragmentHeaderSize + length > file.size()) {
      return std::nullopt;
    }
    const std::string_view payload(header + kFragmentHeaderSize, length);
    if (DecodeFixed32(header + kFragmentChecksumOffset) !=
        FragmentChecksum(header, payload)) {
      return std::nullopt;
    }
    pos += kFragmentHeaderSize + length;
    if (pos == kFragmentHeaderSize + length) {  // the file header
      if (type != static_cast<uint8_t>(FragmentType::kFileHeader) ||
          length < kFileHeaderPayloadSize ||
          DecodeFixed64(payload.data() + kFileHeaderMagicOffset) !=
              kLogFileMagic ||
          DecodeFixed32(payload.data() + kFileHeaderVersionOffset) !=
              kLogFormatVersion ||
          static_cast<uint8_t>(payload[kFileHeaderKindOffset]) !=
              static_cast<uint8_t>(kind) ||
          DecodeFixed64(payload.data() + kFileHeaderFileNumberOffset) !=
              kFuzzLogFileNumber) {
        return std::nullopt;
      }
      continue;
    }
    if ((type & kFragmentTypeIgnorableBit) != 0) continue;
    switch (static_cast<FragmentType>(type)) {
      case FragmentType::kFull:
        if (in_record) return std::nullopt;
        records.emplace_back(payload);
        break;
      case FragmentType::kFirst:
        if (in_record) return std::nullopt;
        partial.assign(payload);
        in_record = true;
        break;
      case FragmentType::kMiddle:
        if (!in_record) return std::nullopt;
        partial.append(payload);
        break;
      case FragmentType::kLast:
        if (!in_record) return std::nullopt;
        records.push_back(partial + std::string(payload));
        in_record = false;
        break;
      default:
        return std::nullopt;
    }
  }
  if (pos == 0 || in_record) return std::nullopt;
  return records;
}

bool IsPrefix(const std::vector<std::string>& a,
              const std::vector<std::string>& b) {
  if (a.size() > b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

void CheckWriterRoundTrip(const std::vector<std::string>& records,
                          LogFileKind kind) {
  std::string file;
  LogWriter writer(std::make_unique<fuzz::MemoryWritableFile>(&file),
                   kFuzzLogFileNumber, kind);
  FERRISDB_FUZZ_CHECK(writer.WriteHeader().ok(), "WriteHeader");
  for (const std::string& r : records) {
    FERRISDB_FUZZ_CHECK(writer.AddRecord(r).ok(), "AddRecord");
  }
  FERRISDB_FUZZ_CHECK(writer.Close().ok(), "Close");
  FERRISDB_FUZZ_CHECK(writer.file_size() == file.size(), "file_size");
  const ReadOutcome back = ReadAll(file, kind);
  FERRISDB_FUZZ_CHECK(
      back.status.ok() && !back.tail_was_torn && back.records == records,
      "LogWriter output reads back differently: %s",
      back.status.ToString().c_str());
}

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferrisdb;
  fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const uint16_t cut_fraction = in.U16();
  std::string file = in.Rest();
  if ((flags & 1) != 0) FixChecksums(&file);
  const LogFileKind kind =
      (flags & 2) != 0 ? LogFileKind::kManifest : LogFileKind::kWal;

  const ReadOutcome full = ReadAll(file, kind);
  const std::optional<std::vector<std::string>> intact =
      ReadIntactLog(file, kind);
  if (intact) {
    FERRISDB_FUZZ_CHECK(
        full.status.ok() && !full.tail_was_torn && full.records == *intact,
        "an intact log of %zu records reads as %zu records, "
        "%s, torn %d",
        intact->size(), full.records.size(), full.status.ToString().c_str(),
        full.tail_was_torn);
  }
  if (full.status.ok() && !full.tail_was_torn) {
    FERRISDB_FUZZ_CHECK(
        (intact && *intact == full.records) || file.empty(),
        "the reader accepts %zu records from a log that is not intact "
        "(or holds other records)",
        full.records.size());
  }

  const size_t cut = file.size() * cut_fraction / 65536;
  const ReadOutcome truncated = ReadAll(file.substr(0, cut), kind);
  FERRISDB_FUZZ_CHECK(IsPrefix(truncated.records, full.records),
                      "file cut at %zu of %zu reads records the whole file "
                      "does not have",
                      cut, file.size());

  if (full.status.ok()) {
    const ReadOutcome clean =
        ReadAll(file.substr(0, full.end_of_valid_data), kind);
    FERRISDB_FUZZ_CHECK(clean.status.ok() && !clean.tail_was_torn &&
                            clean.records == full.records,
                        "file cut at end_of_valid_data %llu reads differently:"
                        " %s, %zu records of %zu, torn %d",
                        static_cast<unsigned long long>(full.end_of_valid_data),
                        clean.status.ToString().c_str(), clean.records.size(),
                        full.records.size(), clean.tail_was_torn);
  }
  CheckWriterRoundTrip(full.records, kind);
  return 0;
}
