// MergingIterator: the union of several InternalIterators, in internal-key
// order. A read merges the memtables, each level-0 table and one concatenating
// iterator per deeper level (see level_iterator.h).
//
// Cost: a step (Next/Prev in an unchanged direction) is O(log n) comparisons
// for n children (a binary heap of the children's current keys); a seek or a
// change of direction repositions every child.
#ifndef FERRISDB_DB_MERGING_ITERATOR_H_
#define FERRISDB_DB_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "util/internal_iterator.h"

namespace ferrisdb {

// Returns an iterator over the union of children. Internal keys must be
// unique across children (they are: every write has its own sequence number).
//
// Errors: status() reports the first error of any child (in the order of
// `children`). A child that stops on an error also stops the merge: once it
// is seen (the child becomes invalid with a non-OK status), Valid() is false,
// so no entry past the error is returned as if the child had ended. The merge
// keeps no error of its own: after a new positioning call (Seek*, SeekTo*) it
// is stopped again only if a child still reports its error (table and level
// iterators keep theirs).
//
// REQUIRES: external synchronization, like every InternalIterator.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_MERGING_ITERATOR_H_
