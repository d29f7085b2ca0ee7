// LevelIterator: the entries of one sorted level (level >= 1: files ordered by
// smallest key, key ranges disjoint) as one InternalIterator, the files
// concatenated. Only the file the iterator is positioned in is open: a seek
// binary-searches the file metadata, and Next/Prev open the neighbouring file
// when they run off the current one (empty files are passed over).
//
// A single level-0 file is a one-file level, so this also gives level-0 tables
// a lazily opened iterator.
#ifndef FERRISDB_DB_LEVEL_ITERATOR_H_
#define FERRISDB_DB_LEVEL_ITERATOR_H_

#include <memory>
#include <vector>

#include "db/table_cache.h"
#include "util/internal_iterator.h"
#include "version/version_edit.h"

namespace ferrisdb {

// Returns an iterator over the concatenation of files, opened through
// table_cache (blocks checksum-verified if verify_checksums). The iterator
// keeps the TableReader of its current file alive, and shares ownership of
// the metadata in files.
//
// Errors: a table that cannot be opened, or a read error inside one, stops
// the iteration: Valid() becomes false and status() reports the error (it is
// never taken for the end of the level). Errors are sticky: later positioning
// calls leave the iterator invalid with the same status, like table iterators.
//
// REQUIRES: files sorted by smallest key with disjoint, non-empty key ranges
// ([smallest, largest] internal keys that match the tables' contents);
// table_cache outlives the iterator; external synchronization.
std::unique_ptr<InternalIterator> NewLevelIterator(
    TableCache* table_cache,
    std::vector<std::shared_ptr<const FileMetaData>> files,
    bool verify_checksums, bool fill_cache = true);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_LEVEL_ITERATOR_H_
