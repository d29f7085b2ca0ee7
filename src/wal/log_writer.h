// LogWriter appends records to a log file (a WAL or a MANIFEST) in the
// framing of docs/format/log.md: a file header record, then each record split
// into checksummed fragments that never cross a 32 KiB block boundary.
#ifndef FERRISDB_WAL_LOG_WRITER_H_
#define FERRISDB_WAL_LOG_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "ferrisdb/env.h"
#include "wal/log_format.h"

namespace ferrisdb {

// Writes a new log file from its first byte (appending to an existing log is
// not supported: a log is written by one LogWriter from creation to close).
//
// Error handling: after any failed call to the file (Append, Flush, Sync,
// Close) the writer is broken and every later call returns that same error,
// so a record is never written after a partially written fragment. After a
// successful Close every later call returns FailedPrecondition.
//
// REQUIRES: external synchronization.
class LogWriter {
 public:
  // file_number and kind go into the file header, where LogReader checks them
  // against what its caller expected.
  LogWriter(std::unique_ptr<WritableFile> file, uint64_t file_number,
            LogFileKind kind);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  // Destroys the file object, which closes the file if Close was not called
  // (ignoring errors; buffered data may be lost).
  ~LogWriter() = default;

  // Writes the file header record if it has not been written yet; otherwise
  // does nothing. A newly created log should call this (and Sync) before
  // anything else so that the file is never observed without its header;
  // otherwise the first AddRecord writes it.
  absl::Status WriteHeader();

  // Appends one record. The payload may be empty; any size up to the limits
  // of memory is accepted (records longer than a block are fragmented). The
  // record is handed to the file with Append only: call Flush or Sync to make
  // it survive a process crash or a power loss.
  absl::Status AddRecord(std::string_view payload);

  // Forward to the file (see WritableFile).
  absl::Status Flush();
  absl::Status Sync();
  // Hands the record data to the OS and starts writing it to storage
  // without waiting (WritableFile::StartWriteback), so the next Sync is
  // short.
  absl::Status StartWriteback();
  absl::Status Close();

  // Bytes handed to the file by successful Appends, including the header and
  // block padding: the size the file will have once flushed.
  uint64_t file_size() const { return file_size_; }

 private:
  // Appends data and accounts for it; on failure records the sticky error.
  absl::Status Append(std::string_view data);
  absl::Status EmitFragment(FragmentType type, std::string_view payload);
  // The sticky error or the "closed" error, or OK if the writer is usable.
  absl::Status CheckUsable() const;

  // Immutable after construction.
  std::unique_ptr<WritableFile> file_;
  const uint64_t file_number_;
  const LogFileKind kind_;

  uint64_t file_size_ = 0;
  // Offset of the next byte within the current block, in [0, kLogBlockSize).
  size_t block_offset_ = 0;
  bool header_written_ = false;
  bool closed_ = false;
  absl::Status error_;  // the first failure; sticky
};

}  // namespace ferrisdb

#endif  // FERRISDB_WAL_LOG_WRITER_H_
