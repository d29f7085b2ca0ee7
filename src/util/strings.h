// The one boundary between std::string_view (FerrisDB's API) and Debian
// abseil 20220623's own absl::string_view.
#ifndef FERRISDB_UTIL_STRINGS_H_
#define FERRISDB_UTIL_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace ferrisdb {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

// Printable form of arbitrary bytes for error messages: printable ASCII as
// is, everything else as \xNN; truncated after max_bytes input bytes.
std::string EscapeBytes(std::string_view bytes, size_t max_bytes = 64);

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_STRINGS_H_
