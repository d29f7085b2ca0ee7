// The fixture of the DB API tests (db_test*.cc): a DB in a fresh test
// directory, opened and reopened with options_, and helpers that read it
// back as strings.
//
// Open() (re)opens the DB at path_ with options_, failing the test if the
// open fails; Close() closes it. Get() returns the value, "NOT_FOUND" or
// "ERROR: <status>"; Scan() and ReverseScan() return "k1=v1 k2=v2 ..." in
// forward and backward iteration order.
// REQUIRES: Get, Scan and ReverseScan only while the DB is open.
#ifndef FERRISDB_TESTS_DB_DB_TEST_FIXTURE_H_
#define FERRISDB_TESTS_DB_DB_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "ferrisdb/options.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"

namespace ferrisdb::db_test {

class DBTest : public ::testing::Test {
 protected:
  DBTest() : path_(dir_.Sub("db")) {}

  void Open() {
    db_.reset();
    auto db = DB::Open(options_, path_);
    ASSERT_THAT(db, ::ferrisdb::testing::IsOk());
    db_ = *std::move(db);
  }
  void Reopen() { Open(); }
  void Close() { db_.reset(); }

  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> v = db_->Get(ro, key);
    if (absl::IsNotFound(v.status())) return "NOT_FOUND";
    if (!v.ok()) return "ERROR: " + v.status().ToString();
    return *v;
  }

  // "k1=v1 k2=v2 ..." in iteration order, forward.
  std::string Scan(const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    std::string out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!out.empty()) out += " ";
      out += std::string(it->key()) + "=" + std::string(it->value());
    }
    EXPECT_THAT(it->status(), ::ferrisdb::testing::IsOk());
    return out;
  }

  // The same, backward.
  std::string ReverseScan() {
    std::unique_ptr<Iterator> it = db_->NewIterator({});
    std::string out;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (!out.empty()) out += " ";
      out += std::string(it->key()) + "=" + std::string(it->value());
    }
    EXPECT_THAT(it->status(), ::ferrisdb::testing::IsOk());
    return out;
  }

  ::ferrisdb::testing::TestDir dir_;
  std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace ferrisdb::db_test

#endif  // FERRISDB_TESTS_DB_DB_TEST_FIXTURE_H_
