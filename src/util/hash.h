// Checksums and hashes: XXH3 everywhere (see docs/format/ for which bytes each
// format covers).
#ifndef FERRISDB_UTIL_HASH_H_
#define FERRISDB_UTIL_HASH_H_

#include <cstdint>
#include <string_view>

namespace ferrisdb {

// 64-bit XXH3 of data.
uint64_t Hash64(std::string_view data, uint64_t seed = 0);

// 32-bit checksum stored in formats: the low 32 bits of XXH3-64 (seed 0).
inline uint32_t Checksum32(std::string_view data) {
  return static_cast<uint32_t>(Hash64(data));
}

// Checksum of the concatenation a || b without copying.
uint32_t Checksum32(std::string_view a, std::string_view b);

}  // namespace ferrisdb

#endif  // FERRISDB_UTIL_HASH_H_
