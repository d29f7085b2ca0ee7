// DBIter: turns an InternalIterator (every version of every key, tombstones
// included) into the user-visible Iterator at one sequence number: for each
// user key only the newest entry with sequence <= the read sequence counts,
// and a key whose newest such entry is a deletion is hidden.
#ifndef FERRISDB_DB_DB_ITER_H_
#define FERRISDB_DB_DB_ITER_H_

#include <memory>
#include <optional>
#include <string>

#include "ferrisdb/iterator.h"
#include "ferrisdb/statistics.h"
#include "memtable/internal_key.h"
#include "util/internal_iterator.h"

namespace ferrisdb {

// `pinned` keeps alive whatever `internal` reads from (the read view) for as
// long as the returned iterator lives.
//
// lower_bound (inclusive) and upper_bound (exclusive) limit the user keys the
// iterator shows, as ReadOptions::iterate_lower_bound / iterate_upper_bound
// document; std::nullopt leaves that side open. Moving forward, the iterator
// stops at the first internal entry whose user key is >= upper_bound;
// moving backward, at the first one below lower_bound: it reads at most one
// entry past a bound.
//
// statistics (may be nullptr) receives the iterator's seeks and steps.
std::unique_ptr<Iterator> NewDBIterator(
    std::unique_ptr<InternalIterator> internal, SequenceNumber sequence,
    std::shared_ptr<const void> pinned, std::optional<std::string> lower_bound,
    std::optional<std::string> upper_bound, Statistics* statistics = nullptr);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_DB_ITER_H_
