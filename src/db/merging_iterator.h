// MergingIterator: the union of several InternalIterators, in internal-key
// order. Used over the memtables (and, later, tables) of a read view.
#ifndef FERRISDB_DB_MERGING_ITERATOR_H_
#define FERRISDB_DB_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "util/internal_iterator.h"

namespace ferrisdb {

// Returns an iterator over the union of children. Internal keys must be
// unique across children (they are: every write has its own sequence number).
// status() reports the first error of any child.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_MERGING_ITERATOR_H_
