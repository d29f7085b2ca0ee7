#include "table/index_key.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

#include "memtable/internal_key.h"

namespace ferrisdb {

void FindShortSeparator(std::string_view last, std::string_view next,
                        std::string* separator) {
  assert(CompareInternalKeys(last, next) < 0);
  const std::string_view a = ExtractUserKey(last);
  const std::string_view b = ExtractUserKey(next);
  const size_t min_len = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < min_len && a[i] == b[i]) ++i;
  // If a is a prefix of b (or equal to it) no user key lies strictly between
  // a prefix of a's length and b that is shorter than a.
  if (i < min_len) {
    const auto byte = static_cast<uint8_t>(a[i]);
    // u = a[0..i] + (byte + 1): a < u because it is larger at position i,
    // u < b because byte + 1 < b[i].
    if (byte < 0xff && byte + 1 < static_cast<uint8_t>(b[i]) &&
        i + 1 < a.size()) {
      separator->assign(a.data(), i);
      separator->push_back(static_cast<char>(byte + 1));
      // The smallest internal key of u: it sorts after every entry of a
      // (u > a) and before every entry of b (u < b).
      AppendInternalKey(separator, {}, kMaxSequenceNumber, kValueTypeForSeek);
      return;
    }
  }
  separator->assign(last.data(), last.size());
}

void FindShortSuccessor(std::string_view last, std::string* successor) {
  const std::string_view a = ExtractUserKey(last);
  for (size_t i = 0; i < a.size(); ++i) {
    const auto byte = static_cast<uint8_t>(a[i]);
    if (byte != 0xff) {
      if (i + 1 == a.size()) break;  // no shorter than last: keep last
      successor->assign(a.data(), i);
      successor->push_back(static_cast<char>(byte + 1));
      AppendInternalKey(successor, {}, kMaxSequenceNumber, kValueTypeForSeek);
      return;
    }
  }
  successor->assign(last.data(), last.size());
}

}  // namespace ferrisdb
