// Index keys: the separators an index block stores between data blocks
// (docs/format/sstable.md "Index block"). Shorter separators make smaller
// index blocks; only the order properties below matter for correctness.
//
// Thread-safety: pure functions.
#ifndef FERRISDB_TABLE_INDEX_KEY_H_
#define FERRISDB_TABLE_INDEX_KEY_H_

#include <string>
#include <string_view>

namespace ferrisdb {

// Sets *separator to an internal key s with last <= s < next, preferably
// shorter than last: when the user key can be shortened to some u with
// user(last) < u < user(next), s = (u, kMaxSequenceNumber, kValueTypeForSeek),
// the smallest internal key of u. Otherwise s = last.
// REQUIRES: last < next (internal-key order); both are internal keys.
void FindShortSeparator(std::string_view last, std::string_view next,
                        std::string* separator);

// Sets *successor to an internal key s >= last, preferably short: the first
// user key byte that is not 0xff is incremented and the rest dropped, with the
// trailer of FindShortSeparator. s = last when the user key is all 0xff.
// REQUIRES: last is an internal key.
void FindShortSuccessor(std::string_view last, std::string* successor);

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_INDEX_KEY_H_
