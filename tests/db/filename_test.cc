#include "db/filename.h"

#include "gtest/gtest.h"

namespace ferrisdb {
namespace {

TEST(FileNameTest, WalNamesRoundTrip) {
  for (uint64_t number : {uint64_t{1}, uint64_t{999999}, uint64_t{1234567}}) {
    for (uint64_t seq : {uint64_t{0}, uint64_t{1}, (uint64_t{1} << 56) - 1}) {
      const std::string name = WalFileBaseName(number, seq);
      auto parsed = ParseFileName(name);
      ASSERT_TRUE(parsed.has_value()) << name;
      EXPECT_EQ(parsed->type, FileType::kWal);
      EXPECT_EQ(parsed->number, number);
      EXPECT_EQ(parsed->first_sequence, seq);
    }
  }
  EXPECT_EQ(WalFileBaseName(7, 42), "000007-00000000000000000042.log");
  EXPECT_EQ(WalFileName("/db", 7, 42), "/db/000007-00000000000000000042.log");
}

TEST(FileNameTest, ForeignNamesAreNotOurs) {
  for (const char* name :
       {"", "LOCK.bak", "foo.log", "7-42.log", "000007-42.log",
        "000007-00000000000000000042.log.tmp", "000007-00000000000000000042",
        "000007_00000000000000000042.log", "-00000000000000000042.log",
        "99999999999999999999999-00000000000000000042.log", "lock"}) {
    EXPECT_FALSE(ParseFileName(name).has_value()) << name;
  }
  ASSERT_TRUE(ParseFileName("LOCK").has_value());
  EXPECT_EQ(ParseFileName("LOCK")->type, FileType::kLock);
}

}  // namespace
}  // namespace ferrisdb
