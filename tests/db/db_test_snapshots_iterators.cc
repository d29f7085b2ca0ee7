// Functional tests of the DB API, snapshots and iterators: what a snapshot
// sees, Seek / SeekForPrev and changes of direction, iterators unaffected by
// later writes. The fixture: db_test_fixture.h.
#include <memory>
#include <string>

#include "db_test_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"

namespace ferrisdb::db_test {
namespace {

using ::ferrisdb::testing::IsOk;

TEST_F(DBTest, SnapshotsSeeTheirMoment) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_THAT(db_->Put({}, "a", "2"), IsOk());
  ASSERT_THAT(db_->Put({}, "b", "x"), IsOk());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  EXPECT_EQ(Get("a", s1), "1");
  EXPECT_EQ(Get("b", s1), "NOT_FOUND");
  EXPECT_EQ(Get("a", s2), "2");
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Scan(s1), "a=1");
  EXPECT_EQ(Scan(s2), "a=2 b=x");
  EXPECT_EQ(Scan(), "b=x");
  EXPECT_LT(s1->sequence_number(), s2->sequence_number());
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
}

TEST_F(DBTest, IteratorSeeksAndChangesDirection) {
  Open();
  for (const char* k : {"b", "d", "f", "h"}) {
    ASSERT_THAT(db_->Put({}, k, std::string("v") + k), IsOk());
  }
  ASSERT_THAT(db_->Put({}, "d", "vd2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "f"), IsOk());
  EXPECT_EQ(Scan(), "b=vb d=vd2 h=vh");
  EXPECT_EQ(ReverseScan(), "h=vh d=vd2 b=vb");

  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");  // f is deleted
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  EXPECT_EQ(it->value(), "vd2");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Prev();
  EXPECT_FALSE(it->Valid());

  it->SeekForPrev("g");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");
  it->SeekForPrev("a");
  EXPECT_FALSE(it->Valid());
  it->Seek("i");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("h");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h");
  EXPECT_THAT(it->status(), IsOk());
}

TEST_F(DBTest, IteratorIsUnaffectedByLaterWrites) {
  Open();
  ASSERT_THAT(db_->Put({}, "a", "1"), IsOk());
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  ASSERT_THAT(db_->Put({}, "b", "2"), IsOk());
  ASSERT_THAT(db_->Delete({}, "a"), IsOk());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  EXPECT_FALSE(it->Valid());
}

TEST_F(DBTest, ReleasingANullSnapshotIsHarmless) {
  Open();
  db_->ReleaseSnapshot(nullptr);
  EXPECT_EQ(Get("a"), "NOT_FOUND");
}

}  // namespace
}  // namespace ferrisdb::db_test
