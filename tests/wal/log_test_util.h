// Helpers for the log tests: string-backed files (with injectable failures and
// short reads), a reader loop that collects the outcome, and an independent
// parser/encoder of the fragment format of docs/format/log.md so that tests
// can inspect and hand-craft files without going through LogWriter.
#ifndef FERRISDB_TESTS_WAL_LOG_TEST_UTIL_H_
#define FERRISDB_TESTS_WAL_LOG_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/hash.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace ferrisdb::testing {

inline constexpr uint64_t kTestFileNumber = 12;
inline constexpr char kTestFileName[] = "000012.log";

// A WritableFile appending to a string owned by the test. Can be told to fail
// an Append after `fail_after_bytes` bytes in total were accepted (the failing
// Append writes the bytes up to that limit, like a short write), or to fail
// Sync.
class StringWritableFile : public WritableFile {
 public:
  explicit StringWritableFile(std::string* contents) : contents_(contents) {}

  void FailAfterBytes(size_t n) { fail_after_bytes_ = n; }
  void FailSync() { fail_sync_ = true; }
  int append_calls() const { return append_calls_; }

  absl::Status Append(std::string_view data) override {
    ++append_calls_;
    if (closed_) return absl::FailedPreconditionError("append after close");
    if (contents_->size() + data.size() > fail_after_bytes_) {
      const size_t room = fail_after_bytes_ - contents_->size();
      contents_->append(data.data(), std::min(room, data.size()));
      return absl::ResourceExhaustedError("test file: disk full");
    }
    contents_->append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override {
    if (fail_sync_) return absl::InternalError("test file: sync failed");
    return absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  std::string* contents_;
  size_t fail_after_bytes_ = SIZE_MAX;
  bool fail_sync_ = false;
  bool closed_ = false;
  int append_calls_ = 0;
};

// A SequentialFile over a copy of a string. max_read limits the bytes one
// Read returns (short reads before the end, which the reader must tolerate);
// with use_own_memory, Read returns views of the string instead of copying
// into scratch.
class StringSequentialFile : public SequentialFile {
 public:
  explicit StringSequentialFile(std::string contents,
                                size_t max_read = SIZE_MAX,
                                bool use_own_memory = false)
      : contents_(std::move(contents)),
        max_read_(max_read),
        use_own_memory_(use_own_memory) {}

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    const size_t k = std::min({n, max_read_, contents_.size() - pos_});
    if (use_own_memory_) {
      *result = std::string_view(contents_.data() + pos_, k);
    } else {
      std::copy_n(contents_.data() + pos_, k, scratch);
      *result = std::string_view(scratch, k);
    }
    pos_ += k;
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, contents_.size() - pos_));
    return absl::OkStatus();
  }

 private:
  const std::string contents_;
  size_t pos_ = 0;
  const size_t max_read_;
  const bool use_own_memory_;
};

// Writes a log with the given records (file number kTestFileNumber, a WAL).
inline std::string WriteLog(const std::vector<std::string>& records,
                            uint64_t file_number = kTestFileNumber,
                            LogFileKind kind = LogFileKind::kWal) {
  std::string contents;
  LogWriter writer(std::make_unique<StringWritableFile>(&contents), file_number,
                   kind);
  absl::Status s = writer.WriteHeader();
  for (const std::string& r : records) {
    if (s.ok()) s = writer.AddRecord(r);
  }
  if (s.ok()) s = writer.Close();
  if (!s.ok()) ADD_FAILURE() << s.ToString();
  return contents;
}

// The outcome of reading a whole log.
struct ReadOutcome {
  std::vector<std::string> records;
  std::vector<uint64_t> record_offsets;  // last_record_offset() of each
  absl::Status status;  // OK if the log ended (ReadRecord returned false)
  bool tail_was_torn = false;
  uint64_t end_of_valid_data = 0;
};

inline ReadOutcome ReadLog(std::string contents,
                           uint64_t file_number = kTestFileNumber,
                           LogFileKind kind = LogFileKind::kWal,
                           size_t max_read = SIZE_MAX,
                           bool use_own_memory = false) {
  LogReader reader(std::make_unique<StringSequentialFile>(
                       std::move(contents), max_read, use_own_memory),
                   kTestFileName, file_number, kind);
  ReadOutcome out;
  std::string scratch;
  std::string_view record;
  while (true) {
    absl::StatusOr<bool> r = reader.ReadRecord(&record, &scratch);
    if (!r.ok()) {
      out.status = r.status();
      break;
    }
    if (!*r) break;
    out.records.emplace_back(record);
    out.record_offsets.push_back(reader.last_record_offset());
  }
  out.tail_was_torn = reader.tail_was_torn();
  out.end_of_valid_data = reader.end_of_valid_data();
  return out;
}

// One fragment found by ParseFragments.
struct FragmentInfo {
  uint64_t offset;  // of the header
  uint8_t type;
  size_t length;  // of the payload
  uint64_t end() const { return offset + kFragmentHeaderSize + length; }
};

// Walks a well-formed log per docs/format/log.md, independently of
// LogReader. Stops at the first header that does not fit.
inline std::vector<FragmentInfo> ParseFragments(std::string_view contents) {
  std::vector<FragmentInfo> out;
  uint64_t pos = 0;
  while (pos < contents.size()) {
    const uint64_t left_in_block = kLogBlockSize - pos % kLogBlockSize;
    if (left_in_block < kFragmentHeaderSize) {
      pos += left_in_block;
      continue;
    }
    if (pos + kFragmentHeaderSize > contents.size()) break;
    FragmentInfo f;
    f.offset = pos;
    f.type = static_cast<uint8_t>(contents[pos + kFragmentTypeOffset]);
    f.length = DecodeFixed16(contents.data() + pos + kFragmentLengthOffset);
    out.push_back(f);
    pos = f.end();
  }
  return out;
}

// A fragment encoded by hand (checksum over length | type | payload).
inline std::string MakeFragment(uint8_t type, std::string_view payload) {
  std::string header(kFragmentHeaderSize, '\0');
  EncodeFixed16(header.data() + 4, static_cast<uint16_t>(payload.size()));
  header[6] = static_cast<char>(type);
  std::string covered = header.substr(4, 3);
  covered.append(payload);
  EncodeFixed32(header.data(), Checksum32(covered));
  return header + std::string(payload);
}

// A file header payload with every field chosen by the test.
inline std::string MakeFileHeaderPayload(uint64_t magic, uint32_t version,
                                         uint8_t kind, uint64_t file_number) {
  std::string p;
  PutFixed64(&p, magic);
  PutFixed32(&p, version);
  p.push_back(static_cast<char>(kind));
  PutFixed64(&p, file_number);
  return p;
}

inline std::string RandomBytes(std::mt19937* rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

// A payload whose bytes depend on its index and size, so that a record
// returned in the wrong place or glued to another is noticed.
inline std::string PatternRecord(size_t index, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((index * 131 + i * 7 + (i >> 8)) & 0xff);
  }
  return s;
}

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_WAL_LOG_TEST_UTIL_H_
