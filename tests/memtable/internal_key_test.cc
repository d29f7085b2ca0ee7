#include "memtable/internal_key.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType t) {
  std::string out;
  AppendInternalKey(&out, user_key, seq, t);
  return out;
}

TEST(InternalKeyTest, LayoutIsUserKeyThenLittleEndianTrailer) {
  const std::string k = IKey("ab", 0x010203, ValueType::kValue);
  const std::string expected("ab\x01\x03\x02\x01\x00\x00\x00\x00", 10);
  EXPECT_EQ(k, expected);
  EXPECT_EQ(PackSequenceAndType(0x010203, ValueType::kValue), 0x01020301u);
  EXPECT_EQ(PackSequenceAndType(5, ValueType::kDeletion), 5u << 8);
}

TEST(InternalKeyTest, ValueTypeValuesArePinned) {
  // Persisted in the trailer: never renumber.
  EXPECT_EQ(static_cast<int>(ValueType::kDeletion), 0);
  EXPECT_EQ(static_cast<int>(ValueType::kValue), 1);
  EXPECT_EQ(kValueTypeForSeek, ValueType::kValue);
  EXPECT_EQ(kMaxSequenceNumber, 0x00ff'ffff'ffff'ffffu);
}

TEST(InternalKeyTest, ParseRoundTrips) {
  const std::string user_keys[] = {"",
                                   "a",
                                   std::string("\0", 1),
                                   std::string("a\0b", 3),
                                   std::string("\xff\xff", 2),
                                   std::string(1000, 'k')};
  const SequenceNumber seqs[] = {
      0, 1, 255, 256, uint64_t{1} << 40, kMaxSequenceNumber};
  for (const std::string& user_key : user_keys) {
    for (SequenceNumber seq : seqs) {
      for (ValueType t : {ValueType::kDeletion, ValueType::kValue}) {
        const std::string k = IKey(user_key, seq, t);
        ASSERT_EQ(k.size(), user_key.size() + kInternalKeyTrailerSize);
        ParsedInternalKey parsed;
        ASSERT_TRUE(ParseInternalKey(k, &parsed));
        EXPECT_EQ(parsed.user_key, user_key);
        EXPECT_EQ(parsed.sequence, seq);
        EXPECT_EQ(parsed.type, t);
        EXPECT_EQ(ExtractUserKey(k), user_key);
        EXPECT_EQ(ExtractSequence(k), seq);
        EXPECT_EQ(ExtractTrailer(k), PackSequenceAndType(seq, t));
      }
    }
  }
}

TEST(InternalKeyTest, ParseRejectsShortKeys) {
  ParsedInternalKey parsed;
  EXPECT_FALSE(ParseInternalKey("", &parsed));
  EXPECT_FALSE(ParseInternalKey(std::string(7, '\x01'), &parsed));
  // Exactly a trailer: the empty user key.
  ASSERT_TRUE(ParseInternalKey(std::string("\x01\0\0\0\0\0\0\0", 8), &parsed));
  EXPECT_EQ(parsed.user_key, "");
  EXPECT_EQ(parsed.sequence, 0u);
  EXPECT_EQ(parsed.type, ValueType::kValue);
}

TEST(InternalKeyTest, ParseRejectsUnknownTypes) {
  for (int type = 2; type < 256; ++type) {
    std::string k = "key";
    PutFixed64(&k, (uint64_t{7} << 8) | static_cast<uint64_t>(type));
    ParsedInternalKey parsed;
    EXPECT_FALSE(ParseInternalKey(k, &parsed)) << type;
  }
}

TEST(InternalKeyTest, OrderIsUserKeyAscendingThenSequenceAndTypeDescending) {
  // Listed in the expected order.
  const std::vector<std::string> sorted = {
      IKey("", kMaxSequenceNumber, ValueType::kValue),
      IKey("", 0, ValueType::kDeletion),
      IKey(std::string("\0", 1), 5, ValueType::kValue),
      IKey(std::string("\0\0", 2), 5, ValueType::kValue),
      IKey("a", kMaxSequenceNumber, ValueType::kValue),
      IKey("a", kMaxSequenceNumber, ValueType::kDeletion),
      IKey("a", 100, ValueType::kValue),
      IKey("a", 100, ValueType::kDeletion),
      IKey("a", 99, ValueType::kValue),
      IKey("a", 0, ValueType::kValue),
      IKey("a", 0, ValueType::kDeletion),
      // A longer key sorts after its prefix, whatever the trailers.
      IKey(std::string("a\0", 2), kMaxSequenceNumber, ValueType::kValue),
      IKey("aa", 0, ValueType::kDeletion),
      IKey("b", 1, ValueType::kValue),
      // Bytes compare unsigned: 0x7f < 0x80 < 0xff.
      IKey("\x7f", 1, ValueType::kValue),
      IKey("\x80", 1, ValueType::kValue),
      IKey("\xff", 1, ValueType::kValue),
      IKey("\xff\xff", 1, ValueType::kValue),
  };
  InternalKeyComparator cmp;
  for (size_t i = 0; i < sorted.size(); ++i) {
    for (size_t j = 0; j < sorted.size(); ++j) {
      const int expected = i < j ? -1 : (i == j ? 0 : 1);
      const int got = CompareInternalKeys(sorted[i], sorted[j]);
      EXPECT_EQ(got < 0 ? -1 : (got == 0 ? 0 : 1), expected)
          << InternalKeyDebugString(sorted[i]) << " vs "
          << InternalKeyDebugString(sorted[j]);
      EXPECT_EQ(cmp(sorted[i], sorted[j]), got);
    }
  }
  std::vector<std::string> shuffled(sorted.rbegin(), sorted.rend());
  std::sort(shuffled.begin(), shuffled.end(), InternalKeyComparator::Less());
  EXPECT_EQ(shuffled, sorted);
}

TEST(InternalKeyTest, DebugStringShowsPartsAndMalformedKeys) {
  EXPECT_EQ(InternalKeyDebugString(IKey("k\x01", 42, ValueType::kValue)),
            "'k\\x01' @ 42 : value");
  EXPECT_EQ(InternalKeyDebugString(IKey("", 0, ValueType::kDeletion)),
            "'' @ 0 : deletion");
  EXPECT_EQ(InternalKeyDebugString("abc"), "(malformed internal key: 'abc')");
}

void CheckLookupKey(const std::string& user_key, SequenceNumber seq) {
  const LookupKey lk(user_key, seq);
  EXPECT_EQ(lk.user_key(), user_key);
  EXPECT_EQ(lk.sequence(), seq);
  EXPECT_EQ(lk.internal_key(), IKey(user_key, seq, kValueTypeForSeek));
  // memtable_key = varint32(internal key length) | internal key.
  std::string_view mk = lk.memtable_key();
  std::string_view ikey;
  ASSERT_TRUE(GetLengthPrefixed(&mk, &ikey));
  EXPECT_TRUE(mk.empty());
  EXPECT_EQ(ikey, lk.internal_key());
  EXPECT_EQ(ikey.data(), lk.internal_key().data());
}

TEST(LookupKeyTest, SmallKeys) {
  CheckLookupKey("", 0);
  CheckLookupKey("key", 7);
  CheckLookupKey(std::string("\0\xff", 2), kMaxSequenceNumber);
  // Around the inline buffer's limit and the one-byte varint limit.
  for (size_t n : {119u, 120u, 121u, 127u, 128u, 186u, 187u, 190u, 191u, 192u,
                   193u, 200u}) {
    CheckLookupKey(std::string(n, 'x'), n);
  }
}

TEST(LookupKeyTest, SixtyFourKiBKey) {
  std::string big(64 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  CheckLookupKey(big, 12345);
}

TEST(LookupKeyTest, SortsBeforeVisibleVersionsAndAfterNewerOnes) {
  const LookupKey lk("k", 10);
  EXPECT_LT(CompareInternalKeys(lk.internal_key(),
                                IKey("k", 10, ValueType::kDeletion)),
            0);
  EXPECT_LE(
      CompareInternalKeys(lk.internal_key(), IKey("k", 10, ValueType::kValue)),
      0);
  EXPECT_LT(
      CompareInternalKeys(lk.internal_key(), IKey("k", 9, ValueType::kValue)),
      0);
  EXPECT_GT(CompareInternalKeys(lk.internal_key(),
                                IKey("k", 11, ValueType::kDeletion)),
            0);
  EXPECT_GT(CompareInternalKeys(lk.internal_key(),
                                IKey("j", 0, ValueType::kDeletion)),
            0);
}

}  // namespace
}  // namespace ferrisdb
