// In-memory files and table helpers shared by the tests of src/table.
#ifndef FERRISDB_TESTS_TABLE_TABLE_TEST_UTIL_H_
#define FERRISDB_TESTS_TABLE_TABLE_TEST_UTIL_H_

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "table/table_builder.h"
#include "table/table_reader.h"

namespace ferrisdb::testing {

// Appends to a string it owns.
class StringSink final : public WritableFile {
 public:
  absl::Status Append(std::string_view data) override {
    contents_.append(data);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string& contents() { return contents_; }

 private:
  std::string contents_;
};

// Reads from a string it owns; counts reads. Copies into scratch, as a
// file-backed implementation would; or, if `mapped`, behaves like a memory
// mapping: MappedContents() is the string and Read points into it.
class StringSource final : public RandomAccessFile {
 public:
  explicit StringSource(std::string contents, bool mapped = false)
      : contents_(std::move(contents)), mapped_(mapped) {}
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    ++reads_;
    if (offset > contents_.size()) {
      *result = {};
      return absl::OkStatus();
    }
    n = std::min(n, contents_.size() - static_cast<size_t>(offset));
    if (mapped_) {
      *result = std::string_view(contents_).substr(offset, n);
      return absl::OkStatus();
    }
    if (n > 0) std::memcpy(scratch, contents_.data() + offset, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }
  std::optional<std::string_view> MappedContents() const override {
    if (!mapped_) return std::nullopt;
    return contents_;
  }
  int reads() const { return reads_; }

 private:
  const std::string contents_;
  const bool mapped_;
  mutable int reads_ = 0;
};

// An internal key as a string.
inline std::string IKey(std::string_view user_key, SequenceNumber seq,
                        ValueType type = ValueType::kValue) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

// Builds a table from entries sorted by internal key; returns its bytes.
inline absl::StatusOr<std::string> BuildTable(
    const TableBuildOptions& options,
    const std::vector<std::pair<std::string, std::string>>& entries) {
  StringSink sink;
  TableBuilder builder(options, &sink, "test.sst");
  for (const auto& [k, v] : entries) {
    absl::Status s = builder.Add(k, v);
    if (!s.ok()) return s;
  }
  absl::Status s = builder.Finish();
  if (!s.ok()) return s;
  if (builder.FileSize() != sink.contents().size()) {
    return absl::InternalError("FileSize disagrees with the bytes written");
  }
  return std::move(sink.contents());
}

// Opens a table held in memory; `mapped`: as if memory-mapped (see
// StringSource), so data blocks are read in place.
inline absl::StatusOr<std::unique_ptr<TableReader>> OpenTable(
    std::string contents, std::string name = "test.sst",
    const TableReadOptions& options = {}, bool mapped = false) {
  const uint64_t size = contents.size();
  return TableReader::Open(
      options, std::make_unique<StringSource>(std::move(contents), mapped),
      size, std::move(name));
}

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TABLE_TABLE_TEST_UTIL_H_
