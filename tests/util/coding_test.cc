#include "util/coding.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

const std::vector<uint64_t>& BoundaryValues64() {
  static const auto* values = new std::vector<uint64_t>{
      0,
      1,
      127,
      128,
      255,
      16383,
      16384,
      (uint64_t{1} << 21) - 1,
      uint64_t{1} << 21,
      (uint64_t{1} << 28) - 1,
      uint64_t{1} << 28,
      UINT32_MAX,
      uint64_t{UINT32_MAX} + 1,
      (uint64_t{1} << 56) - 1,
      (uint64_t{1} << 63) - 1,
      uint64_t{1} << 63,
      UINT64_MAX,
  };
  return *values;
}

TEST(CodingTest, Varint64RoundTripsBoundaryValues) {
  std::string buf;
  for (uint64_t v : BoundaryValues64()) PutVarint64(&buf, v);
  std::string_view in(buf);
  for (uint64_t expected : BoundaryValues64()) {
    uint64_t v = 0;
    ASSERT_TRUE(GetVarint64(&in, &v)) << expected;
    EXPECT_EQ(v, expected);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RoundTripsBoundaryValues) {
  std::string buf;
  std::vector<uint32_t> values;
  for (uint64_t v : BoundaryValues64()) {
    if (v <= UINT32_MAX) values.push_back(static_cast<uint32_t>(v));
  }
  for (uint32_t v : values) PutVarint32(&buf, v);
  std::string_view in(buf);
  for (uint32_t expected : values) {
    uint32_t v = 0;
    ASSERT_TRUE(GetVarint32(&in, &v)) << expected;
    EXPECT_EQ(v, expected);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintLengthMatchesEncodedSize) {
  for (uint64_t v : BoundaryValues64()) {
    std::string buf;
    PutVarint64(&buf, v);
    EXPECT_EQ(static_cast<size_t>(VarintLength(v)), buf.size()) << v;
  }
  EXPECT_EQ(VarintLength(0), 1);
  EXPECT_EQ(VarintLength(127), 1);
  EXPECT_EQ(VarintLength(128), 2);
  EXPECT_EQ(VarintLength(UINT32_MAX), kMaxVarint32Bytes);
  EXPECT_EQ(VarintLength(UINT64_MAX), kMaxVarint64Bytes);
}

TEST(CodingTest, VarintEncodingIsLeb128) {
  std::string buf;
  PutVarint32(&buf, 300);  // 0b10'0101100
  ASSERT_EQ(buf.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(buf[0]), 0xac);
  EXPECT_EQ(static_cast<unsigned char>(buf[1]), 0x02);
}

TEST(CodingTest, TruncatedVarintIsRejected) {
  for (uint64_t v : BoundaryValues64()) {
    std::string buf;
    PutVarint64(&buf, v);
    for (size_t len = 0; len < buf.size(); ++len) {
      std::string_view in(buf.data(), len);
      uint64_t out;
      EXPECT_FALSE(GetVarint64(&in, &out)) << v << " cut to " << len;
      if (v <= UINT32_MAX) {
        std::string_view in32(buf.data(), len);
        uint32_t out32;
        EXPECT_FALSE(GetVarint32(&in32, &out32)) << v << " cut to " << len;
      }
    }
  }
}

TEST(CodingTest, OverlongVarint32IsRejected) {
  // Six bytes: one more than a uint32 can need.
  const std::string six("\x80\x80\x80\x80\x80\x01", 6);
  std::string_view in(six);
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
  // Five bytes whose last one carries bits above 32.
  const std::string too_big("\xff\xff\xff\xff\x1f", 5);
  in = too_big;
  EXPECT_FALSE(GetVarint32(&in, &v));
  // The largest five-byte value that fits is accepted.
  const std::string max32("\xff\xff\xff\xff\x0f", 5);
  in = max32;
  ASSERT_TRUE(GetVarint32(&in, &v));
  EXPECT_EQ(v, UINT32_MAX);
}

TEST(CodingTest, OverlongVarint64IsRejected) {
  // Eleven bytes.
  std::string eleven(10, '\x80');
  eleven.push_back('\x01');
  std::string_view in(eleven);
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  // Ten bytes whose last one carries bits above 64.
  std::string too_big(9, '\xff');
  too_big.push_back('\x02');
  in = too_big;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string max64(9, '\xff');
  max64.push_back('\x01');
  in = max64;
  ASSERT_TRUE(GetVarint64(&in, &v));
  EXPECT_EQ(v, UINT64_MAX);
}

TEST(CodingTest, FixedIntsAreLittleEndian) {
  std::string buf;
  PutFixed16(&buf, 0x0102);
  PutFixed32(&buf, 0x03040506);
  PutFixed64(&buf, 0x0708090a0b0c0d0eull);
  const std::string expected(
      "\x02\x01"
      "\x06\x05\x04\x03"
      "\x0e\x0d\x0c\x0b\x0a\x09\x08\x07",
      14);
  EXPECT_EQ(buf, expected);
  EXPECT_EQ(DecodeFixed16(buf.data()), 0x0102);
  EXPECT_EQ(DecodeFixed32(buf.data() + 2), 0x03040506u);
  EXPECT_EQ(DecodeFixed64(buf.data() + 6), 0x0708090a0b0c0d0eull);
}

TEST(CodingTest, FixedIntsRoundTripExtremes) {
  std::string buf;
  const uint32_t v32[] = {0, 1, 0x80000000u, UINT32_MAX};
  const uint64_t v64[] = {0, 1, uint64_t{1} << 63, UINT64_MAX};
  for (uint32_t v : v32) PutFixed32(&buf, v);
  for (uint64_t v : v64) PutFixed64(&buf, v);
  std::string_view in(buf);
  for (uint32_t expected : v32) {
    uint32_t v;
    ASSERT_TRUE(GetFixed32(&in, &v));
    EXPECT_EQ(v, expected);
  }
  for (uint64_t expected : v64) {
    uint64_t v;
    ASSERT_TRUE(GetFixed64(&in, &v));
    EXPECT_EQ(v, expected);
  }
  EXPECT_TRUE(in.empty());
  uint32_t v32_out;
  uint64_t v64_out;
  std::string_view short_input("abc");
  EXPECT_FALSE(GetFixed32(&short_input, &v32_out));
  short_input = "abcdefg";
  EXPECT_FALSE(GetFixed64(&short_input, &v64_out));
}

TEST(CodingTest, LengthPrefixedRoundTrips) {
  std::string buf;
  const std::string big(300, 'x');
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, std::string_view("a\0b", 3));
  PutLengthPrefixed(&buf, big);
  std::string_view in(buf);
  std::string_view v;
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, std::string_view("a\0b", 3));
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, big);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetLengthPrefixed(&in, &v));
}

TEST(CodingTest, LengthPrefixedLongerThanInputIsRejected) {
  std::string buf;
  PutVarint32(&buf, 10);
  buf.append("short");
  std::string_view in(buf);
  std::string_view v;
  EXPECT_FALSE(GetLengthPrefixed(&in, &v));
}

}  // namespace
}  // namespace ferrisdb
