#include "util/strings.h"

#include "absl/strings/str_format.h"

namespace ferrisdb {

std::string EscapeBytes(std::string_view bytes, size_t max_bytes) {
  std::string out;
  const size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  if (n < bytes.size()) absl::StrAppendFormat(&out, "...(%d bytes)", bytes.size());
  return out;
}

}  // namespace ferrisdb
