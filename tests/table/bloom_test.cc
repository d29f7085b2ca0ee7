#include "table/bloom.h"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "table/bloom_format.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::StatusIs;

std::string NumberKey(std::string_view prefix, uint64_t n) {
  std::string key(prefix);
  PutFixed64(&key, n);
  return key;
}

// 100k member keys: the empty key, keys of NUL and 0xff bytes, random binary
// keys of 1..40 bytes and short decimal keys.
std::vector<std::string> MemberKeys(uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys = {"", std::string(1, '\0'),
                                   std::string(3, '\0'), "\xff\xff"};
  while (keys.size() < 50000) {
    std::string key(1 + rng() % 40, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    keys.push_back(std::move(key));
  }
  for (int i = 0; keys.size() < 100000; ++i) keys.push_back(std::to_string(i));
  return keys;
}

std::string BuildFilter(const std::vector<std::string>& keys,
                        int bits_per_key) {
  BloomFilterBuilder builder(bits_per_key);
  for (const std::string& key : keys) builder.AddKey(key);
  return builder.Finish();
}

// Fraction of 1M keys never added that the filter of `members` matches.
double FalsePositiveRate(int bits_per_key, size_t members) {
  BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < members; ++i) builder.AddKey(NumberKey("in", i));
  const std::string data = builder.Finish();
  auto reader = BloomFilterReader::Open(data);
  EXPECT_THAT(reader, IsOk());
  if (!reader.ok()) return 1.0;
  constexpr uint64_t kProbes = 1000000;
  uint64_t matches = 0;
  for (uint64_t i = 0; i < kProbes; ++i) {
    matches += reader->KeyMayMatch(NumberKey("out", i)) ? 1 : 0;
  }
  return static_cast<double>(matches) / kProbes;
}

// The bit positions of docs/format/bloom_filter.md "Bit positions",
// implemented independently of bloom.cc so the document and the code are
// checked against each other.
std::vector<size_t> DocumentedBits(uint64_t hash, uint32_t num_lines,
                                   int num_probes) {
  const uint64_t line = ((hash >> 32) * num_lines) >> 32;
  uint32_t a = static_cast<uint32_t>(hash);
  const uint32_t delta = (a >> 15) | (a << 17);
  std::vector<size_t> bits;
  for (int i = 0; i < num_probes; ++i) {
    bits.push_back(line * 512 + (a >> 23));
    a += delta;
  }
  return bits;
}

TEST(BloomTest, NoFalseNegatives) {
  const uint32_t seed = testing::TestSeed(301);
  SCOPED_TRACE(::testing::Message() << "FERRISDB_TEST_SEED=" << seed);
  const std::vector<std::string> keys = MemberKeys(seed);
  for (int bits_per_key : {1, 4, 10, 20}) {
    const std::string data = BuildFilter(keys, bits_per_key);
    auto reader = BloomFilterReader::Open(data);
    ASSERT_THAT(reader, IsOk());
    size_t misses = 0;
    for (const std::string& key : keys) {
      if (!reader->KeyMayMatch(key)) ++misses;
      if (!reader->HashMayMatch(BloomHash(key))) ++misses;
    }
    EXPECT_EQ(misses, 0u) << "bits_per_key=" << bits_per_key;
  }
}

TEST(BloomTest, FalsePositiveRates) {
  constexpr size_t kMembers = 100000;
  for (int bits_per_key : {6, 8, 10, 14, 20}) {
    const double rate = FalsePositiveRate(bits_per_key, kMembers);
    std::printf("bloom: %2d bits/key, %d probes: false positives %.3f%%\n",
                bits_per_key, BloomNumProbes(bits_per_key), rate * 100);
    ::testing::Test::RecordProperty("fp_ppm_" + std::to_string(bits_per_key),
                                    static_cast<int>(rate * 1e6));
    if (bits_per_key == 10) {
      EXPECT_LE(rate, 0.012);
    }
  }
}

TEST(BloomTest, SmallFiltersKeepTheirRate) {
  // One line for a few keys must still reject most non-members.
  BloomFilterBuilder builder(10);
  builder.AddKey("hello");
  builder.AddKey("world");
  const std::string data = builder.Finish();
  auto reader = BloomFilterReader::Open(data);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->num_lines(), 1u);
  EXPECT_TRUE(reader->KeyMayMatch("hello"));
  EXPECT_TRUE(reader->KeyMayMatch("world"));
  int matches = 0;
  for (int i = 0; i < 10000; ++i) {
    matches += reader->KeyMayMatch(NumberKey("x", i)) ? 1 : 0;
  }
  EXPECT_LT(matches, 100);
}

TEST(BloomTest, EmptyFilterMatchesNothing) {
  BloomFilterBuilder builder(10);
  EXPECT_EQ(builder.NumKeys(), 0u);
  const std::string data = builder.Finish();
  EXPECT_EQ(data.size(), kBloomTrailerSize);
  auto reader = BloomFilterReader::Open(data);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->num_lines(), 0u);
  EXPECT_FALSE(reader->KeyMayMatch(""));
  EXPECT_FALSE(reader->KeyMayMatch("anything"));
}

TEST(BloomTest, RoundTripAndBuilderReset) {
  BloomFilterBuilder builder(10);
  for (int i = 0; i < 1000; ++i) builder.AddKey(NumberKey("a", i));
  EXPECT_EQ(builder.NumKeys(), 1000u);
  const std::string first = builder.Finish();
  EXPECT_EQ(builder.NumKeys(), 0u);
  // 1000 keys * 10 bits = 10000 bits -> 20 lines of 512.
  EXPECT_EQ(first.size(), 20 * kBloomLineBytes + kBloomTrailerSize);

  for (int i = 0; i < 10; ++i) builder.AddKey(NumberKey("b", i));
  const std::string second = builder.Finish();
  EXPECT_EQ(second.size(), kBloomLineBytes + kBloomTrailerSize);

  auto r1 = BloomFilterReader::Open(first);
  auto r2 = BloomFilterReader::Open(second);
  ASSERT_THAT(r1, IsOk());
  ASSERT_THAT(r2, IsOk());
  EXPECT_EQ(r1->num_lines(), 20u);
  EXPECT_EQ(r1->num_probes(), BloomNumProbes(10));
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(r1->KeyMayMatch(NumberKey("a", i)));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(r2->KeyMayMatch(NumberKey("b", i)));
}

TEST(BloomTest, ConsecutiveDuplicatesCountOnce) {
  BloomFilterBuilder builder(10);
  builder.AddKey("k");
  builder.AddKey("k");
  builder.AddKey("k");
  builder.AddKey("l");
  builder.AddKey("k");
  EXPECT_EQ(builder.NumKeys(), 3u);
}

TEST(BloomTest, EncodingMatchesTheFormatDocument) {
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back(NumberKey("doc", i));
  const std::string data = BuildFilter(keys, 10);

  // Trailer: num_lines fixed32, num_probes, version.
  const uint32_t num_lines = (3000 * 10 + 511) / 512;
  ASSERT_EQ(data.size(), num_lines * 64 + 6);
  const char* trailer = data.data() + data.size() - 6;
  EXPECT_EQ(DecodeFixed32(trailer), num_lines);
  EXPECT_EQ(static_cast<uint8_t>(trailer[4]), 6);
  EXPECT_EQ(static_cast<uint8_t>(trailer[5]), 1);

  // Bit j of the lines is bit j % 8 of byte j / 8.
  std::string expected(num_lines * 64, '\0');
  for (const std::string& key : keys) {
    for (size_t bit : DocumentedBits(Hash64(key), num_lines, 6)) {
      expected[bit / 8] =
          static_cast<char>(expected[bit / 8] | (1 << (bit % 8)));
    }
  }
  EXPECT_TRUE(data.compare(0, expected.size(), expected) == 0);
}

TEST(BloomTest, NumProbesGrowWithBitsPerKey) {
  int previous = 0;
  for (int bits = 1; bits <= 100; ++bits) {
    const int k = BloomNumProbes(bits);
    EXPECT_GE(k, previous) << bits;
    EXPECT_GE(k, 1);
    EXPECT_LE(k, kBloomMaxProbes);
    previous = k;
  }
  EXPECT_EQ(BloomNumProbes(10), 6);
}

// ---- Malformed encodings ----

std::string ValidFilter() {
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) keys.push_back(NumberKey("v", i));
  return BuildFilter(keys, 10);
}

TEST(BloomTest, RejectsTooShortData) {
  for (size_t size = 0; size < kBloomTrailerSize; ++size) {
    EXPECT_THAT(BloomFilterReader::Open(std::string(size, '\x01')),
                StatusIs(absl::StatusCode::kDataLoss))
        << size;
  }
}

TEST(BloomTest, RejectsEveryTruncation) {
  const std::string data = ValidFilter();
  for (size_t size = 0; size < data.size(); ++size) {
    const std::string_view view(data);
    // Cut at the end (trailer lost) and at the front (lines lost).
    EXPECT_THAT(BloomFilterReader::Open(view.substr(0, size)),
                StatusIs(absl::StatusCode::kDataLoss))
        << "prefix of " << size;
    EXPECT_THAT(BloomFilterReader::Open(view.substr(data.size() - size)),
                StatusIs(absl::StatusCode::kDataLoss))
        << "suffix of " << size;
  }
}

TEST(BloomTest, RejectsUnknownVersion) {
  for (int version : {0, 2, 0x80, 0xff}) {
    std::string data = ValidFilter();
    data.back() = static_cast<char>(version);
    EXPECT_THAT(BloomFilterReader::Open(data),
                StatusIs(absl::StatusCode::kDataLoss))
        << version;
  }
}

TEST(BloomTest, RejectsNumProbesOutOfRange) {
  for (int k : {0, kBloomMaxProbes + 1, 0xff}) {
    std::string data = ValidFilter();
    data[data.size() - kBloomTrailerSize + kBloomNumProbesOffset] =
        static_cast<char>(k);
    EXPECT_THAT(BloomFilterReader::Open(data),
                StatusIs(absl::StatusCode::kDataLoss))
        << k;
  }
}

TEST(BloomTest, RejectsInconsistentNumLines) {
  const std::string valid = ValidFilter();
  const uint32_t lines =
      DecodeFixed32(valid.data() + valid.size() - kBloomTrailerSize);
  for (uint32_t bad : {0u, lines - 1, lines + 1, 0x04000000u, 0xffffffffu}) {
    std::string data = valid;
    EncodeFixed32(data.data() + data.size() - kBloomTrailerSize, bad);
    EXPECT_THAT(BloomFilterReader::Open(data),
                StatusIs(absl::StatusCode::kDataLoss))
        << bad;
  }
  // Extra bytes before the trailer are as bad as missing ones.
  std::string padded = valid;
  padded.insert(0, "x");
  EXPECT_THAT(BloomFilterReader::Open(padded),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(BloomTest, RandomBytesNeverCrash) {
  const uint32_t seed = testing::TestSeed(302);
  SCOPED_TRACE(::testing::Message() << "FERRISDB_TEST_SEED=" << seed);
  std::mt19937_64 rng(seed);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string data(rng() % 300, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    if (iter % 2 == 0 && data.size() >= kBloomTrailerSize) {
      // A plausible trailer over random lines, sometimes off by a little.
      const size_t lines = (data.size() - kBloomTrailerSize) / 64;
      data.resize(lines * 64 + kBloomTrailerSize + (iter % 8 == 0 ? 1 : 0));
      char* trailer = data.data() + data.size() - kBloomTrailerSize;
      EncodeFixed32(trailer, static_cast<uint32_t>(lines));
      trailer[4] = static_cast<char>(rng() % 30);
      trailer[5] = 1;
    }
    auto reader = BloomFilterReader::Open(data);
    if (!reader.ok()) {
      EXPECT_THAT(reader, StatusIs(absl::StatusCode::kDataLoss));
      continue;
    }
    ++accepted;
    for (int i = 0; i < 20; ++i) (void)reader->HashMayMatch(rng());
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace ferrisdb
