// LogReader reads back the records of a log file written by LogWriter
// (docs/format/log.md), telling a torn tail left by a crash apart from damage
// in the middle of the file.
#ifndef FERRISDB_WAL_LOG_READER_H_
#define FERRISDB_WAL_LOG_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"
#include "wal/log_format.h"

namespace ferrisdb {

// Reads the records of one log file in order.
//
// The file header is checked on the first call to ReadRecord: a bad magic
// number, a file kind or file number other than expected, or an unknown older
// format version is DataLoss; a newer format version is FailedPrecondition.
//
// Torn tail versus damage (log.md "Reading: torn tail versus damage"): a
// crash while appending leaves a torn tail (a partial or unverifiable
// fragment, zero-filled or garbage bytes, or a record whose last fragment
// never made it). When the reader meets a bad fragment it scans the rest of
// the file for any fragment whose checksum verifies. If there is none, the bad
// bytes are a torn tail and the log ends cleanly (ReadRecord returns false and
// tail_was_torn() is true). If there is one, data after the damage would be
// lost: ReadRecord returns DataLoss naming the file and the offset of the bad
// fragment. A fragment sequence that no writer produces (a Middle or Last
// without a First, a record that restarts before its Last) is always DataLoss.
//
// The reader never returns a record that failed its checksum, part of a
// record, or two records joined. Once ReadRecord has returned false or an
// error it returns the same on every later call.
//
// REQUIRES: external synchronization.
class LogReader {
 public:
  // file_name is used in messages only ("log <file_name>: ...").
  LogReader(std::unique_ptr<SequentialFile> file, std::string file_name,
            uint64_t expected_file_number, LogFileKind expected_kind);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;
  ~LogReader();

  // Reads the next record. Returns true with *record set, false at the end of
  // the log (clean or torn), or an error: DataLoss for damage, the file's
  // error for a failed read. *record stays valid until the next call or the
  // destruction of the reader and may point into *scratch or into the
  // reader's block buffer.
  // REQUIRES: record and scratch are not null.
  absl::StatusOr<bool> ReadRecord(std::string_view* record,
                                  std::string* scratch);

  // File offset of the first fragment of the record last returned.
  uint64_t last_record_offset() const { return last_record_offset_; }

  // File offset just after the last valid fragment that completed a record
  // (or the file header, or an ignorable fragment between records): where a
  // clean copy of the log would end. 0 if not even the header was valid.
  uint64_t end_of_valid_data() const { return end_of_valid_data_; }

  // After ReadRecord returned false: true if bytes followed
  // end_of_valid_data(), i.e. the log ended in a torn tail rather than
  // exactly after its last record.
  bool tail_was_torn() const { return tail_was_torn_; }

 private:
  // A fragment parsed from the block buffer.
  struct Fragment {
    uint8_t type;
    std::string_view payload;  // points into block_
    uint64_t offset;           // file offset of the header
  };
  // Why the bytes at an offset are not a valid fragment.
  struct BadFragment {
    uint64_t offset;
    std::string reason;  // e.g. "checksum mismatch in fragment"
  };
  enum class NextResult { kFragment, kEndOfFile, kBad };

  // Parses the next fragment, reading blocks as needed. On kBad sets *bad and
  // leaves the block position at the bad fragment.
  absl::StatusOr<NextResult> NextFragment(Fragment* fragment, BadFragment* bad);
  // Reads the next block into block_. Sets eof_ if it is short.
  absl::Status ReadBlock();
  // Scans every byte position after the bad fragment to the end of the file
  // for a fragment whose checksum verifies; returns its offset, or nullopt.
  absl::StatusOr<std::optional<uint64_t>> FindValidFragmentAfterBad();
  // Handles a bad fragment: DataLoss if valid data follows, otherwise ends
  // the log as a torn tail (returns false).
  absl::StatusOr<bool> HandleBadFragment(const BadFragment& bad);
  absl::Status CheckFileHeader(const Fragment& fragment) const;
  // Reads and checks the file header. Returns false if the log ends (empty
  // or torn) before a valid header.
  absl::StatusOr<bool> ReadFileHeader();
  // Ends the log cleanly or with a torn tail; returns false.
  bool EndOfLog();
  // DataLoss with "log <file_name>: " before what.
  absl::Status DataLoss(std::string_view what) const;
  // ReadRecord without the stickiness of its end and errors.
  absl::StatusOr<bool> ReadRecordImpl(std::string_view* record,
                                      std::string* scratch);

  // Immutable after construction.
  const std::unique_ptr<SequentialFile> file_;
  const std::string file_name_;
  const uint64_t expected_file_number_;
  const LogFileKind expected_kind_;
  const std::unique_ptr<char[]> block_;  // kLogBlockSize bytes

  size_t block_len_ = 0;       // valid bytes in block_
  size_t block_pos_ = 0;       // next unparsed byte in block_
  uint64_t block_offset_ = 0;  // file offset of block_[0]
  bool eof_ = false;           // block_ is the last block of the file
  bool header_checked_ = false;
  bool done_ = false;   // ReadRecord returned false
  absl::Status error_;  // ReadRecord returned this error; sticky

  uint64_t last_record_offset_ = 0;
  uint64_t end_of_valid_data_ = 0;
  bool tail_was_torn_ = false;
};

}  // namespace ferrisdb

#endif  // FERRISDB_WAL_LOG_READER_H_
