// Iterators over one open table for the DB's read paths: they own a reference
// to the TableReader, so the table stays open for as long as the iterator
// lives even if the table cache closes it meanwhile.
#ifndef FERRISDB_DB_TABLE_ITERATOR_H_
#define FERRISDB_DB_TABLE_ITERATOR_H_

#include <memory>

#include "table/table_reader.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

// An iterator over every entry of reader (see TableReader::NewIterator), which
// keeps reader alive. REQUIRES: reader != nullptr.
std::unique_ptr<InternalIterator> NewPinnedTableIterator(
    std::shared_ptr<const TableReader> reader, bool verify_checksums,
    bool fill_cache = true);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_TABLE_ITERATOR_H_
