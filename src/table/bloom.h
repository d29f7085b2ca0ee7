// A cache-line-blocked bloom filter over user keys
// (docs/format/bloom_filter.md).
//
// Each key's 64-bit XXH3 hash picks one 64-byte line of the filter and
// num_probes bits inside it, so building and probing touch one cache line per
// key. The filter stores no keys: it answers "definitely absent" or "may be
// present".
#ifndef FERRISDB_TABLE_BLOOM_H_
#define FERRISDB_TABLE_BLOOM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ferrisdb {

// The hash a filter stores for user_key (XXH3-64, seed 0). Callers that probe
// several filters with one key compute it once and use HashMayMatch.
uint64_t BloomHash(std::string_view user_key);

// Probes per key for a filter of bits_per_key, tuned for the blocked layout
// (see docs/format/bloom_filter.md "Choosing num_probes").
int BloomNumProbes(int bits_per_key);

// Collects the keys of one table and encodes their filter.
// REQUIRES: external synchronization.
class BloomFilterBuilder {
 public:
  // bits_per_key is clamped to [1, 100]. (Options::bloom_bits_per_key == 0
  // means "no filter": do not make a builder at all.)
  explicit BloomFilterBuilder(int bits_per_key);

  // Adds a key. Only its hash is kept (8 bytes per key); a key equal to the
  // previous one (same hash) is not counted again.
  void AddKey(std::string_view user_key);
  // The same for hash == BloomHash(user_key).
  void AddHash(uint64_t hash);

  // Keys added since construction or the last Finish.
  size_t NumKeys() const { return hashes_.size(); }

  // Returns the encoded filter of the keys added so far and resets the builder
  // (same bits_per_key) for the next table. With no keys the filter has zero
  // lines and matches nothing.
  std::string Finish();

 private:
  const int bits_per_key_;
  const int num_probes_;
  std::vector<uint64_t> hashes_;
};

// Answers membership queries on an encoded filter. Cheap to copy: it is a view.
// Thread-safe (immutable).
class BloomFilterReader {
 public:
  // Validates the trailer of filter_data: an unknown format version, a
  // num_probes out of range or a size that disagrees with num_lines is
  // absl::DataLossError. The reader views filter_data without copying it.
  // REQUIRES: filter_data outlives the reader and its copies.
  static absl::StatusOr<BloomFilterReader> Open(std::string_view filter_data);

  // false: the key was certainly not added. true: it may have been.
  // A filter of zero keys (zero lines) returns false for every key.
  bool KeyMayMatch(std::string_view user_key) const {
    return HashMayMatch(BloomHash(user_key));
  }
  // The same for hash == BloomHash(user_key).
  bool HashMayMatch(uint64_t hash) const;

  uint32_t num_lines() const { return num_lines_; }
  int num_probes() const { return num_probes_; }

 private:
  BloomFilterReader(const char* lines, uint32_t num_lines, int num_probes)
      : lines_(lines), num_lines_(num_lines), num_probes_(num_probes) {}

  const char* lines_;  // num_lines_ * kBloomLineBytes bytes
  uint32_t num_lines_;
  int num_probes_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_BLOOM_H_
