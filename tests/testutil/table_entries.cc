#include "testutil/table_entries.h"

#include <memory>

#include "db/filename.h"
#include "ferrisdb/env.h"
#include "table/table_reader.h"
#include "util/status_macros.h"

namespace ferrisdb::testing {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ReadTableEntries(const std::string& dbname, const FileMetaData& f) {
  FERRISDB_ASSIGN_OR_RETURN(
      std::unique_ptr<RandomAccessFile> file,
      Env::Default()->NewRandomAccessFile(TableFileName(dbname, f.number)));
  FERRISDB_ASSIGN_OR_RETURN(
      std::unique_ptr<TableReader> reader,
      TableReader::Open({}, std::move(file), f.file_size, "table"));
  std::vector<std::pair<std::string, std::string>> entries;
  std::unique_ptr<InternalIterator> it =
      reader->NewIterator(/*verify_checksums=*/true);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    entries.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return it->status();
  return entries;
}

}  // namespace ferrisdb::testing
