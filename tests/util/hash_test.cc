#include "util/hash.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

TEST(HashTest, Hash64OfEmptyInputIsXxh3) {
  // The published XXH3-64 of the empty input (seed 0). Pins the algorithm:
  // checksums are stored in files.
  EXPECT_EQ(Hash64(""), 0x2D06800538D394C2ull);
}

TEST(HashTest, Hash64DependsOnDataAndSeed) {
  EXPECT_NE(Hash64("a"), Hash64("b"));
  EXPECT_NE(Hash64("a", 0), Hash64("a", 1));
  EXPECT_EQ(Hash64("ferrisdb", 7), Hash64("ferrisdb", 7));
}

TEST(HashTest, Checksum32IsLow32BitsOfHash64) {
  const std::string_view data = "the quick brown fox";
  EXPECT_EQ(Checksum32(data), static_cast<uint32_t>(Hash64(data)));
}

TEST(HashTest, Checksum32OfTwoPartsEqualsChecksumOfConcatenation) {
  // Sizes around XXH3's internal thresholds (16, 128, 240 bytes, stripes).
  const size_t sizes[] = {0,   1,   3,   8,   16,   17,  100,
                          128, 129, 240, 241, 1000, 4096};
  std::string data;
  for (int i = 0; i < 10000; ++i)
    data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t a_len : sizes) {
    for (size_t b_len : sizes) {
      const std::string_view a(data.data(), a_len);
      const std::string_view b(data.data() + a_len, b_len);
      const std::string ab = std::string(a) + std::string(b);
      EXPECT_EQ(Checksum32(a, b), Checksum32(ab)) << a_len << "+" << b_len;
    }
  }
}

TEST(HashTest, Checksum32DetectsSingleBitFlips) {
  std::string data(64, 'x');
  const uint32_t original = Checksum32(data);
  for (size_t i = 0; i < data.size() * 8; ++i) {
    std::string flipped = data;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    EXPECT_NE(Checksum32(flipped), original) << "bit " << i;
  }
}

}  // namespace
}  // namespace ferrisdb
