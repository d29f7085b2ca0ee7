// Constants of the bloom filter encoding stored in SSTable filter blocks. The
// format is specified byte by byte in docs/format/bloom_filter.md; change both
// together, and bump kBloomFormatVersion for any change an older reader would
// misread (including the way bit positions are derived from a key's hash).
#ifndef FERRISDB_TABLE_BLOOM_FORMAT_H_
#define FERRISDB_TABLE_BLOOM_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace ferrisdb {

// The filter is an array of lines of kBloomLineBytes; every key sets and
// tests bits of exactly one line, so a probe touches one cache line.
// (bloom_filter.md "Lines")
inline constexpr size_t kBloomLineBytes = 64;
inline constexpr uint32_t kBloomLineBits = kBloomLineBytes * 8;
// log2(kBloomLineBits): the bits of hash that select a bit inside a line.
inline constexpr int kBloomLineBitsLog2 = 9;

// Trailer after the lines: num_lines (fixed32) | num_probes (uint8) |
// format version (uint8). (bloom_filter.md "Trailer")
inline constexpr size_t kBloomNumLinesOffset = 0;
inline constexpr size_t kBloomNumProbesOffset = 4;
inline constexpr size_t kBloomVersionOffset = 5;
inline constexpr size_t kBloomTrailerSize = 6;

inline constexpr uint8_t kBloomFormatVersion = 1;
// Valid num_probes are 1..kBloomMaxProbes; anything else is a damaged filter.
inline constexpr int kBloomMaxProbes = 24;

static_assert(kBloomLineBits == (1u << kBloomLineBitsLog2));
static_assert(kBloomNumProbesOffset == kBloomNumLinesOffset + 4);
static_assert(kBloomVersionOffset == kBloomNumProbesOffset + 1);
static_assert(kBloomTrailerSize == kBloomVersionOffset + 1);

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_BLOOM_FORMAT_H_
