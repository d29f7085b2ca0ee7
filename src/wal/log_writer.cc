#include "wal/log_writer.h"

#include <algorithm>
#include <utility>

#include "util/status_macros.h"

namespace ferrisdb {

namespace {

// Zero bytes for block trailers (at most kFragmentHeaderSize - 1 are needed).
constexpr char kZeroPadding[kFragmentHeaderSize] = {};

}  // namespace

LogWriter::LogWriter(std::unique_ptr<WritableFile> file, uint64_t file_number,
                     LogFileKind kind)
    : file_(std::move(file)), file_number_(file_number), kind_(kind) {}

absl::Status LogWriter::CheckUsable() const {
  if (!error_.ok()) return error_;
  if (closed_) {
    return absl::FailedPreconditionError("log writer: the log was closed");
  }
  return absl::OkStatus();
}

absl::Status LogWriter::Append(std::string_view data) {
  absl::Status s = file_->Append(data);
  if (!s.ok()) {
    error_ = s;
    return s;
  }
  file_size_ += data.size();
  return absl::OkStatus();
}

absl::Status LogWriter::WriteHeader() {
  FERRISDB_RETURN_IF_ERROR(CheckUsable());
  if (header_written_) return absl::OkStatus();
  char payload[kFileHeaderPayloadSize];
  EncodeFileHeaderPayload(kind_, file_number_, payload);
  FERRISDB_RETURN_IF_ERROR(EmitFragment(
      FragmentType::kFileHeader, std::string_view(payload, sizeof(payload))));
  header_written_ = true;
  return absl::OkStatus();
}

absl::Status LogWriter::AddRecord(std::string_view payload) {
  FERRISDB_RETURN_IF_ERROR(WriteHeader());
  // Split into fragments (log.md "Records and fragments"). An empty payload
  // still produces one (empty) kFull fragment, hence do/while.
  bool first = true;
  do {
    const size_t left_in_block = kLogBlockSize - block_offset_;
    if (left_in_block < kFragmentHeaderSize) {
      // Too small for a header: zero-fill the trailer (log.md "Blocks").
      FERRISDB_RETURN_IF_ERROR(
          Append(std::string_view(kZeroPadding, left_in_block)));
      block_offset_ = 0;
    }
    const size_t room = kLogBlockSize - block_offset_ - kFragmentHeaderSize;
    const size_t n = std::min(room, payload.size());
    const bool last = n == payload.size();
    FragmentType type;
    if (first && last) {
      type = FragmentType::kFull;
    } else if (first) {
      type = FragmentType::kFirst;
    } else if (last) {
      type = FragmentType::kLast;
    } else {
      type = FragmentType::kMiddle;
    }
    FERRISDB_RETURN_IF_ERROR(EmitFragment(type, payload.substr(0, n)));
    payload.remove_prefix(n);
    first = false;
  } while (!payload.empty());
  return absl::OkStatus();
}

absl::Status LogWriter::EmitFragment(FragmentType type,
                                     std::string_view payload) {
  char header[kFragmentHeaderSize];
  EncodeFragmentHeader(type, payload, header);
  // Two Appends, no copy of the payload: the file buffers small writes.
  FERRISDB_RETURN_IF_ERROR(Append(std::string_view(header, sizeof(header))));
  if (!payload.empty()) FERRISDB_RETURN_IF_ERROR(Append(payload));
  block_offset_ += kFragmentHeaderSize + payload.size();
  // A fragment may end exactly at the block end; the next one starts a block.
  if (block_offset_ == kLogBlockSize) block_offset_ = 0;
  return absl::OkStatus();
}

absl::Status LogWriter::Flush() {
  FERRISDB_RETURN_IF_ERROR(CheckUsable());
  absl::Status s = file_->Flush();
  if (!s.ok()) error_ = s;
  return s;
}

absl::Status LogWriter::StartWriteback() {
  FERRISDB_RETURN_IF_ERROR(CheckUsable());
  absl::Status s = file_->StartWriteback();
  if (!s.ok()) error_ = s;  // it flushes: a failure is a failed write
  return s;
}

absl::Status LogWriter::Sync() {
  FERRISDB_RETURN_IF_ERROR(CheckUsable());
  // A failed fsync cannot be retried safely (the kernel may have dropped the
  // dirty pages), so it breaks the writer like a failed Append.
  absl::Status s = file_->Sync();
  if (!s.ok()) error_ = s;
  return s;
}

absl::Status LogWriter::Close() {
  FERRISDB_RETURN_IF_ERROR(CheckUsable());
  absl::Status s = file_->Close();
  if (!s.ok()) {
    error_ = s;
    return s;
  }
  closed_ = true;
  return absl::OkStatus();
}

}  // namespace ferrisdb
