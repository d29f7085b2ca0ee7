#include "table/bloom.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "table/bloom_format.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

constexpr int kMinBitsPerKey = 1;
constexpr int kMaxBitsPerKey = 100;

// The line a hash selects: the high 32 bits scaled to [0, num_lines)
// (bloom_filter.md "Bit positions", step 1).
inline size_t LineOffset(uint64_t hash, uint32_t num_lines) {
  const uint64_t line = ((hash >> 32) * num_lines) >> 32;
  return static_cast<size_t>(line) * kBloomLineBytes;
}

// Generates the bit positions inside the line from the low 32 bits by double
// hashing on the top bits of a 32-bit word (bloom_filter.md "Bit positions",
// step 2). Position i = top 9 bits of (a + i * delta) mod 2^32.
class ProbeSequence {
 public:
  explicit ProbeSequence(uint64_t hash)
      : a_(static_cast<uint32_t>(hash)), delta_((a_ >> 15) | (a_ << 17)) {}

  uint32_t Next() {
    const uint32_t bit = a_ >> (32 - kBloomLineBitsLog2);
    a_ += delta_;
    return bit;
  }

 private:
  uint32_t a_;
  const uint32_t delta_;
};

}  // namespace

uint64_t BloomHash(std::string_view user_key) { return Hash64(user_key); }

int BloomNumProbes(int bits_per_key) {
  // Measured optimum for the 512-bit-line layout (bloom_filter.md "Choosing
  // num_probes"): lower than the ln(2) * bits_per_key of an unblocked filter
  // because lines fill unevenly.
  // Indexed by bits_per_key, 0 to 16.
  static constexpr int kProbesForBits[] = {1, 1, 1, 2, 3, 3, 4, 5, 5,
                                           6, 6, 7, 7, 7, 8, 8, 8};
  constexpr int kTableSize = sizeof(kProbesForBits) / sizeof(kProbesForBits[0]);
  if (bits_per_key < kTableSize) {
    return kProbesForBits[std::max(bits_per_key, 0)];
  }
  // Past 16 bits per key the rate is flat within +-1 probe of these.
  return bits_per_key <= 24 ? 9 : 10;
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::clamp(bits_per_key, kMinBitsPerKey, kMaxBitsPerKey)),
      num_probes_(BloomNumProbes(bits_per_key_)) {}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  AddHash(BloomHash(user_key));
}

void BloomFilterBuilder::AddHash(uint64_t hash) {
  // Tables add keys in order, so equal keys (several versions of one user key)
  // are consecutive.
  if (!hashes_.empty() && hashes_.back() == hash) return;
  hashes_.push_back(hash);
}

std::string BloomFilterBuilder::Finish() {
  const uint64_t total_bits = uint64_t{hashes_.size()} * bits_per_key_;
  const uint64_t num_lines = std::min<uint64_t>(
      (total_bits + kBloomLineBits - 1) / kBloomLineBits, UINT32_MAX);
  const size_t lines_size = static_cast<size_t>(num_lines) * kBloomLineBytes;

  std::string result(lines_size + kBloomTrailerSize, '\0');
  auto* lines = reinterpret_cast<uint8_t*>(result.data());
  for (uint64_t hash : hashes_) {
    uint8_t* line = lines + LineOffset(hash, static_cast<uint32_t>(num_lines));
    ProbeSequence probes(hash);
    for (int i = 0; i < num_probes_; ++i) {
      const uint32_t bit = probes.Next();
      line[bit >> 3] |= static_cast<uint8_t>(1u << (bit & 7));
    }
  }

  char* trailer = result.data() + lines_size;
  EncodeFixed32(trailer + kBloomNumLinesOffset,
                static_cast<uint32_t>(num_lines));
  trailer[kBloomNumProbesOffset] = static_cast<char>(num_probes_);
  trailer[kBloomVersionOffset] = static_cast<char>(kBloomFormatVersion);

  hashes_.clear();
  return result;
}

absl::StatusOr<BloomFilterReader> BloomFilterReader::Open(
    std::string_view filter_data) {
  if (filter_data.size() < kBloomTrailerSize) {
    return absl::DataLossError(absl::StrCat(
        "bloom filter: ", filter_data.size(), " bytes, shorter than its ",
        kBloomTrailerSize, "-byte trailer"));
  }
  const char* trailer =
      filter_data.data() + filter_data.size() - kBloomTrailerSize;
  const auto version = static_cast<uint8_t>(trailer[kBloomVersionOffset]);
  if (version != kBloomFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("bloom filter: unknown format version ", version,
                     " (this build reads ", kBloomFormatVersion, ")"));
  }
  const int num_probes = static_cast<uint8_t>(trailer[kBloomNumProbesOffset]);
  if (num_probes < 1 || num_probes > kBloomMaxProbes) {
    return absl::DataLossError(absl::StrCat("bloom filter: num_probes ",
                                            num_probes, " outside [1, ",
                                            kBloomMaxProbes, "]"));
  }
  const uint32_t num_lines = DecodeFixed32(trailer + kBloomNumLinesOffset);
  const uint64_t lines_size = uint64_t{num_lines} * kBloomLineBytes;
  if (lines_size != filter_data.size() - kBloomTrailerSize) {
    return absl::DataLossError(
        absl::StrCat("bloom filter: ", num_lines, " lines need ", lines_size,
                     " bytes before the trailer, found ",
                     filter_data.size() - kBloomTrailerSize));
  }
  return BloomFilterReader(filter_data.data(), num_lines, num_probes);
}

bool BloomFilterReader::HashMayMatch(uint64_t hash) const {
  if (num_lines_ == 0) return false;
  const auto* line =
      reinterpret_cast<const uint8_t*>(lines_) + LineOffset(hash, num_lines_);
  ProbeSequence probes(hash);
  for (int i = 0; i < num_probes_; ++i) {
    const uint32_t bit = probes.Next();
    if ((line[bit >> 3] & (1u << (bit & 7))) == 0) return false;
  }
  return true;
}

}  // namespace ferrisdb
