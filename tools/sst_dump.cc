// ferrisdb_sst_dump: prints the properties of FerrisDB table files and,
// optionally, their entries; --verify reads every block with checksum
// verification and reports damage (DataLoss with the file and offset).
//
//   ferrisdb_sst_dump [--entries] [--max_entries=N] [--verify] FILE.sst...
//
// Exit status: 0 if every file opened (and verified), 1 otherwise.
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "table/table_reader.h"
#include "util/strings.h"

ABSL_FLAG(bool, entries, false, "print the entries (internal keys, values)");
ABSL_FLAG(int64_t, max_entries, 100,
          "with --entries: print at most this many per file (-1: all)");
ABSL_FLAG(bool, verify, false,
          "read every data block with checksum verification");

namespace ferrisdb {
namespace {

const char* CompressionName(CompressionType c) {
  switch (c) {
    case CompressionType::kNone:
      return "none";
    case CompressionType::kZstd:
      return "zstd";
  }
  return "unknown";
}

void PrintProperties(const TableProperties& p) {
  const auto created = static_cast<std::time_t>(p.creation_time);
  char when[64] = "?";
  if (std::tm tm; gmtime_r(&created, &tm) != nullptr) {
    std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
  }
  std::printf("  format version     %u\n", p.format_version);
  std::printf("  entries            %llu (%llu deletions)\n",
              static_cast<unsigned long long>(p.num_entries),
              static_cast<unsigned long long>(p.num_deletions));
  std::printf("  raw key bytes      %llu\n",
              static_cast<unsigned long long>(p.raw_key_size));
  std::printf("  raw value bytes    %llu\n",
              static_cast<unsigned long long>(p.raw_value_size));
  std::printf("  data blocks        %llu (%llu bytes, %s)\n",
              static_cast<unsigned long long>(p.num_data_blocks),
              static_cast<unsigned long long>(p.data_size),
              CompressionName(p.compression));
  std::printf("  index bytes        %llu\n",
              static_cast<unsigned long long>(p.index_size));
  std::printf("  filter bytes       %llu\n",
              static_cast<unsigned long long>(p.filter_size));
  std::printf("  sequence numbers   %llu .. %llu\n",
              static_cast<unsigned long long>(p.smallest_sequence),
              static_cast<unsigned long long>(p.largest_sequence));
  std::printf("  user keys          '%s' .. '%s'\n",
              EscapeBytes(p.smallest_user_key).c_str(),
              EscapeBytes(p.largest_user_key).c_str());
  std::printf("  created            %s\n", when);
}

// Prints and/or verifies the entries. Returns the iterator's final status.
absl::Status ScanEntries(const TableReader& reader, bool print,
                         int64_t max_print) {
  std::unique_ptr<InternalIterator> it = reader.NewIterator(true);
  int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    if (print && (max_print < 0 || n < max_print)) {
      std::printf("  %s => '%s'\n", InternalKeyDebugString(it->key()).c_str(),
                  EscapeBytes(it->value()).c_str());
    }
  }
  if (print && max_print >= 0 && n > max_print) {
    std::printf("  ... %lld more entries\n",
                static_cast<long long>(n - max_print));
  }
  return it->status();
}

bool DumpFile(const std::string& path) {
  Env* env = Env::Default();
  std::printf("%s\n", path.c_str());
  absl::StatusOr<uint64_t> size = env->GetFileSize(path);
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file =
      size.ok()
          ? env->NewRandomAccessFile(path)
          : absl::StatusOr<std::unique_ptr<RandomAccessFile>>(size.status());
  if (!file.ok()) {
    std::printf("  error: %s\n", file.status().ToString().c_str());
    return false;
  }
  const std::string name = path.substr(path.find_last_of('/') + 1);
  absl::StatusOr<std::unique_ptr<TableReader>> reader =
      TableReader::Open({}, *std::move(file), *size, name);
  if (!reader.ok()) {
    std::printf("  error: %s\n", reader.status().ToString().c_str());
    return false;
  }
  std::printf("  file bytes         %llu\n",
              static_cast<unsigned long long>(*size));
  PrintProperties((*reader)->properties());
  const bool print = absl::GetFlag(FLAGS_entries);
  if (print || absl::GetFlag(FLAGS_verify)) {
    absl::Status s =
        ScanEntries(**reader, print, absl::GetFlag(FLAGS_max_entries));
    if (!s.ok()) {
      std::printf("  error: %s\n", s.ToString().c_str());
      return false;
    }
    if (absl::GetFlag(FLAGS_verify)) std::printf("  verified: OK\n");
  }
  return true;
}

}  // namespace
}  // namespace ferrisdb

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "prints FerrisDB table properties and entries:\n"
      "  ferrisdb_sst_dump [--entries] [--max_entries=N] [--verify] "
      "FILE.sst...");
  std::vector<char*> files = absl::ParseCommandLine(argc, argv);
  if (files.size() < 2) {
    std::fprintf(stderr, "usage: %s [flags] FILE.sst...\n", files[0]);
    return 2;
  }
  bool ok = true;
  for (size_t i = 1; i < files.size(); ++i) {
    ok = ferrisdb::DumpFile(files[i]) && ok;
  }
  return ok ? 0 : 1;
}
