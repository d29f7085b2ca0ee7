// Reads a DB's table file back, entry by entry, for tests that check what a
// flush or compaction wrote (which versions, which sequence numbers).
#ifndef FERRISDB_TESTS_TESTUTIL_TABLE_ENTRIES_H_
#define FERRISDB_TESTS_TESTUTIL_TABLE_ENTRIES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "version/version_edit.h"

namespace ferrisdb::testing {

// Every entry of table f of the DB at dbname, in table order: (internal
// key, value). Checksums verified; an error if the file cannot be read.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ReadTableEntries(const std::string& dbname, const FileMetaData& f);

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_TABLE_ENTRIES_H_
